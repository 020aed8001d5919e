"""Loaders of parallel and monolingual text: every format, streaming, cleaning counts and every input error."""

import json
import logging

import pytest
from datasets import Dataset, DatasetDict, IterableDataset

from hf_lowres.data import (
    CORPUS_FEATURES,
    MONOLINGUAL_FEATURES,
    CorpusFormatError,
    corpus_from_pairs,
    load_monolingual,
    load_moses,
    load_multiway_csv,
    load_parallel_corpus,
    load_translation_jsonl,
    validate_corpus,
)


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture
def moses_files(tmp_path):
    # 6 lines: 2 good pairs, a blank line, a pair with one side empty, a duplicate, a good pair.
    eng = write(tmp_path / "corpus.eng", "i like this film\nthe food is bad\n\nhello\ni like this film\nred tree\n")
    jav = write(tmp_path / "corpus.jav", "aku seneng film iki\npanganan ala\n\n\naku seneng film iki\nwit abang\n")
    return eng, jav


def test_moses_pairs_languages_from_extensions_and_cleaning_counts(moses_files, caplog):
    with caplog.at_level(logging.INFO, logger="hf_lowres.data.cleaning"):
        corpus, report = load_moses(*moses_files, return_report=True)
    assert corpus.features == CORPUS_FEATURES
    assert corpus["source_text"] == ["i like this film", "the food is bad", "red tree"]
    assert corpus["target_text"] == ["aku seneng film iki", "panganan ala", "wit abang"]
    assert set(corpus["source_lang"]) == {"eng"} and set(corpus["target_lang"]) == {"jav"}
    assert set(corpus["origin"]) == {"real"} and set(corpus["provenance"]) == {None}
    assert (report.total, report.empty, report.one_side_empty, report.duplicates) == (6, 1, 1, 1)
    assert report.dropped == 3 and report.kept == 3
    assert "1 empty, 1 with one side empty, 1 exact duplicates; dropped 3, kept 3" in caplog.text


def test_moses_keeps_flagged_rows_when_dropping_is_off_but_still_counts_them(moses_files, caplog):
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.cleaning"):
        corpus, report = load_moses(*moses_files, drop_empty=False, drop_duplicates=False, return_report=True)
    assert len(corpus) == 6
    assert (report.empty, report.one_side_empty, report.duplicates, report.dropped) == (1, 1, 1, 0)
    assert "dropped 0, kept 6" in caplog.text  # logged as a warning: flagged rows were kept


def test_moses_explicit_languages_override_extensions(tmp_path):
    a = write(tmp_path / "a.txt", "one\n")
    b = write(tmp_path / "b.txt", "siji\n")
    corpus = load_moses(a, b, source_lang="english", target_lang="jav")
    assert corpus[0]["source_lang"] == "eng" and corpus[0]["target_lang"] == "jav"


def test_moses_unequal_line_counts_names_both_files_and_counts(tmp_path):
    eng = write(tmp_path / "corpus.eng", "a\nb\nc\nd\n")
    jav = write(tmp_path / "corpus.jav", "a\nb\n")
    with pytest.raises(CorpusFormatError) as error:
        load_moses(eng, jav)
    message = str(error.value)
    assert f"{eng} has 4 lines but {jav} has 2 lines" in message
    with pytest.raises(CorpusFormatError, match="has 2 lines but .* has 4 lines"):
        load_moses(jav, eng, source_lang="jav", target_lang="eng")


def test_moses_empty_file(tmp_path):
    eng = write(tmp_path / "corpus.eng", "")
    jav = write(tmp_path / "corpus.jav", "siji\n")
    with pytest.raises(CorpusFormatError, match=r"corpus\.eng: the file is empty; expected one sentence per line"):
        load_moses(eng, jav)


def test_undecodable_bytes_name_file_and_line(tmp_path):
    eng = write(tmp_path / "corpus.eng", b"one\ntwo\nth\xffree\n")
    jav = write(tmp_path / "corpus.jav", "siji\nloro\ntelu\n")
    with pytest.raises(CorpusFormatError) as error:
        load_moses(eng, jav)
    assert error.value.line == 3 and error.value.path == str(eng)
    assert "line 3: undecodable bytes" in str(error.value) and "expected UTF-8" in str(error.value)


