"""Each corpus filter removes what it should and reports how many rows it removed."""

import logging

import pytest

from hf_lowres.data import (
    CopyFilter,
    DuplicateFilter,
    EmptyFilter,
    LanguageIdFilter,
    LengthRatioFilter,
    Provenance,
    RoundTripChrFFilter,
    corpus_from_rows,
    corpus_row,
    filter_corpus,
)


PROVENANCE = Provenance("tiny-marian", "jav->ind", {"num_beams": 1}, "2026-01-01")


def rows(*pairs, origin="real"):
    provenance = None if origin == "real" else PROVENANCE
    return [corpus_row(s, t, "ind", "jav", origin, provenance) for s, t in pairs]


def test_empty_filter():
    corpus = corpus_from_rows(rows(("a b", "c d"), ("", "x"), ("y", "  "), ("e", "f")))
    result = EmptyFilter()(corpus)
    assert result.removed == 2 and result.dataset["source_text"] == ["a b", "e"]


def test_length_ratio_filter_words_chars_and_max_length():
    corpus = corpus_from_rows(
        rows(("one two", "siji loro"), ("one", "siji loro telu papat"), ("one two three", "siji"), ("aaaa", "bb"))
    )
    result = LengthRatioFilter(max_ratio=2.0)(corpus)
    assert result.removed == 2 and result.dataset["source_text"] == ["one two", "aaaa"]
    assert LengthRatioFilter(max_ratio=1.5, unit="chars")(corpus).removed == 3
    assert LengthRatioFilter(max_ratio=10, max_length=3)(corpus).removed == 1
    with pytest.raises(ValueError, match="max_ratio"):
        LengthRatioFilter(max_ratio=0.5)


def test_copy_filter_removes_near_copies_only():
    corpus = corpus_from_rows(
        rows(
            ("aku seneng film iki", "aku seneng film iki"),  # exact copy
            ("Aku seneng  film iki!", "aku seneng film iki"),  # copy up to case, spacing, punctuation
            ("saya suka film ini", "aku seneng film iki"),  # a real translation
        )
    )
    result = CopyFilter(threshold=0.9)(corpus)
    assert result.removed == 2 and result.dataset["source_text"] == ["saya suka film ini"]
    assert CopyFilter(threshold=1.0)(corpus).removed == 1


def test_duplicate_filter_and_origin_restriction():
    corpus = corpus_from_rows(
        rows(("a", "x"), ("a", "x"), ("a", "y")) + rows(("a", "x"), ("b", "z"), ("b", "w"), origin="back-translated")
    )
    assert DuplicateFilter()(corpus).removed == 2
    assert DuplicateFilter(columns=("source_text",))(corpus).removed == 4
    # Only synthetic rows are checked (against each other): the real duplicates stay.
    result = DuplicateFilter(columns=("source_text",), origins=["back-translated"])(corpus)
    assert result.removed == 1 and result.dataset["target_text"] == ["x", "x", "y", "x", "z"]


def test_round_trip_chrf_filter_scores_and_thresholds():
    corpus = corpus_from_rows(
        rows(("real source", "real target"))
        + rows(
            ("saya suka film ini", "aku seneng film iki"), ("sampah", "aku seneng film iki"), origin="back-translated"
        )
    )
    seen = []

    def translate(sources):  # a fake forward model: good for the first synthetic source, bad for the second
        seen.extend(sources)
        return ["aku seneng film iki" if s.startswith("saya") else "zzz" for s in sources]

    result = RoundTripChrFFilter(translate, threshold=50.0)(corpus)
    assert seen == ["saya suka film ini", "sampah"]  # the real row is not translated
    assert result.removed == 1
    assert result.dataset["source_text"] == ["real source", "saya suka film ini"]
    assert result.dataset["quality"][0] is None and result.dataset["quality"][1] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="returned 1 outputs for 2 inputs"):
        RoundTripChrFFilter(lambda s: ["x"], threshold=1.0)(corpus)


def test_language_id_filter_is_pluggable():
    corpus = corpus_from_rows(rows(("saya suka", "aku seneng"), ("i like it", "aku seneng"), ("saya", "aku")))
    guesses = {"saya suka": ("id", 0.99), "i like it": ("en", 0.9), "saya": ("id", 0.4)}
    to_iso3 = {"id": "ind", "en": "eng"}.get
    result = LanguageIdFilter(lambda text: guesses[text], normalize=to_iso3)(corpus)
    assert result.removed == 1 and result.dataset["source_text"] == ["saya suka", "saya"]
    assert LanguageIdFilter(lambda t: guesses[t], normalize=to_iso3, min_confidence=0.5)(corpus).removed == 2
    both = LanguageIdFilter(lambda text: "ind" if text.startswith("saya") else "jav", side="both")(corpus)
    assert both.removed == 1


def test_filter_corpus_reports_and_logs_each_filter(caplog):
    corpus = corpus_from_rows(
        rows(("a b", "c d"), ("a b", "c d"), ("", "x"), ("same text", "same text"), ("one", "a b c d"))
    )
    with caplog.at_level(logging.INFO, logger="hf_lowres.data.filters"):
        kept, report = filter_corpus(corpus, [EmptyFilter(), DuplicateFilter(), CopyFilter(), LengthRatioFilter()])
    assert report.removed == {"empty": 1, "duplicate": 1, "copy": 1, "length_ratio": 1}
    assert (report.rows_in, report.rows_out) == (5, 1) and kept["source_text"] == ["a b"]
    assert "Filter copy removed 1 of 3 rows" in caplog.text
    assert "5 rows in, 1 out" in str(report)
