"""Tests for `hf_lowres.data.overlap`: normalized exact-match overlap between training signals and held-out sets."""

import pytest

from hf_lowres.data.overlap import SentenceOverlapError, find_overlaps, normalize_sentence


def test_normalize_sentence_folds_width_case_and_whitespace():
    # NFKC turns the full-width letters into ASCII, casefold lowers (and folds the German sharp s), whitespace runs
    # (tab, non-breaking space, newline) collapse to one space.
    assert normalize_sentence("  Ｔhe\u00a0FOOD\twas\n great STRASSE ") == "the food was great strasse"
    assert normalize_sentence("Straße") == normalize_sentence("STRASSE")
    assert normalize_sentence("the food") != normalize_sentence("the foods")
    with pytest.raises(TypeError, match="expects a str"):
        normalize_sentence(None)


def test_find_overlaps_counts_per_signal_and_reference_and_raises_with_examples():
    signals = {
        "pairs_source": ["A good film.", "Unrelated sentence", "a GOOD  film."],
        "unlabeled": ["Bad service", "", "   "],
    }
    references = {"test": ["a good film.", "nothing else"], "labeled": ["bad service"]}
    report = find_overlaps(signals, references)
    # Both spellings of the film sentence match the test set (counted with repetition); the empty strings are not
    # sentences: they neither match nor count in the sizes.
    assert report.counts == {"pairs_source": {"test": 2, "labeled": 0}, "unlabeled": {"test": 0, "labeled": 1}}
    assert report.sizes == {"pairs_source": 3, "unlabeled": 1}
    assert report.total == 3
    assert report.per_signal() == {"pairs_source": 2, "unlabeled": 1}
    assert [(m.signal, m.index, m.reference) for m in report.examples] == [
        ("pairs_source", 0, "test"),
        ("pairs_source", 2, "test"),
        ("unlabeled", 0, "labeled"),
    ]
    assert report.to_dict()["total"] == 3
    assert report.summary() == "overlap check: 3 shared sentences (pairs_source 2 of 3, unlabeled 1 of 1)"
    with pytest.raises(SentenceOverlapError) as error:
        report.raise_if_any("arm D")
    message = str(error.value)
    assert message.startswith("arm D: 3 training sentence(s)")
    assert "pairs_source vs test: 2" in message and "unlabeled vs labeled: 1" in message
    assert "pairs_source[2] in test: 'a GOOD  film.'" in message


def test_find_overlaps_skip_and_disjoint_data():
    signals = {"labeled": ["great food", "slow waiter"], "pairs": ["new sentence"]}
    references = {"labeled_set": ["Great food", "slow waiter"], "test": ["another one"]}
    # The labeled rows are the labeled set: skipping that pair leaves them checked against test only.
    report = find_overlaps(signals, references, skip=[("labeled", "labeled_set")])
    assert report.counts == {"labeled": {"test": 0}, "pairs": {"labeled_set": 0, "test": 0}}
    assert report.total == 0 and report.examples == []
    report.raise_if_any()  # nothing to raise
    assert find_overlaps(signals, references).counts["labeled"]["labeled_set"] == 2
    with pytest.raises(ValueError, match=r"`skip` names \['labeld'\]"):
        find_overlaps(signals, references, skip=[("labeld", "test")])


def test_find_overlaps_keeps_at_most_max_examples_per_pair():
    report = find_overlaps({"rows": ["x"] * 10}, {"test": ["X"]}, max_examples=3)
    assert report.counts["rows"]["test"] == 10
    assert len(report.examples) == 3
