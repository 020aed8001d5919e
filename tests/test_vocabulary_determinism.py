"""Vocabulary expansion is reproducible: the same text gives the same target tokenizers, new tokens and extended
`tokenizer.json` in every process, whatever its hash seeds or thread count (huggingface/tokenizers#1794)."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast
from vocabulary_fixtures import tiny_bpe_tokenizer, tiny_unigram_tokenizer, tiny_wordpiece_tokenizer

from hf_lowres.vocabulary import expand_vocabulary, train_target_tokenizer
from hf_lowres.vocabulary.target_tokenizer import UNIGRAM_SCORE_DECIMALS


TESTS_DIR = Path(__file__).resolve().parent


def tied_corpus(seed: int, num_words: int = 200, repeats: int = 2) -> list[str]:
    """Made-up words of 2-4 consonant-vowel syllables, each used `repeats` times, 8 to a line: many character pairs
    are exactly as frequent as others, so which merge wins hinges on how the trainer breaks ties."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdgjklmnprstw" for v in "aeiou"]
    words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(num_words)})
    return [" ".join(words[i : i + 8]) for i in range(0, len(words), 8)] * repeats


def tiny_bpe_suffix_tokenizer() -> PreTrainedTokenizerFast:
    """A character BPE tokenizer with an end-of-word suffix (`a</w>`), like the original GPT's and CLIP's."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = {t: i for i, t in enumerate(["<unk>", "<pad>", *letters, *(c + "</w>" for c in letters)])}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>", end_of_word_suffix="</w>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>")


BASES = {
    "wordpiece": tiny_wordpiece_tokenizer,
    "unigram": tiny_unigram_tokenizer,
    "bpe": tiny_bpe_tokenizer,
    "bpe_suffix": tiny_bpe_suffix_tokenizer,
}
# The expansions the two processes compare; BPE with an end-of-word suffix only trains a target tokenizer.
EXPANDED = ("wordpiece", "unigram", "bpe")


def write_expansions(out: Path) -> None:
    """What the two processes of `test_two_fresh_processes_expand_identically` each write: per base tokenizer, its
    target tokenizer, and (`EXPANDED`) a three-language expansion's `tokenizer.json` and new tokens."""
    for kind, make_base in BASES.items():
        base = make_base()
        (out / f"{kind}_target.json").write_text(train_target_tokenizer(base, tied_corpus(0), vocab_size=200).to_str())
        if kind not in EXPANDED:
            continue
        texts = {"aaa": tied_corpus(0), "bbb": tied_corpus(1), "ccc": tied_corpus(2)}
        expansion = expand_vocabulary(None, base, texts, num_new_tokens=1000, target_vocab_size=200)
        expansion.tokenizer.save_pretrained(out / kind)
        tokens = [[t.token, i, t.score] for t, i in zip(expansion.new_tokens, expansion.new_token_ids)]
        (out / f"{kind}_new_tokens.json").write_text(json.dumps(tokens, ensure_ascii=False))


def trained_by_the_trainer_alone(kind: str, base: PreTrainedTokenizerFast, texts: list[str]) -> Tokenizer:
    """The target tokenizer as `tokenizers` trains it with no help (what `train_target_tokenizer` did before)."""
    if kind == "wordpiece":
        model = models.WordPiece(unk_token=base.unk_token, continuing_subword_prefix="##")
        trainer = trainers.WordPieceTrainer(
            vocab_size=200, min_frequency=2, special_tokens=[base.unk_token], continuing_subword_prefix="##"
        )
    else:
        model = models.BPE(unk_token=base.unk_token, end_of_word_suffix="</w>")
        trainer = trainers.BpeTrainer(
            vocab_size=200, min_frequency=2, special_tokens=[base.unk_token], end_of_word_suffix="</w>"
        )
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = base.backend_tokenizer.normalizer
    tokenizer.pre_tokenizer = base.backend_tokenizer.pre_tokenizer
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


@pytest.mark.parametrize("kind", sorted(BASES))
def test_target_tokenizer_is_the_same_on_every_training(kind):
    base = BASES[kind]()
    texts = tied_corpus(0)
    # Each training's hash maps iterate in a new order, within one process too.
    trained = [train_target_tokenizer(base, texts, vocab_size=200) for _ in range(4)]
    assert len({t.to_str() for t in trained}) == 1
    target = trained[0]
    data = json.loads(target.to_str())
    assert [t["content"] for t in data["added_tokens"]] == [base.unk_token]
    if kind == "unigram":
        pieces = data["model"]["vocab"][1:]
        assert all(score == round(score, UNIGRAM_SCORE_DECIMALS) for _, score in pieces)
        assert pieces == sorted(pieces, key=lambda item: (-item[1], item[0]))
        return
    if kind == "bpe":  # no decorated symbols: the trainer alone is deterministic
        assert target.get_vocab_size() == 200
        return
    # The decorated one-character symbols (`##a`, `a</w>`) handed to the trainer are exactly those it makes by
    # itself, and stay plain vocabulary: the vocabulary is as large as the trainer's own, and words segment into them.
    mark = "##" if kind == "wordpiece" else "</w>"

    def symbols(vocab):
        return {t for t in vocab if mark in t and len(t.replace(mark, "")) == 1}

    alone = trained_by_the_trainer_alone(kind, base, texts)
    assert len(symbols(target.get_vocab())) >= 5  # `##` + each letter; `<vowel></w>` (every word ends in a vowel)
    assert symbols(target.get_vocab()) == symbols(alone.get_vocab())
    assert target.get_vocab_size() == alone.get_vocab_size() == 200
    word = texts[0].split()[0]
    pieces = target.encode(word, add_special_tokens=False).tokens
    assert len(pieces) >= 1 and "".join(p.replace(mark, "") for p in pieces) == word


def test_two_fresh_processes_expand_identically(tmp_path):
    # Different Python hash seeds and Rayon thread counts; the Rust hash maps are seeded at random in each process.
    settings = [
        {"PYTHONHASHSEED": "1", "TOKENIZERS_PARALLELISM": "false", "RAYON_NUM_THREADS": "1"},
        {"PYTHONHASHSEED": "2", "TOKENIZERS_PARALLELISM": "true", "RAYON_NUM_THREADS": "2"},
    ]
    code = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import test_vocabulary_determinism as t; "
        "t.write_expansions(pathlib.Path(sys.argv[2]))"
    )
    outs, runs = [], []
    for i, env in enumerate(settings):
        out = tmp_path / f"process_{i}"
        out.mkdir()
        outs.append(out)
        runs.append(
            subprocess.Popen(
                [sys.executable, "-c", code, str(TESTS_DIR), str(out)],
                env=os.environ | env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        for run in runs:
            output, _ = run.communicate(timeout=300)
            assert run.returncode == 0, output
    finally:
        for run in runs:
            run.kill()
    names = sorted(str(p.relative_to(outs[0])) for p in outs[0].rglob("*") if p.is_file())
    assert all(f"{kind}/tokenizer.json" in names for kind in EXPANDED)
    assert names == sorted(str(p.relative_to(outs[1])) for p in outs[1].rglob("*") if p.is_file())
    for kind in EXPANDED:
        tokens = json.loads((outs[0] / f"{kind}_new_tokens.json").read_text())
        assert len(tokens) >= 100, kind
        assert tokens == json.loads((outs[1] / f"{kind}_new_tokens.json").read_text()), kind
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
