"""Loaders keep every row or say why (issue 14): each malformed input either raises `CorpusFormatError` naming the
file, line and column (or field), or is a documented normalization whose count is logged; every dropped row is
counted by reason at WARNING level; a file without a row holding text raises in every loader."""

import io
import json
import logging
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hf_lowres.data import (
    CorpusFormatError,
    load_conll,
    load_monolingual,
    load_moses,
    load_multiway_csv,
    load_nusax_sentiment,
    load_parallel_corpus,
    load_translation_jsonl,
    monolingual,
    text_reading,
)
from hf_lowres.data.cleaning import RowCleaner


def write(path, data):
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl(rows):
    return "".join(json.dumps(row) + "\n" for row in rows)


# JSON values that are not strings: `0` and `false` are not empty texts, a number or list is not a text.


@pytest.mark.parametrize(
    "value, kind", [(0, "a number"), (False, "a boolean"), (5, "a number"), (["a", "b"], "a list"), ({}, "an object")]
)
def test_jsonl_non_string_text_names_file_line_and_field(tmp_path, value, kind):
    path = write(tmp_path / "m.jsonl", jsonl([{"text": "aku"}, {"text": value}, {"text": "kowe"}]))
    with pytest.raises(CorpusFormatError, match=rf"m\.jsonl, line 2: field 'text' holds {kind} .*not a string"):
        load_monolingual(path, "jav", column="text")
    with pytest.raises(CorpusFormatError, match=r"line 2: field 'text'"):
        list(load_monolingual(path, "jav", column="text", streaming=True))


def test_jsonl_null_is_an_empty_text_counted_as_empty(tmp_path):
    path = write(tmp_path / "m.jsonl", jsonl([{"text": "aku"}, {"text": None}, {"text": "kowe"}]))
    data, report = load_monolingual(path, "jav", column="text", return_report=True)
    assert data["text"] == ["aku", "kowe"] and (report.total, report.empty, report.dropped) == (3, 1, 1)


def test_translation_jsonl_non_string_text(tmp_path):
    rows = [{"translation": {"eng": "one", "jav": "siji"}}, {"translation": {"eng": 0, "jav": "nol"}}]
    path = write(tmp_path / "t.jsonl", jsonl(rows))
    with pytest.raises(CorpusFormatError, match=r"t\.jsonl, line 2: field 'translation\.eng' holds a number \(0\)"):
        load_translation_jsonl(path, "eng", "jav")


def test_parallel_corpus_directory_with_non_string_texts(tmp_path):
    (tmp_path / "j").mkdir()
    rows = [{"translation": {"eng": "one", "jav": "siji"}}, {"translation": {"eng": "zero", "jav": 0}}]
    write(tmp_path / "j" / "train.jsonl", jsonl(rows))
    with pytest.raises(CorpusFormatError, match=r"row 1: column 'translation\.jav' holds int 0, not a string"):
        load_parallel_corpus(tmp_path / "j", "eng", "jav", split="train", cache_dir=str(tmp_path / "cache"))


def test_jsonl_unpaired_surrogate_names_line_and_field(tmp_path):
    path = write(tmp_path / "s.jsonl", '{"text": "aku"}\n{"text": "a\\ud800b"}\n')
    with pytest.raises(CorpusFormatError, match=r"s\.jsonl, line 2: field 'text' holds an unpaired surrogate"):
        load_monolingual(path, "jav", column="text")


def test_row_cleaner_rejects_non_text_with_a_clear_error():
    with pytest.raises(TypeError, match=r"corpus: row 1: expected text \(str\), got int"):
        RowCleaner("corpus").keep(5)


# Line ends: a lone CR ends a line (universal newlines), counted and logged.


def test_lone_cr_line_ends_are_lines_and_counted(tmp_path, caplog):
    path = write(tmp_path / "mac.txt", "one\rtwo\rthree\r")
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.text_reading"):
        data = load_monolingual(path, "jav")
    assert data["text"] == ["one", "two", "three"]
    assert "mac.txt: 3 line(s) ended with a lone carriage return" in caplog.text
    mixed = write(tmp_path / "mixed.txt", "one\r\ntwo\rthree\n\rfive")
    assert load_monolingual(mixed, "jav", drop_empty=False)["text"] == ["one", "two", "three", "", "five"]


