"""Fertility reports and romanization."""

import sys

import pytest
from vocabulary_fixtures import TARGET_TEXTS, tiny_wordpiece_tokenizer

from hf_lowres.vocabulary import expand_vocabulary, fertility, fertility_report, romanize
from hf_lowres.vocabulary import romanization as romanization_module


def test_fertility_counts_tokens_per_whitespace_word():
    tokenizer = tiny_wordpiece_tokenizer()
    assert fertility(tokenizer, ["the movie", "good"]) == 1.0
    assert fertility(tokenizer, ["xyz"]) == 3.0  # x ##y ##z
    assert fertility(tokenizer, []) == 0.0


def test_report_before_and_after_expansion():
    tokenizer = tiny_wordpiece_tokenizer()
    expansion = expand_vocabulary(None, tokenizer, TARGET_TEXTS, num_new_tokens=10, target_vocab_size=200)
    corpora = {"jav": TARGET_TEXTS[0::2], "ind": TARGET_TEXTS[1::2]}
    report = fertility_report(tokenizer, expansion.tokenizer, corpora, name="tiny")
    rows = {row.language: row for row in report.rows}
    for language, texts in corpora.items():
        row = rows[language]
        assert row.words == sum(len(t.split()) for t in texts)
        assert row.fertility_before == pytest.approx(fertility(tokenizer, texts))
        assert row.fertility_after == pytest.approx(fertility(expansion.tokenizer, texts))
        assert row.tokens_saved_percent == pytest.approx(100 * (1 - row.tokens_after / row.tokens_before))
        assert row.tokens_after < row.tokens_before
    total = report.total
    assert total.words == sum(r.words for r in report.rows)
    data = report.to_dict()
    assert data["name"] == "tiny" and [r["language"] for r in data["languages"]] == ["jav", "ind"]
    markdown = report.to_markdown().splitlines()
    assert markdown[0].startswith("| language |") and len(markdown) == 2 + 2 + 1
    assert markdown[-1].startswith("| all |") and f"{total.tokens_saved_percent:.1f}%" in markdown[-1]


def test_romanize_without_uroman_names_the_extra(monkeypatch):
    romanization_module._romanizer.cache_clear()
    monkeypatch.setitem(sys.modules, "uroman", None)
    with pytest.raises(ImportError, match=r"hf-lowres\[romanize\]"):
        romanize("Привет")
    romanization_module._romanizer.cache_clear()


def test_romanize_with_uroman():
    pytest.importorskip("uroman", reason="needs the `hf-lowres[romanize]` extra")
    assert romanize("Привет мир") == "Privet mir"
    assert romanize(["Γειά σου", "kata biasa"]) == ["Geia sou", "kata biasa"]
