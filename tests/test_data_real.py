"""NusaX-MT, NusaX-Senti and MasakhaNER through the public loaders, and the CoNLL loader's errors.

The real-data tests read ../shared/data and skip, saying why, when it is absent.
"""

import pytest
from datasets import ClassLabel, DatasetDict

from hf_lowres.data import (
    CORPUS_FEATURES,
    MASAKHANER_TAGS,
    NUSAX_LANGUAGES,
    CorpusFormatError,
    load_conll,
    load_masakhaner,
    load_nusax_mt,
    load_nusax_sentiment,
)


def test_nusax_mt(shared_data_dir):
    corpus = load_nusax_mt(shared_data_dir, "ind", "jav")
    assert isinstance(corpus, DatasetDict) and {k: len(v) for k, v in corpus.items()} == {
        "train": 500,
        "validation": 100,
        "test": 400,
    }
    assert corpus["train"].features == CORPUS_FEATURES
    first = corpus["train"][0]
    assert first["source_text"].startswith("Nikmati cicilan 0%") and first["target_text"].startswith("Nikmatono")
    assert (first["source_lang"], first["target_lang"], first["origin"]) == ("ind", "jav", "real")
    test = load_nusax_mt(shared_data_dir / "nusax" / "mt", "english", "toba_batak", split="test")
    assert len(test) == 400 and test[0]["target_lang"] == "bbc"


def test_nusax_mt_languages_cover_the_csv_header(shared_data_dir):
    header = (shared_data_dir / "nusax" / "mt" / "train.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[1:] == list(NUSAX_LANGUAGES)


def test_nusax_sentiment(shared_data_dir):
    data = load_nusax_sentiment(shared_data_dir, "jav")
    assert {k: len(v) for k, v in data.items()} == {"train": 500, "validation": 100, "test": 400}
    label = data["train"].features["label"]
    assert isinstance(label, ClassLabel) and label.names == ["negative", "neutral", "positive"]
    labels = data["train"]["label"]
    assert [labels.count(i) for i in range(3)] == [192, 119, 189]
    assert set(data["test"]["lang"]) == {"jav"}
    assert len(load_nusax_sentiment(shared_data_dir / "nusax", "toba_batak", split="validation")) == 100


def test_masakhaner(shared_data_dir):
    data = load_masakhaner(shared_data_dir, "yor")
    assert {k: len(v) for k, v in data.items()} == {"train": 2171, "validation": 305, "test": 645}
    feature = data["train"].features["ner_tags"].feature
    assert isinstance(feature, ClassLabel) and feature.names == MASAKHANER_TAGS
    row = data["train"][0]
    assert len(row["tokens"]) == len(row["ner_tags"]) and row["lang"] == "yor"
    assert len(load_masakhaner(shared_data_dir / "masakhaner", "swahili", split="test")) == 604


def test_conll_parses_sentences_and_infers_tags(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("-DOCSTART- O\n\nEmeka B-PER\nlọ O\nAbuja B-LOC\n\n\nÒ O\nwá O\n", encoding="utf-8")
    data = load_conll(path, "ibo")
    assert data["tokens"] == [["Emeka", "lọ", "Abuja"], ["Ò", "wá"]]
    names = data.features["ner_tags"].feature.names
    assert names == ["O", "B-LOC", "B-PER"]
    assert [[names[i] for i in tags] for tags in data["ner_tags"]] == [["B-PER", "O", "B-LOC"], ["O", "O"]]
    fixed = load_conll(path, "ibo", tag_names=MASAKHANER_TAGS)
    assert fixed["ner_tags"][0] == [1, 0, 5]


def test_conll_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Emeka B-PER\nlọ\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"bad\.txt, line 2: expected `token TAG`, found 'lọ'"):
        load_conll(bad, "ibo")
    bad.write_text("Emeka B-PERSON\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"line 1: unknown tag 'B-PERSON'; expected one of \['O', 'B-PER'"):
        load_conll(bad, "ibo", tag_names=MASAKHANER_TAGS)
    bad.write_bytes(b"Emeka B-PER\n\xff O\n")
    with pytest.raises(CorpusFormatError, match="line 2: undecodable bytes"):
        load_conll(bad, "ibo")
    bad.write_bytes(b"")
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_conll(bad, "ibo")
    with pytest.raises(ValueError, match="not a MasakhaNER 1.0 language"):
        load_masakhaner(tmp_path, "jav")


def test_nusax_missing_folder_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no NusaX folder found"):
        load_nusax_mt(tmp_path)
    with pytest.raises(ValueError, match="not a NusaX language"):
        load_nusax_sentiment(tmp_path, "hau")