def test_lone_cr_keeps_moses_files_aligned_and_csv_readable(tmp_path):
    eng = write(tmp_path / "c.eng", "one\rtwo\rthree\r")
    jav = write(tmp_path / "c.jav", "siji\nloro\ntelu\n")
    corpus = load_moses(eng, jav)
    assert corpus["source_text"] == ["one", "two", "three"] and corpus["target_text"] == ["siji", "loro", "telu"]
    table = write(tmp_path / "t.csv", "eng,jav\rone,siji\rtwo,loro\r")
    assert load_multiway_csv(table, "eng", "jav")["target_text"] == ["siji", "loro"]


def test_line_splitting_matches_universal_newlines_across_block_edges(tmp_path, monkeypatch):
    # Blocks of 3 bytes: CRLF pairs and lines are cut between reads, as a long line or a CR-only file would be.
    monkeypatch.setattr(text_reading, "_BLOCK", 3)
    rng = random.Random(0)
    for i in range(200):
        data = "x" + "".join(rng.choice(["ab", "c", "\r", "\n", "\r\n"]) for _ in range(rng.randint(1, 12)))
        expected = io.StringIO(data, newline=None).read().split("\n")
        if expected[-1] == "":
            expected.pop()
        path = write(tmp_path / f"{i}.txt", data)
        assert [line for _, line in text_reading.iter_lines(path)] == expected, data


def test_error_line_numbers_count_lone_cr_lines(tmp_path):
    path = write(tmp_path / "b.txt", b"one\rtwo\rth\x00ree\n")
    with pytest.raises(CorpusFormatError, match=r"b\.txt, line 3, column 3: a NUL character"):
        load_monolingual(path, "jav")


# Columns: a language (or text column) found twice is an error, not the first one silently.


def test_two_columns_for_one_language(tmp_path):
    path = write(tmp_path / "two.csv", "eng,jav,jav\na,b,c\n")
    with pytest.raises(
        CorpusFormatError,
        match=r"two\.csv, line 1: 2 columns hold language 'jav': \['jav', 'jav'\] \(fields \[2, 3\]\)",
    ):
        load_multiway_csv(path, "eng", "jav")
    path = write(tmp_path / "names.csv", "eng,jav,javanese\na,b,c\n")
    with pytest.raises(CorpusFormatError, match=r"\['jav', 'javanese'\].*Pass `columns="):
        load_multiway_csv(path, "eng", "jav")
    assert load_multiway_csv(path, "eng", "jav", columns={"jav": "javanese"})["target_text"] == ["c"]


def test_text_column_named_twice(tmp_path):
    path = write(tmp_path / "m.csv", "text,id,text\naku,1,kowe\n")
    with pytest.raises(
        CorpusFormatError, match=r"m\.csv, line 1: 2 header columns are named 'text' \(fields \[1, 3\]\)"
    ):
        load_monolingual(path, "jav", column="text")


# NUL characters are errors naming line and column.


def test_nul_characters_name_line_and_column(tmp_path):
    with pytest.raises(CorpusFormatError, match=r"n\.txt, line 2, column 2: a NUL character") as error:
        load_monolingual(write(tmp_path / "n.txt", "aku\na\x00b\n"), "jav")
    assert (error.value.line, error.value.column) == (2, 2)
    with pytest.raises(CorpusFormatError, match=r"n\.csv, line 3, column 4: a NUL character"):
        load_multiway_csv(write(tmp_path / "n.csv", "eng,jav\na,b\nc,d\x00\n"), "eng", "jav")
    with pytest.raises(CorpusFormatError, match=r"n\.jsonl, line 1: field 'text' holds a NUL character"):
        load_monolingual(write(tmp_path / "n.jsonl", '{"text": "a\\u0000b"}\n'), "jav", column="text")
    parquet = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": ["aku", "a\x00b"]}), parquet)
    with pytest.raises(CorpusFormatError, match=r"n\.parquet: row 1: column 'text' holds a NUL character"):
        load_monolingual(parquet, "jav", column="text")
    with pytest.raises(CorpusFormatError, match=r"n\.conll, line 1, column 4: a NUL character"):
        load_conll(write(tmp_path / "n.conll", "Ali\x00 B-PER\n"), "hau")


def test_parquet_column_that_is_not_text(tmp_path):
    parquet = tmp_path / "i.parquet"
    pq.write_table(pa.table({"text": [0, 1]}), parquet)
    with pytest.raises(CorpusFormatError, match=r"i\.parquet: column 'text' has type int64; expected a string column"):
        load_monolingual(parquet, "jav", column="text")


