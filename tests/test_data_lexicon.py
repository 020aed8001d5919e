"""Lexicons: the formats, their errors (file and line), normalization, matching, coverage and pivot composition."""

import pytest
from datasets import Dataset

from hf_lowres.data import (
    CorpusFormatError,
    Lexicon,
    compose_lexicons,
    load_lexicon,
    load_lexicon_directory,
)
from hf_lowres.data.lexical_substitution import parse_text
from hf_lowres.data.lexicon import normalize_entry
from hf_lowres.evaluation import load_bilingual_lexicon


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# ---- formats ----


def test_gatitos_tsv_keeps_several_translations_and_counts_its_normalizations(tmp_path):
    path = write(
        tmp_path / "en_ace.tsv",
        "house\trumoh\nHouse\trumoh\naid\tayuda (verb)\naid\tayudu (noun)\na lot of\tle  that\n\nwater\tie\n",
    )
    lexicon = load_lexicon(path)
    assert (lexicon.source_lang, lexicon.target_lang, lexicon.direction) == ("eng", "ace", "eng->ace")
    assert lexicon.name == f"{tmp_path.name}/en_ace.tsv"
    assert lexicon.as_dict() == {
        "house": ["rumoh"],
        "aid": ["ayuda", "ayudu"],
        "a lot of": ["le that"],
        "water": ["ie"],
    }
    report = lexicon.report
    assert (report.pairs_read, report.pairs_kept, report.duplicates) == (6, 5, 1)
    assert (report.notes_removed, report.lowercased, report.whitespace_normalized) == (2, 1, 1)
    assert report.blank_lines == 1
    assert lexicon["House"] == ("rumoh",)  # lookups are normalized like the entries
    assert "AID" in lexicon and "aids" not in lexicon


def test_nusax_csv_skips_the_index_column_and_drops_untranslated_rows(tmp_path):
    path = write(
        tmp_path / "acehnese.csv",
        ',indonesian,acehnese\n0,rumah,rumoh\n1,rumah,"rumoh (tempat)"\n2,tidak, \n3,tidak,hana\n'
        '4,sangat,"that, that"\n',
    )
    lexicon = load_lexicon(path)
    assert lexicon.direction == "ind->ace"
    assert lexicon.as_dict() == {"rumah": ["rumoh"], "tidak": ["hana"], "sangat": ["that, that"]}
    assert lexicon.report.empty_pairs == 1  # "2,tidak, ": nobody translated it
    assert lexicon.report.duplicates == 1  # "rumoh (tempat)" is "rumoh" once the note is gone


def test_muse_pairs_take_their_languages_from_the_file_name(tmp_path):
    path = write(tmp_path / "en-de.0-5000.txt", "house haus\nhouse heim\nthe\tdie\n")
    lexicon = load_lexicon(path)
    assert lexicon.direction == "eng->deu"
    assert lexicon.as_dict() == {"house": ["haus", "heim"], "the": ["die"]}


def test_generic_tsv_and_csv_with_named_columns(tmp_path):
    tsv = write(tmp_path / "words.tsv", "note\ten\tace\nn1\thouse\trumoh\nn2\twater\tie\n")
    lexicon = load_lexicon(tsv, source_column="en", target_column="ace")
    assert lexicon.direction == "eng->ace"
    assert lexicon.as_dict() == {"house": ["rumoh"], "water": ["ie"]}
    csv_path = write(tmp_path / "words.csv", "src,tgt\nHouse,Rumoh\n")
    with pytest.raises(ValueError, match="`source_lang` was not given"):
        load_lexicon(csv_path)  # "src" is shaped like a code but names no language
    cased = load_lexicon(csv_path, "eng", "ace", lowercase=False)
    assert cased.as_dict() == {"House": ["Rumoh"]}
    assert cased["House"] == ("Rumoh",) and "house" not in cased


def test_a_dataset_through_datasets_local_folder_and_saved_dataset(tmp_path):
    folder = tmp_path / "hub_like"
    folder.mkdir()
    write(folder / "train.csv", "english,acehnese\nhouse,rumoh\nwater,ie\n")
    lexicon = load_lexicon(str(folder))  # a folder of data files: `datasets.load_dataset`, as for a Hub id
    assert lexicon.direction == "eng->ace"
    assert lexicon.as_dict() == {"house": ["rumoh"], "water": ["ie"]}
    saved = tmp_path / "saved"
    Dataset.from_dict({"eng": ["house", "fire", "tree"], "ace": ["rumoh", None, "bak"]}).save_to_disk(saved)
    lexicon = load_lexicon(saved)
    assert lexicon.as_dict() == {"house": ["rumoh"], "tree": ["bak"]} and lexicon.report.empty_pairs == 1
    with pytest.raises(CorpusFormatError, match=r"no column 'bug'; columns found: \['eng', 'ace'\]"):
        load_lexicon(saved, source_column="eng", target_column="bug")