@pytest.mark.parametrize("bad", ["Javanese!", "j", "JAV", "jav_latn"])
def test_ill_formed_language_code(tmp_path, bad):
    a, b = write(tmp_path / "a.txt", "x\n"), write(tmp_path / "b.txt", "y\n")
    with pytest.raises(ValueError, match="ill-formed language code"):
        load_moses(a, b, source_lang="eng", target_lang=bad)


def test_unknown_language_in_file_extension(tmp_path):
    a, b = write(tmp_path / "corpus.eng", "x\n"), write(tmp_path / "corpus.klingon", "y\n")
    with pytest.raises(CorpusFormatError, match=r"corpus\.klingon: the file extension 'klingon' is not a language"):
        load_moses(a, b)


def test_streaming_moses_matches_in_memory_and_rereads(moses_files, caplog):
    stream = load_moses(*moses_files, streaming=True)
    assert isinstance(stream, IterableDataset)
    rows = list(stream)
    assert rows == list(load_moses(*moses_files))
    # A second pass starts from a fresh duplicate memory (it would otherwise drop everything).
    with caplog.at_level(logging.INFO, logger="hf_lowres.data.cleaning"):
        assert list(stream) == rows
    assert "dropped 3, kept 3" in caplog.text


def test_streaming_reads_lazily_and_reports_errors_when_reached(tmp_path):
    eng = write(tmp_path / "corpus.eng", "".join(f"line {i}\n" for i in range(50)))
    jav = write(tmp_path / "corpus.jav", "".join(f"baris {i}\n" for i in range(49)))
    stream = load_moses(eng, jav, streaming=True)
    first = list(stream.take(10))
    assert [row["source_text"] for row in first] == [f"line {i}" for i in range(10)]
    with pytest.raises(CorpusFormatError, match="has 50 lines but .* has 49 lines"):
        list(stream)


NUSAX_LIKE = (
    ",indonesian,javanese,english\n"
    '0,"Saya suka, sangat",Aku seneng banget,I like it a lot\n'
    "1,Makanan enak,Panganan enak,Tasty food\n"
    "2,,Ora ana,Nothing\n"
    "3,Makanan enak,Panganan enak,Tasty food\n"
)


def test_multiway_csv_maps_language_names_to_codes(tmp_path):
    path = write(tmp_path / "train.csv", NUSAX_LIKE)
    corpus, report = load_multiway_csv(path, "ind", "jav", return_report=True)
    assert corpus["source_text"] == ["Saya suka, sangat", "Makanan enak"]
    assert corpus["target_text"] == ["Aku seneng banget", "Panganan enak"]
    assert corpus[0]["source_lang"] == "ind" and corpus[0]["target_lang"] == "jav"
    assert (report.one_side_empty, report.duplicates) == (1, 1)
    other = load_multiway_csv(path, "english", "javanese")
    assert other[0]["source_text"] == "I like it a lot" and other[0]["source_lang"] == "eng"


def test_multiway_csv_explicit_columns_and_tsv(tmp_path):
    path = write(tmp_path / "pairs.tsv", "src\ttgt\nhello world\thalo donya\nred\tabang\n")
    corpus = load_multiway_csv(path, "eng", "jav", columns={"eng": "src", "jav": "tgt"})
    assert corpus["source_text"] == ["hello world", "red"] and corpus["target_text"] == ["halo donya", "abang"]
    streamed = list(load_multiway_csv(path, "eng", "jav", columns={"eng": "src", "jav": "tgt"}, streaming=True))
    assert [row["target_text"] for row in streamed] == ["halo donya", "abang"]


def test_multiway_csv_missing_column_lists_columns_found(tmp_path):
    path = write(tmp_path / "train.csv", NUSAX_LIKE)
    with pytest.raises(CorpusFormatError) as error:
        load_multiway_csv(path, "ind", "sun")
    message = str(error.value)
    assert "missing column for language 'sun'" in message
    assert "columns found: ['', 'indonesian', 'javanese', 'english']" in message
    assert str(path) in message


def test_multiway_csv_row_with_wrong_field_count_names_line(tmp_path):
    path = write(tmp_path / "train.csv", "eng,jav\na,b\nc,d,e\n")
    with pytest.raises(CorpusFormatError, match=r"train\.csv, line 3: expected 2 fields .*found 3"):
        load_multiway_csv(path, "eng", "jav")


def test_multiway_csv_header_only_and_empty(tmp_path):
    with pytest.raises(CorpusFormatError, match="header but no rows"):
        load_multiway_csv(write(tmp_path / "h.csv", "eng,jav\n"), "eng", "jav")
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_multiway_csv(write(tmp_path / "e.csv", ""), "eng", "jav")