# One rule for "no rows": a file without a row holding text raises, in every loader, whatever drop_empty says.


@pytest.mark.parametrize("drop_empty", [True, False])
def test_all_blank_text_file_raises_like_an_empty_one(tmp_path, drop_empty):
    path = write(tmp_path / "blank.txt", "\n  \n\n")
    with pytest.raises(CorpusFormatError, match=r"blank\.txt: no row holds text: 3 rows read, all empty"):
        load_monolingual(path, "jav", drop_empty=drop_empty)
    with pytest.raises(CorpusFormatError, match="no row holds text"):
        list(load_monolingual(path, "jav", streaming=True, drop_empty=drop_empty))
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_monolingual(write(tmp_path / "empty.txt", ""), "jav", drop_empty=drop_empty)


def test_no_rows_rule_in_every_loader(tmp_path):
    # A second file of a list that holds no text is named, although the first one has text.
    good = write(tmp_path / "good.txt", "aku\n")
    with pytest.raises(CorpusFormatError, match=r"blank\.jsonl: no row holds text: 2 rows read"):
        load_monolingual([good, write(tmp_path / "blank.jsonl", '{"text": ""}\n\n')], "jav", column="text")
    eng, jav = write(tmp_path / "c.eng", "a\n\n"), write(tmp_path / "c.jav", "\nb\n")
    with pytest.raises(CorpusFormatError, match=r"c\.jav: no row holds text: 2 rows read \(0 empty, 2 with one side"):
        load_moses(eng, jav)
    with pytest.raises(CorpusFormatError, match="no row holds text"):
        list(load_moses(eng, jav, streaming=True))
    with pytest.raises(CorpusFormatError, match=r"e\.csv \(eng, jav\): no row holds text: 2 rows read \(2 empty\)"):
        load_multiway_csv(write(tmp_path / "e.csv", "eng,jav\n,\n , \n"), "eng", "jav")
    with pytest.raises(CorpusFormatError, match=r"t\.jsonl: no row holds text"):
        load_translation_jsonl(write(tmp_path / "t.jsonl", jsonl([{"translation": {"eng": "", "jav": None}}])))
    with pytest.raises(CorpusFormatError, match=r"b\.conll: no sentences found"):
        load_conll(write(tmp_path / "b.conll", "\n\n"), "hau")
    (tmp_path / "dir").mkdir()
    write(tmp_path / "dir" / "train.csv", "english,javanese\n,abang\n")
    with pytest.raises(CorpusFormatError, match=r"\[train\]: no row holds text"):
        load_parallel_corpus(tmp_path / "dir", "eng", "jav", cache_dir=str(tmp_path / "cache"))


# NusaX: duplicate ids are errors; empty texts are dropped, counted and logged as a warning.


def nusax_sentiment(tmp_path, rows):
    for language in ("indonesian", "javanese"):
        (tmp_path / "sentiment" / language).mkdir(parents=True, exist_ok=True)
        for stem in ("train", "valid", "test"):
            write(tmp_path / "sentiment" / language / f"{stem}.csv", "id,text,label\n" + rows)
    return tmp_path


def test_nusax_sentiment_duplicate_ids_name_both_lines(tmp_path):
    root = nusax_sentiment(tmp_path, "1,aku seneng,positive\n2,ala,negative\n1,kowe,neutral\n")
    with pytest.raises(CorpusFormatError, match=r"train\.csv, line 4: id '1' was already used on line 2"):
        load_nusax_sentiment(root, "jav", split="train")


def test_nusax_sentiment_empty_texts_dropped_and_counted(tmp_path, caplog):
    root = nusax_sentiment(tmp_path, '1,aku seneng,positive\n2,"  ",negative\n3,,neutral\n')
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.nusax"):
        data = load_nusax_sentiment(root, "jav", split="train")
    assert data["id"] == ["1"] and data["text"] == ["aku seneng"]
    assert "train.csv: read 3 rows; 2 with an empty text, dropped; kept 1." in caplog.text
    assert load_nusax_sentiment(root, "jav", split="train", drop_empty=False)["id"] == ["1", "2", "3"]
    root = nusax_sentiment(tmp_path / "blank", "1,,positive\n")
    with pytest.raises(CorpusFormatError, match=r"train\.csv: no row holds text"):
        load_nusax_sentiment(root, "jav", split="train")