def test_a_dataset_row_that_is_not_text_is_named(tmp_path):
    bad = tmp_path / "bad"
    Dataset.from_dict({"eng": ["house", "two"], "ace": [["rumoh"], ["dua"]]}).save_to_disk(bad)
    with pytest.raises(CorpusFormatError, match=r"bad: row 1: the translation is \['rumoh'\], not text"):
        load_lexicon(bad)


# ---- errors ----


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("en_ace.tsv", "house\trumoh\ntükuwküle\n", 2, "expected 2 tab-separated fields"),
        ("en_ace.tsv", "house\trumoh\nwater\tie\textra\n", 2, "found 3"),
        ("en-de.txt", "house haus\n\nhot water heisses wasser\n", 3, "expected 2 whitespace-separated fields"),
        ("words.csv", ",indonesian,acehnese\n0,rumah,rumoh\n1,tidak\n", 3, "expected 3 fields"),
        ("words.csv", ',indonesian,acehnese\n0,rumah,rumoh\n1,"tidak,hana\n', 3, "never closed"),
        ("words.csv", ",indonesian,acehnese\n", None, "holds no pairs"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path, name, text, line, message):
    path = write(tmp_path / name, text)
    with pytest.raises(CorpusFormatError, match=message) as caught:
        load_lexicon(path, "eng", "ace")
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}, line {line}" if line else f"{path}: ")


def test_missing_column_empty_file_undecodable_bytes_and_unknown_format(tmp_path):
    path = write(tmp_path / "acehnese.csv", ",indonesian,acehnese\n0,rumah,rumoh\n")
    with pytest.raises(CorpusFormatError, match="line 1: no column 'javanese'"):
        load_lexicon(path, target_column="javanese")
    with pytest.raises(CorpusFormatError, match="the file is empty"):
        load_lexicon(write(tmp_path / "en_ace.tsv", ""))
    latin1 = tmp_path / "en_ban.tsv"
    latin1.write_bytes("house\trumoh\ncaf\xe9\tkafe\n".encode("latin-1"))
    with pytest.raises(CorpusFormatError, match="line 2: undecodable bytes"):
        load_lexicon(latin1)
    with pytest.raises(ValueError, match="unknown lexicon format 'panlex'"):
        load_lexicon(path, format="panlex")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_lexicon(tmp_path / "en_xx.tsv")


def test_skip_malformed_counts_and_lists_the_lines(tmp_path):
    path = write(tmp_path / "en_ace.tsv", "house\trumoh\nbroken\nwater\tie\na\tb\tc\n")
    lexicon = load_lexicon(path, skip_malformed=True)
    assert lexicon.as_dict() == {"house": ["rumoh"], "water": ["ie"]}
    assert (lexicon.report.malformed_skipped, lexicon.report.malformed_lines) == (2, [2, 4])


# ---- normalization ----


def test_normalize_entry():
    assert normalize_entry("  Rumah \u00a0 Sakit ") == ("rumah sakit", {"whitespace", "case"})
    assert normalize_entry("pike (verb)") == ("pike", {"notes"})
    assert normalize_entry("[formal] kamu (polite (very))") == ("kamu", {"notes"})
    assert normalize_entry("cafe\u0301")[0] == "café"  # NFC
    assert normalize_entry("(verb)") == ("", {"notes"})
    assert normalize_entry("Pike (verb)", lowercase=False, strip_notes=False) == ("Pike (verb)", set())


def test_notes_only_translations_and_definitions_are_dropped_and_counted():
    lexicon = Lexicon.from_pairs(
        [("mole", "(animal)"), ("mole", "wanpela liklik animal we i save stap long hol"), ("mole", "mol")],
        "eng",
        "tpi",
        max_translation_words=3,
    )
    assert lexicon.as_dict() == {"mole": ["mol"]}
    assert (lexicon.report.empty_after_normalization, lexicon.report.long_translations) == (1, 1)


# ---- matching, statistics, coverage ----


def test_longest_match_prefers_the_longest_entry_and_never_crosses_punctuation():
    lexicon = Lexicon.from_dict({"a": "sa", "a lot": "le", "a lot of": "le that", "of": "nibak"}, "eng", "ace")
    assert [(s, n, t) for s, n, t in lexicon.matches(parse_text("A lot of water"))] == [(0, 3, ("le that",))]
    assert [(s, n) for s, n, _ in lexicon.matches(parse_text("a lot, of water"))] == [(0, 2), (2, 1)]
    assert lexicon.max_entry_words == 3


def test_statistics_and_coverage():
    lexicon = Lexicon.from_dict({"house": ["rumoh", "meunasah"], "big": "rayeuk", "a lot of": "le that"}, "eng", "ace")
    stats = lexicon.statistics()
    assert stats["entries"] == 3 and stats["pairs"] == 4
    assert stats["entries_with_several_translations"] == 1
    assert stats["multi_word_entries"] == 1 and stats["multi_word_translations"] == 1
    coverage = lexicon.coverage(["A big house.", ["a", "lot", "of", "houses"]])
    assert (coverage.words, coverage.covered_words, coverage.matches, coverage.multi_word_matches) == (7, 5, 3, 1)
    assert coverage.word_coverage == pytest.approx(5 / 7)
    assert (coverage.types, coverage.covered_types) == (6, 5)  # a big house lot of houses


