"""Every argument and data file of a recipe is checked before any model loads (the `hf-lowres` command).

The model path in these tests is a directory holding only a `config.json`: any attempt to load a tokenizer or a model
from it fails the test (the loaders are replaced by ones that raise), so a test passes only when the bad input is
reported first. User errors end in `error: ...` and exit status 2, without a traceback.
"""

import json

import pytest

from hf_lowres.cli import main as cli_main


CLASSES = ["negative", "positive"]
TRAINING = ["--max_steps", "1", "--report_to", "none", "--save_strategy", "no", "--use_cpu", "true"]


class ModelLoaded(AssertionError):
    """Raised by the replaced loaders: the recipe reached model loading."""


@pytest.fixture
def no_model_loading(monkeypatch):
    """Replaces every tokenizer and model loader the recipes call by one that raises `ModelLoaded`."""
    import transformers

    import hf_lowres

    def refuse(*args, **kwargs):
        raise ModelLoaded("a tokenizer or model was loaded before the inputs were checked")

    for owner in (transformers.AutoTokenizer, transformers.AutoModelForSeq2SeqLM):
        monkeypatch.setattr(owner, "from_pretrained", refuse)
    for name in ("LowResForSequenceClassification", "LowResForMaskedLM", "LowResForSeq2SeqLM"):
        monkeypatch.setattr(getattr(hf_lowres, name), "from_backbone", refuse)


@pytest.fixture
def model_dir(tmp_path):
    """A directory that passes the up-front model path check (it has a config.json) but holds no model."""
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "config.json").write_text("{}")
    return str(directory)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def labeled(tmp_path, name="train.csv"):
    return write(tmp_path / name, "text,label\ni like it,positive\nbad film,negative\n")


def train_task(model, train, tests, output, *extra):
    return ["train_task", "--model_name_or_path", model, "--languages", "eng", "jav", "--train_file", train,
            "--test_files", *tests, "--class_names", *CLASSES, "--output_dir", str(output),
            *TRAINING, *extra]  # fmt: skip


def run_error(argv, capsys) -> str:
    """Runs the command, expects it to stop with status 2, and returns what it printed to stderr."""
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_missing_test_file_is_reported_before_any_model_loads(tmp_path, model_dir, no_model_loading, capsys):
    missing = tmp_path / "jav_test.csv"
    err = run_error(train_task(model_dir, labeled(tmp_path), [f"jav={missing}"], tmp_path / "out"), capsys)
    assert f"--test_files (jav): {missing}: no such file." in err
    assert not (tmp_path / "out").exists()  # nothing was trained or written