def test_multiway_csv_unknown_language_name(tmp_path):
    path = write(tmp_path / "train.csv", NUSAX_LIKE)
    with pytest.raises(ValueError, match="'klingonese'.*not a known language name"):
        load_multiway_csv(path, "ind", "klingonese")


def jsonl(rows):
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_translation_jsonl_infers_languages_and_cleans(tmp_path):
    rows = [
        {"translation": {"eng": "good movie", "jav": "film apik"}},
        {"translation": {"eng": "good movie", "jav": "film apik"}},
        {"translation": {"eng": "", "jav": "ora"}},
        {"translation": {"eng": "the cat", "jav": "kucing"}, "id": 7},
    ]
    path = write(tmp_path / "train.jsonl", jsonl(rows) + "\n")
    corpus, report = load_translation_jsonl(path, return_report=True)
    assert corpus["source_text"] == ["good movie", "the cat"] and corpus[0]["target_lang"] == "jav"
    assert (report.total, report.empty, report.one_side_empty, report.duplicates) == (5, 1, 1, 1)
    reverse = load_translation_jsonl(path, source_lang="jav", target_lang="eng")
    assert reverse[0]["source_text"] == "film apik" and reverse[0]["source_lang"] == "jav"
    assert list(load_translation_jsonl(path, streaming=True)) == list(corpus)


def test_translation_jsonl_errors(tmp_path):
    path = write(
        tmp_path / "a.jsonl", jsonl([{"translation": {"eng": "a", "jav": "b"}}, {"translation": {"eng": "c"}}])
    )
    with pytest.raises(
        CorpusFormatError, match=r"a\.jsonl, line 2: the translation has no 'jav' entry; languages found: \['eng'\]"
    ):
        load_translation_jsonl(path, "eng", "jav")
    path = write(tmp_path / "b.jsonl", '{"translation": {"eng": "a", "jav": "b"}}\n{"eng": "x"\n')
    with pytest.raises(CorpusFormatError, match=r"b\.jsonl, line 2: not valid JSON"):
        load_translation_jsonl(path, "eng", "jav")
    path = write(tmp_path / "c.jsonl", jsonl([{"text": "a"}]))
    with pytest.raises(CorpusFormatError, match=r"line 1: expected a 'translation' object.*fields found: \['text'\]"):
        load_translation_jsonl(path, "eng", "jav")
    path = write(tmp_path / "d.jsonl", jsonl([{"translation": {"english": "a", "jav": "b"}}]))
    assert load_translation_jsonl(path)[0]["source_lang"] == "eng"  # a key given by language name becomes its code
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_translation_jsonl(write(tmp_path / "e.jsonl", ""), "eng", "jav")


def test_translation_jsonl_rejects_ill_formed_key(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl([{"translation": {"EN-us": "a", "jav": "b"}}]))
    with pytest.raises(CorpusFormatError, match="ill-formed language code"):
        load_translation_jsonl(path)


def test_monolingual_text_file_counts_and_streaming(tmp_path):
    path = write(tmp_path / "jav.txt", "aku seneng\n\n  iki apik  \naku seneng\nkuwi ala\n")
    data, report = load_monolingual(path, "jav", return_report=True)
    assert data.features == MONOLINGUAL_FEATURES
    assert data["text"] == ["aku seneng", "iki apik", "kuwi ala"] and set(data["lang"]) == {"jav"}
    assert (report.total, report.empty, report.duplicates, report.dropped) == (5, 1, 1, 2)
    assert list(load_monolingual(path, "jav", streaming=True)) == list(data)
    assert len(load_monolingual(path, "jav", drop_empty=False, drop_duplicates=False)) == 5


def test_monolingual_columns_of_csv_jsonl_parquet(tmp_path):
    csv_path = write(tmp_path / "m.csv", "id,text\n1,aku\n2,kowe\n")
    assert load_monolingual(csv_path, "jav", column="text")["text"] == ["aku", "kowe"]
    jsonl_path = write(tmp_path / "m.jsonl", jsonl([{"text": "aku"}, {"text": "kowe"}]))
    assert load_monolingual(jsonl_path, "jav", column="text")["text"] == ["aku", "kowe"]
    parquet_path = tmp_path / "m.parquet"
    Dataset.from_dict({"sentence": ["aku", "kowe", "aku"]}).to_parquet(str(parquet_path))
    assert load_monolingual(parquet_path, "jav", column="sentence")["text"] == ["aku", "kowe"]
    with pytest.raises(
        CorpusFormatError, match=r"m\.csv, line 1: missing column 'sentence'; columns found: \['id', 'text'\]"
    ):
        load_monolingual(csv_path, "jav", column="sentence")
    with pytest.raises(CorpusFormatError, match=r"missing column 'text'; columns found: \['sentence'\]"):
        load_monolingual(parquet_path, "jav", column="text")
    with pytest.raises(CorpusFormatError, match=r"m\.jsonl, line 1: missing field 'sentence'"):
        load_monolingual(jsonl_path, "jav", column="sentence")


