"""Mixing real and synthetic data: ratios, the tag token, temperature balancing across language pairs."""

from collections import Counter

import pytest

from hf_lowres.data import (
    BT_TAG,
    Provenance,
    add_tag_token,
    balance_languages,
    corpus_from_pairs,
    corpus_from_rows,
    corpus_row,
    mix_corpora,
    tag_synthetic_sources,
    temperature_sampling_probabilities,
)
from hf_lowres.testing_utils import tiny_tokenizer


def synthetic_corpus(n, source_lang="ind", target_lang="jav"):
    provenance = Provenance("m", f"{target_lang}->{source_lang}", {}, "2026-01-01")
    return corpus_from_rows(
        corpus_row(f"syn {i}", f"mono {i}", source_lang, target_lang, "back-translated", provenance) for i in range(n)
    )


def real_corpus(n, source_lang="ind", target_lang="jav"):
    return corpus_from_pairs([f"src {i}" for i in range(n)], [f"tgt {i}" for i in range(n)], source_lang, target_lang)


@pytest.mark.parametrize("ratio, expected", [(1.0, 20), (0.5, 10), (0.0, 0), (2.5, 50)])
def test_mix_ratio(ratio, expected):
    mixed = mix_corpora(real_corpus(20), synthetic_corpus(30), synthetic_ratio=ratio, seed=1)
    counts = Counter(mixed["origin"])
    assert counts["real"] == 20 and counts.get("back-translated", 0) == expected
    # The real rows are all kept; synthetic rows are distinct unless there are too few of them.
    assert sorted(t for t, o in zip(mixed["target_text"], mixed["origin"]) if o == "real") == sorted(
        f"tgt {i}" for i in range(20)
    )
    synthetic_sources = [s for s, o in zip(mixed["source_text"], mixed["origin"]) if o != "real"]
    if expected <= 30:
        assert len(set(synthetic_sources)) == expected
    else:
        assert len(set(synthetic_sources)) == 30 and max(Counter(synthetic_sources).values()) == 2


def test_mix_is_seeded_and_shuffled():
    a = mix_corpora(real_corpus(10), synthetic_corpus(30), synthetic_ratio=1.0, seed=3)
    b = mix_corpora(real_corpus(10), synthetic_corpus(30), synthetic_ratio=1.0, seed=3)
    c = mix_corpora(real_corpus(10), synthetic_corpus(30), synthetic_ratio=1.0, seed=4)
    assert a.to_list() == b.to_list() and a["source_text"] != c["source_text"]
    assert a["origin"] != ["real"] * 10 + ["back-translated"] * 10
    unshuffled = mix_corpora(real_corpus(10), synthetic_corpus(30), synthetic_ratio=1.0, shuffle=False)
    assert unshuffled["origin"] == ["real"] * 10 + ["back-translated"] * 10


def test_mix_errors():
    with pytest.raises(ValueError, match="non-negative"):
        mix_corpora(real_corpus(2), synthetic_corpus(2), synthetic_ratio=-1)
    with pytest.raises(ValueError, match="none were given"):
        mix_corpora(real_corpus(2), synthetic_corpus(0), synthetic_ratio=1)


def test_tagged_back_translation():
    mixed = mix_corpora(real_corpus(5), synthetic_corpus(5), synthetic_ratio=1.0, tag=True)
    for source, origin in zip(mixed["source_text"], mixed["origin"]):
        assert source.startswith(f"{BT_TAG} ") == (origin == "back-translated")
    twice = tag_synthetic_sources(tag_synthetic_sources(synthetic_corpus(2)))
    assert twice["source_text"] == [f"{BT_TAG} syn 0", f"{BT_TAG} syn 1"]
    custom = mix_corpora(real_corpus(2), synthetic_corpus(2), synthetic_ratio=1.0, tag="<synthetic>")
    assert sum(s.startswith("<synthetic> ") for s in custom["source_text"]) == 2


def test_tag_token_is_one_reserved_token():
    tokenizer = tiny_tokenizer()
    before = len(tokenizer)
    tag_id = add_tag_token(tokenizer)
    assert len(tokenizer) == before + 1 and tag_id == before
    ids = tokenizer(f"{BT_TAG} saya suka")["input_ids"]
    assert ids[1] == tag_id and tokenizer.convert_ids_to_tokens(ids[2:4]) == ["saya", "suka"]
    assert add_tag_token(tokenizer) == tag_id and len(tokenizer) == before + 1  # adding twice is harmless
    assert tokenizer.decode(ids, skip_special_tokens=True) == "saya suka"


def test_balance_languages_uses_temperature_probabilities():
    corpus = corpus_from_pairs(
        [f"a{i}" for i in range(90)] + [f"b{i}" for i in range(10)],
        [f"x{i}" for i in range(100)],
        "ind",
        "jav",
    )
    sun = real_corpus(10, "ind", "sun")
    from datasets import concatenate_datasets

    both = concatenate_datasets([corpus.select(range(90)), sun])
    uniform = balance_languages(both, alpha=0.0, num_samples=100)
    assert Counter(uniform["target_lang"]) == {"jav": 50, "sun": 50}
    proportional = balance_languages(both, alpha=1.0)
    assert Counter(proportional["target_lang"]) == {"jav": 90, "sun": 10}
    half = balance_languages(both, alpha=0.5, num_samples=100)
    expected = temperature_sampling_probabilities({"ind-jav": 90, "ind-sun": 10}, 0.5)
    assert Counter(half["target_lang"]) == {
        "jav": round(100 * expected["ind-jav"]),
        "sun": 100 - round(100 * expected["ind-jav"]),
    }
    # The up-sampled language goes through all of its rows before repeating any.
    assert len({t for t, lang in zip(uniform["target_text"], uniform["target_lang"]) if lang == "sun"}) == 10
    mixed = mix_corpora(both, synthetic_corpus(10), synthetic_ratio=0.1, temperature_alpha=0.0, seed=0)
    assert len(mixed) == 110 and Counter(mixed["target_lang"]) == {"jav": 55, "sun": 55}