def test_bad_data_file_is_reported_even_with_a_missing_model(tmp_path, no_model_loading, capsys):
    missing_model = tmp_path / "no_such_model"
    empty = write(tmp_path / "train.csv", "")
    err = run_error(train_task(str(missing_model), empty, [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path), capsys)
    assert "2 problems" in err
    assert f"--train_file: {empty}: the file is empty" in err
    assert f"--model_name_or_path: {missing_model}: no such directory" in err


def test_empty_csv_names_the_file_and_what_is_expected(tmp_path, model_dir, no_model_loading, capsys):
    empty = write(tmp_path / "train.csv", "")
    err = run_error(train_task(model_dir, empty, [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out"), capsys)
    assert f"--train_file: {empty}: the file is empty; expected a column 'text' (the text) and a column 'label'" in err
    assert "EmptyDataError" not in err and "Traceback" not in err


def test_header_only_csv_names_the_file(tmp_path, model_dir, no_model_loading, capsys):
    header_only = write(tmp_path / "jav.csv", "text,label\n")
    err = run_error(train_task(model_dir, labeled(tmp_path), [f"jav={header_only}"], tmp_path / "out"), capsys)
    assert f"--test_files (jav): {header_only}: the file holds no examples" in err
    assert "corresponds to no data" not in err


@pytest.mark.parametrize("batch_size", ["0", "-1"])
def test_non_positive_batch_size_is_an_argument_error(tmp_path, model_dir, no_model_loading, capsys, batch_size):
    argv = train_task(model_dir, labeled(tmp_path), [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out")
    err = run_error([*argv, "--per_device_train_batch_size", batch_size], capsys)
    assert f"`per_device_train_batch_size` must be an integer >= 1, got {batch_size}." in err


def test_invalid_yaml_config_names_the_line(tmp_path, model_dir, no_model_loading, capsys):
    config = write(tmp_path / "run.yaml", "seed: 0\nclass_names: [negative, positive\nlearning_rate: 1e-3\n")
    argv = train_task(model_dir, labeled(tmp_path), [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out")
    err = run_error([*argv, "--config", config], capsys)
    assert f"--config {config}, line 3, column 14: not valid YAML" in err
    assert "starts at line 2, column 14" in err  # where the unclosed list begins


def test_yaml_value_of_the_wrong_shape_is_refused(tmp_path, model_dir, no_model_loading, capsys):
    config = write(tmp_path / "run.yaml", "seed: [1, 2]\n")
    argv = train_task(model_dir, labeled(tmp_path), [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out")
    err = run_error([*argv, "--config", config], capsys)
    assert "`seed` is a list [1, 2]; expected a single value." in err


@pytest.mark.parametrize(
    "content, expected",
    [
        ("text,label\ni like it,positive\nbad, film,negative\n", ", line 3: expected 2 fields"),
        ("text,label\ni like it,positive\nbad film,awful\n", ", line 3: the 'label' value 'awful' is neither"),
        ("text,label\ni like it,positive\nbad film,7\n", ", line 3: the 'label' value 7 is neither"),
        ("text,label\ni like it,positive\n,negative\n", ", line 3: the 'text' value is empty"),
        ('text,label\n"i like it,positive\nbad film,negative\n', ", line 2: malformed CSV"),
        ("text,text,label\na,b,positive\n", ", line 1: 2 columns named 'text'"),
        ("sentence,label\na,positive\n", ", line 1: missing column 'text'"),
        (b"text,label\ngood,positive\n\xff\xfe,negative\n", ", line 3: undecodable bytes"),
    ],
    ids=[
        "fields",
        "unknown-label",
        "label-id-out-of-range",
        "empty-text",
        "open-quote",
        "duplicate-column",
        "missing-column",
        "not-utf8",
    ],  # fmt: skip
)
def test_malformed_labeled_file_names_the_line(tmp_path, model_dir, no_model_loading, capsys, content, expected):
    train = tmp_path / "train.csv"
    train.write_bytes(content if isinstance(content, bytes) else content.encode())
    jav = labeled(tmp_path, "jav.csv")
    err = run_error(train_task(model_dir, str(train), [f"jav={jav}"], tmp_path / "out"), capsys)
    assert f"--train_file: {train}{expected}" in err


def test_every_bad_input_of_a_run_is_reported_at_once(tmp_path, model_dir, no_model_loading, capsys):
    baseline = write(tmp_path / "baseline.json", '{"rows": [}')
    argv = train_task(model_dir, labeled(tmp_path), [f"jav={tmp_path / 'none.csv'}"], tmp_path / "out",
                      "--adapters_dir", str(tmp_path / "no_adapters"), "--baseline_report", baseline,
                      "--unlabeled_files", f"jav={write(tmp_path / 'jav.txt', 'aku seneng')}",
                      f"sun={tmp_path / 'sun.txt'}",
                      "--resume_from_checkpoint", str(tmp_path / "checkpoint-9"))  # fmt: skip
    err = run_error(argv, capsys)
    assert "5 problems" in err
    assert f"--test_files (jav): {tmp_path / 'none.csv'}: no such file." in err
    assert f"--adapters_dir: {tmp_path / 'no_adapters'}: no such directory" in err
    assert f"--baseline_report: {baseline}, line 1: not valid JSON" in err
    assert f"--unlabeled_files (sun): {tmp_path / 'sun.txt'}: no such file." in err
    assert f"--resume_from_checkpoint: {tmp_path / 'checkpoint-9'}: no such directory" in err


def test_unlabeled_language_outside_languages_is_reported(tmp_path, model_dir, no_model_loading, capsys):
    argv = train_task(model_dir, labeled(tmp_path), [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out",
                      "--unlabeled_files", f"sun={write(tmp_path / 'sun.txt', 'abdi resep')}")  # fmt: skip
    err = run_error(argv, capsys)
    assert "--unlabeled_files: language(s) ['sun'] in column 'lang' are not in --languages ['eng', 'jav']." in err


def test_adapt_language_missing_text_file(tmp_path, model_dir, no_model_loading, capsys):
    missing = tmp_path / "jav.txt"
    argv = ["adapt_language", "--model_name_or_path", model_dir, "--languages", "eng", "jav", "--language", "jav",
            "--text_file", str(missing), "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    assert f"--text_file: {missing}: no such file." in run_error(argv, capsys)


def test_adapt_language_blank_text_file(tmp_path, model_dir, no_model_loading, capsys):
    blank = write(tmp_path / "jav.txt", "\n  \n\n")
    argv = ["adapt_language", "--model_name_or_path", model_dir, "--languages", "eng", "jav", "--language", "jav",
            "--text_file", blank, "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    assert f"--text_file: {blank}" in run_error(argv, capsys)


def back_translate(model, monolingual, output, *extra):
    return ["back_translate", "--model_name_or_path", model, "--monolingual_file", monolingual, "--output_dir",
            str(output), "--source_lang", "ind", "--target_lang", "jav", *extra]  # fmt: skip


def test_back_translate_missing_file_before_the_model(tmp_path, model_dir, no_model_loading, capsys):
    missing = tmp_path / "jav.txt"
    err = run_error(back_translate(model_dir, str(missing), tmp_path / "out"), capsys)
    assert f"--monolingual_file: {missing}: no such file." in err


@pytest.mark.parametrize("temperature", ["0", "-0.5", "nan"])
def test_back_translate_sampling_temperature_is_checked_up_front(
    tmp_path, model_dir, no_model_loading, capsys, temperature
):
    text = write(tmp_path / "jav.txt", "aku seneng\n")
    argv = back_translate(model_dir, text, tmp_path / "out", "--do_sample", "--num_beams", "1",
                          "--temperature", temperature)  # fmt: skip
    assert "`temperature` must be a finite number > 0" in run_error(argv, capsys)


def test_train_translation_checks_test_and_synthetic_data_first(tmp_path, model_dir, no_model_loading, capsys):
    pairs = write(tmp_path / "mt.csv", "javanese,indonesian\naku seneng,saya suka\n")
    argv = ["train_translation", "--model_name_or_path", model_dir, "--source_lang", "ind", "--target_lang", "jav",
            "--train_file", pairs, "--test_file", str(tmp_path / "test.csv"),
            "--synthetic_corpus", str(tmp_path / "bt"), "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    err = run_error(argv, capsys)
    assert f"--test_file: {tmp_path / 'test.csv'}: no such file or directory" in err
    assert f"--synthetic_corpus: {tmp_path / 'bt'}: no such directory" in err


def test_synthetic_corpus_of_the_wrong_direction_is_refused(tmp_path, model_dir, no_model_loading, capsys):
    from hf_lowres.data import corpus_from_pairs

    corpus = corpus_from_pairs(["saya suka"], ["aku seneng"], "jav", "ind", origin="back-translated")
    corpus.save_to_disk(tmp_path / "bt")
    pairs = write(tmp_path / "mt.csv", "javanese,indonesian\naku seneng,saya suka\n")
    argv = ["train_translation", "--model_name_or_path", model_dir, "--source_lang", "ind", "--target_lang", "jav",
            "--train_file", pairs, "--test_file", pairs, "--synthetic_corpus", str(tmp_path / "bt"),
            "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    err = run_error(argv, capsys)
    assert "holds pairs of the direction(s) ['jav-ind']; expected only ind-jav" in err


def test_publish_checks_the_adapters_dir(tmp_path, capsys):
    err = run_error(["publish", "--adapters_dir", str(tmp_path), "--repo_id", "alice/x"], capsys)
    assert f"--adapters_dir: {tmp_path}: no hf_lowres_composition.json in the directory" in err


def test_command_prints_one_error_per_problem_without_traceback(tmp_path, capsys):
    """What the user sees: the problems under one `error:` line, status 2, no traceback nor argparse's usage."""
    argv = ["train_task", "--model_name_or_path", str(tmp_path / "m"), "--languages", "eng", "jav", "--train_file",
            str(tmp_path / "train.csv"), "--test_files", f"jav={tmp_path / 'jav.csv'}", "--class_names", *CLASSES,
            "--output_dir", str(tmp_path / "out")]  # fmt: skip
    err = run_error(argv, capsys)
    lines = err.splitlines()
    assert lines[0] == "hf-lowres train_task: error: 3 problems with the arguments (found before loading any model):"
    assert [line.split(":")[0] for line in lines[1:4]] == [
        "  --train_file",
        "  --test_files (jav)",
        "  --model_name_or_path",
    ]
    assert "Traceback" not in err and "usage:" not in err and len(lines) == 5


def test_a_bug_after_the_checks_keeps_its_traceback(tmp_path, model_dir, monkeypatch):
    """Only user errors become `error: ...`: an exception raised once the inputs passed their checks propagates."""
    import hf_lowres.recipes.train_task as recipe

    def broken_main(*args, inputs=None):
        assert inputs is not None and len(inputs.train) == 2 and set(inputs.test_sets) == {"jav"}
        raise ValueError("a bug inside training")

    monkeypatch.setattr(recipe, "main", broken_main)
    with pytest.raises(ValueError, match="a bug inside training"):
        cli_main(train_task(model_dir, labeled(tmp_path), [f"jav={labeled(tmp_path, 'jav.csv')}"], tmp_path / "out"))


def test_labeled_file_formats_read_the_same_rows(tmp_path):
    """CSV, TSV, JSON Lines, a JSON array and parquet give the same texts and label ids (names or ids)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hf_lowres.training.data_preparation import load_labeled_file

    rows = [{"text": 'she said "hi", twice', "label": "positive"}, {"text": "bad film", "label": 0}]
    files = {
        "a.csv": 'id,text,label\n1,"she said ""hi"", twice",positive\r\n\n2,bad film,0\n',
        "a.tsv": 'text\tlabel\nshe said "hi", twice\tpositive\nbad film\t0\n',
        "a.jsonl": "".join(json.dumps(row) + "\n" for row in rows) + "\n",
        "a.json": json.dumps(rows),
    }
    paths = [write(tmp_path / name, content) for name, content in files.items()]
    pq.write_table(pa.table({"text": [r["text"] for r in rows], "label": ["positive", "negative"]}), tmp_path / "a.pq")
    (tmp_path / "a.pq").rename(tmp_path / "a.parquet")
    paths.append(str(tmp_path / "a.parquet"))
    for path in paths:
        dataset = load_labeled_file(path, CLASSES)
        assert dataset["text"] == ['she said "hi", twice', "bad film"], path
        assert dataset["label"] == [1, 0], path
