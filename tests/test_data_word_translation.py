"""Word translation of labeled data: longest match, seeded choice, labels and BIO tags, provenance, mixing."""

import json

import pytest
from datasets import ClassLabel, Dataset, Features, List, Value

from hf_lowres.data import (
    BT_TAG,
    CorpusFormatError,
    Lexicon,
    balance_languages,
    compose_lexicons,
    translate_dataset,
    translate_text,
    translate_tokens,
    translate_train,
)


ENG_ACE = Lexicon.from_dict(
    {"house": "rumoh", "good": ["get", "mantap", "meuhai"], "a lot of": "le that", "a": "saboh", "food": "peunajoh"},
    "eng",
    "ace",
    name="toy/en_ace",
)
ENG_BAN = Lexicon.from_dict({"house": "umah", "good": ["becik", "luung"], "food": "ajeng-ajengan"}, "eng", "ban")
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def sentiment_rows():
    features = Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "label": ClassLabel(names=["neg", "pos"]),
            "lang": Value("string"),
        }
    )
    texts = ["A lot of good food.", "The house is good", "Nothing here", "good good good good good good"]
    return Dataset.from_dict(
        {"id": [str(i) for i in range(4)], "text": texts, "label": [1, 1, 0, 1], "lang": ["eng"] * 4},
        features=features,
    )


def test_translate_text_longest_match_keeps_unknown_words_punctuation_and_case():
    text, translated, words = translate_text("A lot of houses, a house. A HOUSE!", ENG_ACE)
    assert text == "Le that houses, saboh rumoh. Saboh RUMOH!"  # a one-letter "A" reads as capitalized
    assert (translated, words) == (7, 8)  # "a lot of" counts its 3 words; "houses" is not an entry


def test_choice_among_translations_is_seeded():
    rows = sentiment_rows()
    first = translate_dataset(rows, ENG_ACE, seed=0)
    assert first["text"] == translate_dataset(rows, ENG_ACE, seed=0)["text"]
    choices = first[3]["text"].split()
    assert set(choices) <= {"get", "mantap", "meuhai"} and len(set(choices)) > 1  # drawn per occurrence
    assert any(
        translate_dataset(rows, ENG_ACE, seed=seed)["text"] != first["text"] for seed in range(1, 4)
    )  # another seed, other draws
    assert translate_dataset(rows, ENG_ACE, choice="first")[3]["text"] == " ".join(["get"] * 6)


def test_labels_columns_and_provenance_are_kept_in_the_back_translation_conventions():
    rows = sentiment_rows()
    out = translate_dataset(rows, ENG_ACE, seed=3, date="2026-01-02")
    assert out["label"] == rows["label"] and out["id"] == rows["id"]
    assert out.features["label"] == rows.features["label"]
    assert out["lang"] == ["ace"] * 4
    assert out["origin"] == ["synthetic"] * 4  # the corpus schema's origin for "any other generator"
    assert out["source_row"] == [0, 1, 2, 3]
    assert out["translated_share"] == pytest.approx([5 / 5, 2 / 4, 0.0, 1.0])
    assert out["quality"] == [None] * 4
    provenance = out[0]["provenance"]
    assert set(provenance) == {"model", "direction", "decoding", "date"}  # PROVENANCE_FEATURES, as back-translation
    assert (provenance["model"], provenance["direction"], provenance["date"]) == (
        "toy/en_ace",
        "eng->ace",
        "2026-01-02",
    )
    decoding = json.loads(provenance["decoding"])
    assert decoding["method"] == "lexicon-word-translation" and decoding["seed"] == 3
    tagged = translate_dataset(rows, ENG_ACE, tag=True)
    assert tagged[1]["text"] == f"{BT_TAG} The rumoh is " + tagged[1]["text"].split()[-1]


def test_a_pivot_lexicon_is_reported_as_such():
    ind_eng = Lexicon.from_dict({"rumah": "house"}, "ind", "eng", name="nusax/english.csv")
    ind_ace = Lexicon.from_dict({"rumah": "rumoh"}, "ind", "ace", name="nusax/acehnese.csv")
    pivot = compose_lexicons(ind_eng.invert(), ind_ace)
    out = translate_dataset(sentiment_rows(), pivot)
    assert out[1]["text"].startswith("The rumoh")
    assert out[1]["provenance"]["direction"] == "eng->ind->ace"
    assert out[1]["provenance"]["model"] == "inverse(nusax/english.csv) + nusax/acehnese.csv"


def test_rows_in_another_language_and_missing_columns_are_refused():
    rows = sentiment_rows()
    mixed = Dataset.from_dict({"text": ["a house", "rumah"], "lang": ["eng", "ind"]})
    with pytest.raises(
        CorpusFormatError, match="row 1: lang is 'ind', but the lexicon toy/en_ace translates from 'eng'"
    ):
        translate_dataset(mixed, ENG_ACE)
    with pytest.raises(ValueError, match=r"no column\(s\) \['sentence'\]"):
        translate_dataset(rows, ENG_ACE, text_column="sentence")
    with pytest.raises(ValueError, match="`choice` must be one of"):
        translate_dataset(rows, ENG_ACE, choice="best")


# ---- token classification ----

NER_LEXICON = Lexicon.from_dict(
    {"john": "jon raya", "lives": "tinggal di", "new york": "nuyok", "in new": "WRONG", "big": "rayeuk"}, "eng", "ace"
)