# ---- pivot ----


def test_composition_through_a_pivot_is_reported_as_such():
    ind_eng = Lexicon.from_dict({"rumah": ["house", "home"], "air": "water", "api": "fire"}, "ind", "eng")
    ind_ace = Lexicon.from_dict({"rumah": "rumoh", "air": ["ie", "ie "], "tidak": "hana"}, "ind", "ace")
    eng_ind = ind_eng.invert()
    assert eng_ind.direction == "eng->ind" and eng_ind["home"] == ("rumah",)
    eng_ace = compose_lexicons(eng_ind, ind_ace)
    assert eng_ace.direction == "eng->ind->ace" and eng_ace.pivots == ("ind",)
    assert eng_ace.as_dict() == {"house": ["rumoh"], "home": ["rumoh"], "water": ["ie"]}
    assert eng_ace.report.pivot_misses == 1  # "fire" -> "api", which ind_ace lacks
    assert eng_ace.name == "inverse(lexicon) + lexicon"
    with pytest.raises(ValueError, match="must be the second's source language"):
        compose_lexicons(ind_ace, ind_eng)


def test_lexicon_directories_gatitos_and_nusax_with_a_pivot(tmp_path):
    gatitos = tmp_path / "gatitos"
    gatitos.mkdir()
    write(gatitos / "en_ace.tsv", "house\trumoh\n")
    write(gatitos / "en_lg.tsv", "house\tennyumba\n")
    write(gatitos / "README.md", "not a lexicon\n")
    lexicons = load_lexicon_directory(gatitos)
    assert {lang: lex.direction for lang, lex in lexicons.items()} == {"ace": "eng->ace", "lug": "eng->lug"}
    with pytest.raises(ValueError, match=r"no lexicon for \['bug'\]; languages available: \['ace', 'lug'\]"):
        load_lexicon_directory(gatitos, languages=["bug"])
    nusax = tmp_path / "nusax" / "lexicon"
    nusax.mkdir(parents=True)
    write(nusax / "english.csv", ",indonesian,english\n0,rumah,house\n1,air,water\n")
    write(nusax / "acehnese.csv", ",indonesian,acehnese\n0,rumah,rumoh\n1,air,ie\n")
    write(nusax / "balinese.csv", ",indonesian,balinese\n0,rumah,umah\n")
    direct = load_lexicon_directory(nusax, languages=["acehnese"])
    assert list(direct) == ["ace"] and direct["ace"].direction == "ind->ace"
    pivoted = load_lexicon_directory(nusax, source_lang="eng")
    assert {lang: lex.direction for lang, lex in pivoted.items()} == {"ace": "eng->ind->ace", "ban": "eng->ind->ban"}
    assert pivoted["ace"]["water"] == ("ie",)
    assert pivoted["ace"].name == "inverse(nusax/lexicon/english.csv) + nusax/lexicon/acehnese.csv"
    with pytest.raises(ValueError, match="none links it to 'jav'"):
        load_lexicon_directory(nusax, source_lang="jav")


# ---- the evaluation module reads through the same loader ----


def test_evaluation_lexicon_is_the_data_loader(tmp_path):
    path = write(tmp_path / "javanese.csv", ',indonesian,javanese\n0,capai,"gedok (raih, sampai)"\n1,Tidak,ora\n')
    assert load_bilingual_lexicon(path) == {"capai": ["gedok"], "tidak": ["ora"]}
    assert load_bilingual_lexicon(path) == load_lexicon(path).as_dict()


# ---- real lexicons ----


def test_real_gatitos_and_nusax_lexicons(shared_data_dir):
    gatitos = shared_data_dir / "gatitos"
    nusax = shared_data_dir / "nusax" / "lexicon"
    if not (gatitos / "en_ace.tsv").is_file() or not (nusax / "acehnese.csv").is_file():
        pytest.skip("GATITOS or NusaX-Lexicon files not found")
    ace = load_lexicon(gatitos / "en_ace.tsv")
    assert ace.direction == "eng->ace" and len(ace) == 4001 and ace.num_pairs == 4193
    assert ace.statistics()["multi_word_entries"] > 100
    # A real malformed line: en_arn.tsv line 3235 has no tab.
    with pytest.raises(CorpusFormatError, match="en_arn.tsv, line 3235: expected 2 tab-separated fields"):
        load_lexicon(gatitos / "en_arn.tsv")
    assert load_lexicon(gatitos / "en_arn.tsv", skip_malformed=True).report.malformed_lines == [3235]
    balinese = load_lexicon(nusax / "balinese.csv")
    assert balinese.direction == "ind->ban" and balinese.report.empty_pairs == 31
    pivoted = load_lexicon_directory(nusax, source_lang="eng", languages=["ace"])["ace"]
    assert pivoted.direction == "eng->ind->ace" and len(pivoted) > 1000
    assert {"get", "mantap"} <= set(pivoted["good"])  # good -> bagus (and baik, ...) -> get, mantap, ...