def test_nusax_sentiment_header_naming_text_twice(tmp_path):
    (tmp_path / "sentiment" / "indonesian").mkdir(parents=True)
    (tmp_path / "sentiment" / "javanese").mkdir()
    write(tmp_path / "sentiment" / "javanese" / "train.csv", "id,text,text,label\n1,a,b,positive\n")
    with pytest.raises(CorpusFormatError, match=r"line 1: 2 header columns are named 'text'"):
        load_nusax_sentiment(tmp_path, "jav", split="train")


# CSV quoting: errors name the line and column where the faulty field starts.


def test_unterminated_quote_is_reported_where_it_opens(tmp_path):
    path = write(tmp_path / "q.csv", 'eng,jav\n"a,b\nc,d\ne,f\ng,h\n')
    with pytest.raises(CorpusFormatError, match=r"q\.csv, line 2, column 1: a quoted field opens here and is never"):
        load_multiway_csv(path, "eng", "jav")
    # In the last column the field count matched, and the rest of the file became one text.
    path = write(tmp_path / "last.csv", 'eng,jav\na,"b\nc,d\ne,f\n')
    with pytest.raises(CorpusFormatError, match=r"last\.csv, line 2, column 3: a quoted field opens here"):
        load_multiway_csv(path, "eng", "jav")
    with pytest.raises(CorpusFormatError, match=r"m\.csv, line 3, column 1: a quoted field opens here"):
        load_monolingual(write(tmp_path / "m.csv", 'text\naku\n"kowe\n'), "jav", column="text")


def test_text_after_closing_quote_and_multiline_records(tmp_path):
    path = write(tmp_path / "a.csv", 'eng,jav\na,"b"c\n')
    with pytest.raises(CorpusFormatError, match=r"a\.csv, line 2, column 6: unexpected text after the closing quote"):
        load_multiway_csv(path, "eng", "jav")
    # A quoted field may span lines; a bad record is named by the line it starts on.
    path = write(tmp_path / "m.csv", 'eng,jav\n"two\nlines",loro\n"x\ny",a,b\n')
    with pytest.raises(CorpusFormatError, match=r"m\.csv, line 4: expected 2 fields .*found 3"):
        load_multiway_csv(path, "eng", "jav")
    good = write(tmp_path / "g.csv", 'eng,jav\n"two\nlines",loro\n"say ""hi""",kandha\n')
    assert load_multiway_csv(good, "eng", "jav")["source_text"] == ["two\nlines", 'say "hi"']


# Dropped rows are counted by reason at WARNING level.


def test_dropped_rows_are_logged_as_a_warning_by_reason(tmp_path, caplog):
    path = write(tmp_path / "m.txt", "aku\n\naku\nkowe\n")
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.cleaning"):
        load_monolingual(path, "jav")
    assert "m.txt: read 4 rows; 1 empty, 0 with one side empty, 1 exact duplicates; dropped 2, kept 2." in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.cleaning"):
        load_monolingual(write(tmp_path / "clean.txt", "aku\nkowe\n"), "jav")
    assert caplog.text == ""


# Memory (issue 14, item 7): the in-memory dataset is built from Arrow batches and equals the stream.


def test_eager_batches_keep_order_and_match_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(monolingual, "_BATCH_ROWS", 7)
    lines = [f"ukara {i % 40}" if i % 9 else "" for i in range(100)]
    path = write(tmp_path / "m.txt", "\n".join(lines) + "\n")
    data, report = load_monolingual(path, "jav", return_report=True)
    expected = list(dict.fromkeys(line for line in lines if line))
    assert data["text"] == expected and set(data["lang"]) == {"jav"}
    assert data.data.table.column("text").num_chunks == 6 and len(data) == report.kept == 40
    assert list(load_monolingual(path, "jav", streaming=True)) == list(data)


def test_digest_set_matches_a_python_set_through_growth():
    from hf_lowres.data.cleaning import _DigestSet

    rng = random.Random(0)
    keys = [rng.getrandbits(64) or 1 for _ in range(5000)]
    keys += keys[::3] + [keys[0] ^ (1 << 63), keys[1] + 4096]  # repeats, and keys sharing the low bits of others
    digests, seen = _DigestSet(capacity=8), set()
    for key in keys:
        assert digests.add(key) == (key not in seen)
        seen.add(key)
    assert len(digests) == len(seen) and all(not digests.add(key) for key in seen)