def test_bio_tags_stay_aligned_when_words_split_and_merge():
    tokens = ["John", "lives", "in", "New", "York", ",", "big"]
    tags = ["B-PER", "O", "O", "B-LOC", "I-LOC", "O", "O"]
    new_tokens, new_tags, translated, words = translate_tokens(tokens, NER_LEXICON, tags)
    # "in new" is an entry but spans O and B-LOC: never merged across an entity boundary.
    assert new_tokens == ["Jon", "raya", "tinggal", "di", "in", "Nuyok", ",", "rayeuk"]
    assert new_tags == ["B-PER", "I-PER", "O", "O", "O", "B-LOC", "O", "O"]
    assert (translated, words) == (5, 6)
    # Inside an entity an I- word becoming two gives I- I-; two B- entities in a row are never merged.
    assert translate_tokens(["Big", "John"], NER_LEXICON, ["B-PER", "I-PER"])[:2] == (
        ["Rayeuk", "Jon", "raya"],
        ["B-PER", "I-PER", "I-PER"],
    )
    assert translate_tokens(["New", "York"], NER_LEXICON, ["B-LOC", "B-LOC"])[:2] == (
        ["New", "York"],
        ["B-LOC", "B-LOC"],
    )
    with pytest.raises(ValueError, match="not a BIO tag"):
        translate_tokens(["John"], NER_LEXICON, ["S-PER"])


def test_token_dataset_keeps_classlabel_ids_aligned():
    features = Features(
        {"tokens": List(Value("string")), "ner_tags": List(ClassLabel(names=TAGS)), "lang": Value("string")}
    )
    rows = Dataset.from_dict(
        {"tokens": [["John", "lives", "in", "New", "York"]], "ner_tags": [[1, 0, 0, 3, 4]], "lang": ["eng"]},
        features=features,
    )
    out = translate_dataset(rows, NER_LEXICON, tokens_column="tokens", tags_column="ner_tags")
    assert out.features["ner_tags"] == features["ner_tags"]
    assert out[0]["tokens"] == ["Jon", "raya", "tinggal", "di", "in", "Nuyok"]
    assert [TAGS[t] for t in out[0]["ner_tags"]] == ["B-PER", "I-PER", "O", "O", "O", "B-LOC"]
    assert out[0]["translated_share"] == pytest.approx(4 / 5)
    strings = Dataset.from_dict({"tokens": [["John", "lives"]], "tags": [["B-PER", "O"]]})
    out = translate_dataset(strings, NER_LEXICON, tokens_column="tokens", tags_column="tags")
    assert out[0]["tags"] == ["B-PER", "I-PER", "O", "O"]
    unnamed = Dataset.from_dict({"tokens": [["John"]], "tags": [[1]]})
    with pytest.raises(ValueError, match="pass `tag_names`"):
        translate_dataset(unnamed, NER_LEXICON, tokens_column="tokens", tags_column="tags")
    out = translate_dataset(unnamed, NER_LEXICON, tokens_column="tokens", tags_column="tags", tag_names=TAGS)
    assert out[0]["tags"] == [1, 2]


# ---- mixing ----


def test_translate_train_mixes_with_real_rows_through_the_existing_balancing():
    rows = sentiment_rows()
    mixed = translate_train(rows, {"ace": ENG_ACE, "ban": ENG_BAN}, seed=0)
    assert len(mixed) == 12
    assert mixed["lang"] == ["eng"] * 4 + ["ace"] * 4 + ["ban"] * 4
    assert mixed["origin"] == ["real"] * 4 + ["synthetic"] * 8
    assert mixed["provenance"][:4] == [None] * 4 and mixed["translated_share"][:4] == [None] * 4
    assert mixed["source_row"] == [0, 1, 2, 3] * 3
    assert list(mixed["label"]) == list(rows["label"]) * 3
    # More English than Indonesian: temperature balancing (mixing.py, unchanged) evens the languages out.
    unbalanced = translate_train(rows, [ENG_ACE]).select(range(6))  # 4 eng + 2 ace
    balanced = balance_languages(unbalanced, alpha=0.0, num_samples=8, key="lang", seed=0)
    assert sorted(balanced["lang"]) == ["ace"] * 4 + ["eng"] * 4
    assert {row["origin"] for row in balanced if row["lang"] == "ace"} == {"synthetic"}
    assert all(row["provenance"]["direction"] == "eng->ace" for row in balanced if row["lang"] == "ace")


def test_real_gatitos_word_translation_of_nusax_english(shared_data_dir):
    from hf_lowres.data import load_lexicon, load_nusax_sentiment

    lexicon_path = shared_data_dir / "gatitos" / "en_ace.tsv"
    if not lexicon_path.is_file() or not (shared_data_dir / "nusax" / "sentiment").is_dir():
        pytest.skip("GATITOS or NusaX sentiment not found")
    english = load_nusax_sentiment(shared_data_dir / "nusax", "eng", split="train").select(range(50))
    out = translate_dataset(english, load_lexicon(lexicon_path), seed=0)
    assert out["label"] == english["label"] and set(out["lang"]) == {"ace"}
    shares = out["translated_share"]
    assert 0.5 < sum(shares) / len(shares) < 1.0  # GATITOS covers most of NusaX's English words, not all
    assert sum(a != b for a, b in zip(out["text"], english["text"])) >= 45