def test_monolingual_errors(tmp_path):
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_monolingual(write(tmp_path / "e.txt", ""), "jav")
    with pytest.raises(CorpusFormatError, match=r"b\.txt, line 2: undecodable bytes"):
        load_monolingual(write(tmp_path / "b.txt", b"ok\n\xc3\x28\n"), "jav")
    with pytest.raises(ValueError, match="ill-formed"):
        load_monolingual(write(tmp_path / "c.txt", "x\n"), "Java nese")


def test_local_directory_of_parquet_in_schema_round_trips(tmp_path):
    real = corpus_from_pairs(["a b", "c d", "c d"], ["x y", "z w", "z w"], "ind", "jav")
    (tmp_path / "repo" / "data").mkdir(parents=True)
    real.to_parquet(str(tmp_path / "repo" / "data" / "train-00000-of-00001.parquet"))
    real.select([0]).to_parquet(str(tmp_path / "repo" / "data" / "test-00000-of-00001.parquet"))
    loaded = load_parallel_corpus(tmp_path / "repo", cache_dir=str(tmp_path / "cache"))
    assert isinstance(loaded, DatasetDict) and sorted(loaded) == ["test", "train"]
    assert loaded["train"].features == CORPUS_FEATURES
    assert loaded["train"]["source_text"] == ["a b", "c d"]  # the duplicate was dropped
    test = load_parallel_corpus(tmp_path / "repo", split="test", cache_dir=str(tmp_path / "cache"))
    assert test["target_text"] == ["x y"]
    streamed = load_parallel_corpus(tmp_path / "repo", split="train", streaming=True, cache_dir=str(tmp_path / "c2"))
    assert [row["source_text"] for row in streamed] == ["a b", "c d"]


def test_local_directory_of_json_translation_and_csv_columns(tmp_path):
    (tmp_path / "j").mkdir()
    write(tmp_path / "j" / "train.jsonl", jsonl([{"translation": {"eng": "red", "jav": "abang"}}]))
    corpus = load_parallel_corpus(tmp_path / "j", "eng", "jav", split="train", cache_dir=str(tmp_path / "cache"))
    assert corpus[0]["source_text"] == "red" and corpus[0]["target_lang"] == "jav"
    (tmp_path / "c").mkdir()
    write(tmp_path / "c" / "train.csv", "english,javanese\nred,abang\nblue,biru\n")
    corpus = load_parallel_corpus(tmp_path / "c", "eng", "jav", split="train", cache_dir=str(tmp_path / "cache"))
    assert corpus["target_text"] == ["abang", "biru"] and corpus.features == CORPUS_FEATURES


def test_local_directory_missing_columns_are_listed(tmp_path):
    (tmp_path / "r").mkdir()
    write(tmp_path / "r" / "train.csv", "foo,bar\n1,2\n")
    with pytest.raises(CorpusFormatError, match=r"missing corpus column\(s\).*columns found: \['foo', 'bar'\]"):
        load_parallel_corpus(tmp_path / "r", cache_dir=str(tmp_path / "cache"))
    with pytest.raises(CorpusFormatError, match=r"missing column for language 'eng'.*columns found: \['foo', 'bar'\]"):
        load_parallel_corpus(tmp_path / "r", "eng", "jav", cache_dir=str(tmp_path / "cache"))


def test_validate_corpus_names_bad_row(tmp_path):
    good = corpus_from_pairs(["a"], ["b"], "ind", "jav")
    bad = good.map(lambda row: {"target_lang": "Javanese"})
    with pytest.raises(CorpusFormatError, match="row 0: target_lang 'Javanese' is an ill-formed language code"):
        validate_corpus(bad, "my-corpus")
    with pytest.raises(CorpusFormatError, match="row 0: origin 'made-up'"):
        validate_corpus(good.map(lambda row: {"origin": "made-up"}), "my-corpus")
