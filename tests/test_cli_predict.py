"""`hf-lowres predict`: a saved task adapter set labels CSV, JSON Lines and text files, scored per language.

The set is saved in a temporary directory from a tiny backbone checkpoint (safetensors) with two language adapters
(eng, jav; ind has none) and a task adapter, every adapter and head weight drawn at random so that each language's
adapter changes the scores. Expected scores are computed here one sentence at a time (no padding) on a fresh load.
"""

import csv
import json
import math
import shutil

import pytest
import torch
from transformers import AutoModel

from hf_lowres import LowResForSequenceClassification
from hf_lowres.adapters import AdapterManager
from hf_lowres.cli import main as cli_main
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


LANGUAGES = ["eng", "ind", "jav"]
CLASSES = ["negative", "neutral", "positive"]
ROWS = [  # text, language, gold label (a name or an id)
    ("i like this food", "eng", "positive"),
    ("this film was bad", "eng", "negative"),
    ("the movie is very good and i like it", "eng", "2"),
    ("aku seneng panganan iki", "jav", "positive"),
    ("film iki ala banget", "jav", "negative"),
    ("saya suka makanan ini", "ind", "positive"),
    ("film itu buruk", "ind", "1"),
]


@pytest.fixture(scope="module")
def adapter_set(tmp_path_factory):
    """A saved set (tokenizer included) and its backbone checkpoint, which the composition records."""
    root = tmp_path_factory.mktemp("predict")
    torch.manual_seed(0)
    backbone_dir = root / "backbone"
    AutoModel.from_config(tiny_backbone_config("bert")).save_pretrained(backbone_dir)
    tiny_tokenizer().save_pretrained(backbone_dir)
    model = LowResForSequenceClassification.from_backbone(
        str(backbone_dir), LANGUAGES, id2label=dict(enumerate(CLASSES))
    )
    manager = AdapterManager(model)
    manager.add_language_adapter("eng")
    manager.add_language_adapter("jav")
    manager.add_task_adapter("sentiment")
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, parameter in manager.model.named_parameters():
            if ".lora_" in name or not name.startswith("backbone."):
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    manager.activate(language="eng", task="sentiment")
    manager.save(root / "adapters", tokenizer=tiny_tokenizer())
    return root / "adapters"


@pytest.fixture(scope="module")
def reference(adapter_set):
    """`scores(text, language)`: class probabilities from a fresh load, one sentence at a time."""
    manager = AdapterManager.from_pretrained(adapter_set)
    manager.model.eval()
    tokenizer = tiny_tokenizer()

    def scores(text, language, max_length=None):
        manager.activate(language=language, task="sentiment")
        encoded = tokenizer(text, return_tensors="pt", truncation=max_length is not None, max_length=max_length)
        with torch.no_grad():
            logits = manager.peft_model(
                input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]
            ).logits
        return logits.softmax(-1)[0].tolist()

    return scores


def write_csv(path, rows, header=("text", "lang", "label")):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def run_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def assert_consistent(label, scores):
    """The scores are a distribution over the class names and the label is their argmax."""
    assert list(scores) == CLASSES
    assert math.isclose(sum(scores.values()), 1.0, abs_tol=1e-5)
    assert label == max(scores, key=scores.get)


def macro_f1(predicted, gold):
    classes = sorted(set(predicted) | set(gold))
    f1 = []
    for c in classes:
        tp = sum(p == c and g == c for p, g in zip(predicted, gold))
        denominator = sum(p == c for p in predicted) + sum(g == c for g in gold)
        f1.append(2 * tp / denominator if denominator else 0.0)
    return sum(f1) / len(f1)


def test_csv_with_language_and_label_columns(adapter_set, reference, tmp_path, capsys):
    source = write_csv(tmp_path / "test.csv", ROWS)
    output = tmp_path / "out" / "predictions.csv"
    argv = ["predict", "--adapters", str(adapter_set), "--input_file", source, "--language_column", "lang",
            "--label_column", "label", "--output_file", str(output), "--batch_size", "2"]  # fmt: skip
    assert cli_main(argv) == 0
    written = read_csv(output)
    assert list(written[0]) == ["text", "lang", "label", "predicted_label", *[f"score_{c}" for c in CLASSES]]
    assert [(row["text"], row["lang"], row["label"]) for row in written] == ROWS  # input order and columns kept
    for row, (text, language, _) in zip(written, ROWS):
        scores = {c: float(row[f"score_{c}"]) for c in CLASSES}
        assert_consistent(row["predicted_label"], scores)
        # Each row with its own language's adapter (ind has none: the task adapter alone), batched and padded.
        expected = reference(text, language if language != "ind" else None)
        assert list(scores.values()) == pytest.approx(expected, abs=1e-5)
    assert len({row["predicted_label"] for row in written}) > 1  # the random set does not answer one class

    gold = {"positive": "positive", "negative": "negative", "2": "positive", "1": "neutral"}
    metrics = json.loads((tmp_path / "out" / "predictions.metrics.json").read_text())
    by_language = {row["language"]: row for row in metrics["rows"]}
    assert list(by_language) == ["eng", "jav", "ind"]
    for language, row in by_language.items():
        predicted = [r["predicted_label"] for r in written if r["lang"] == language]
        expected_gold = [gold[r["label"]] for r in written if r["lang"] == language]
        assert row["n"] == len(predicted)
        assert row["accuracy"] == pytest.approx(sum(p == g for p, g in zip(predicted, expected_gold)) / len(predicted))
        assert row["macro_f1"] == pytest.approx(macro_f1(predicted, expected_gold))
    assert metrics["macro_average"]["accuracy"] == pytest.approx(sum(row["accuracy"] for row in metrics["rows"]) / 3)
    table = capsys.readouterr().out
    assert "| language | n | accuracy | macro_f1 |" in table and "| jav | 2 |" in table


def test_jsonl_with_one_language_keeps_every_field(adapter_set, reference, tmp_path):
    source = tmp_path / "jav.jsonl"
    records = [{"id": i, "text": text, "meta": {"source": "test"}} for i, (text, lang, _) in enumerate(ROWS)]
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    output = tmp_path / "jav_predictions.jsonl"
    argv = ["predict", "--adapters", str(adapter_set), "--input_file", str(source), "--language", "jav",
            "--output_file", str(output)]  # fmt: skip
    assert cli_main(argv) == 0
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(written) == len(records)
    for row, record in zip(written, records):
        assert {k: row[k] for k in record} == record
        assert_consistent(row["predicted_label"], row["scores"])
        assert list(row["scores"].values()) == pytest.approx(reference(record["text"], "jav"), abs=1e-5)
    assert not (tmp_path / "jav_predictions.metrics.json").exists()  # no labels, no metrics


def test_text_file_to_stdout_uses_the_saved_composition(adapter_set, reference, tmp_path, capsys):
    source = tmp_path / "sentences.txt"
    source.write_text("i like this food\n\nthis film was bad\naku seneng panganan iki\n", encoding="utf-8")
    assert cli_main(["predict", "--adapters", str(adapter_set), "--input_file", str(source)]) == 0
    written = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in written] == ["i like this food", "this film was bad", "aku seneng panganan iki"]
    for row in written:
        assert_consistent(row["predicted_label"], row["scores"])
        # No language given: the set as saved, English adapter + task adapter.
        assert list(row["scores"].values()) == pytest.approx(reference(row["text"], "eng"), abs=1e-5)


def test_sentences_are_truncated_to_max_length(adapter_set, reference, tmp_path):
    long = "i like this food and this film was very good but that movie was bad and the food is good"
    source = write_csv(tmp_path / "long.csv", [(long,)], header=("text",))
    output = tmp_path / "long.jsonl"
    argv = ["predict", "--adapters", str(adapter_set), "--input_file", source, "--language", "eng",
            "--max_length", "6", "--output_file", str(output)]  # fmt: skip
    assert cli_main(argv) == 0
    scores = list(json.loads(output.read_text())["scores"].values())
    assert scores == pytest.approx(reference(long, "eng", max_length=6), abs=1e-5)
    assert scores != pytest.approx(reference(long, "eng"), abs=1e-4)


def test_labels_with_stdout_predictions_go_to_stderr_and_the_metrics_file(adapter_set, tmp_path, capsys):
    source = tmp_path / "test.tsv"
    source.write_text("text\tlabel\ni like this food\tpositive\nfilm itu buruk\tnegative\n", encoding="utf-8")
    metrics = tmp_path / "metrics.json"
    argv = ["predict", "--adapters", str(adapter_set), "--input_file", str(source), "--label_column", "label",
            "--metrics_file", str(metrics)]  # fmt: skip
    assert cli_main(argv) == 0
    captured = capsys.readouterr()
    assert len([json.loads(line) for line in captured.out.splitlines()]) == 2  # stdout: JSON Lines only
    assert "| all | 2 |" in captured.err
    assert [row["language"] for row in json.loads(metrics.read_text())["rows"]] == ["all"]


@pytest.fixture
def no_model_loading(monkeypatch):
    """Input errors must be found before the set loads."""

    def refuse(*args, **kwargs):
        raise AssertionError("the adapter set was loaded before the inputs were checked")

    monkeypatch.setattr(AdapterManager, "from_pretrained", refuse)


@pytest.mark.parametrize(
    "content, extra, expected",
    [
        ("sentence,lang\ni like it,eng\n", [], ["--input_file: ", "missing column 'text'; columns found: ['sent"]),
        ("", [], ["--input_file: ", "test.csv: the file is empty"]),
        ("text\n", [], ["test.csv: the file holds no rows"]),
        ("text,lang\ni like it,eng\n,eng\n", [], ["test.csv, line 3: the 'text' value is empty"]),
        ("text\ni like it\n", ["--language", "xho"],
         ["--language: 'xho' is not a language of the adapter set", "['eng', 'ind', 'jav']",
          "adapter: ['eng', 'jav']"]),
        ("text,lang\ni like it,eng\nfilm iki,xho\n", ["--language_column", "lang"],
         ["test.csv, line 3: the 'lang' value 'xho' is not a language of the adapter set", "['eng', 'ind', 'jav']"]),
        ("text,label\ni like it,great\n", ["--label_column", "label"],
         ["test.csv, line 2: the 'label' value 'great' is neither a class name of "
          "['negative', 'neutral', 'positive']"]),
        ("text,label\ni like it,positive\n", ["--label_column", "gold"], ["missing column 'gold'"]),
        ("text\ni like it\n", ["--task", "ner"], ["--task: the set has no task adapter 'ner'; its task adapters: "
                                                  "['sentiment']"]),
    ],
)  # fmt: skip
def test_input_errors_name_the_file_row_and_column(adapter_set, tmp_path, capsys, no_model_loading, content, extra,
                                                   expected):  # fmt: skip
    source = tmp_path / "test.csv"
    source.write_text(content, encoding="utf-8")
    err = run_error(["predict", "--adapters", str(adapter_set), "--input_file", str(source), *extra], capsys)
    assert err.startswith("hf-lowres predict: error: ")
    for part in expected:
        assert part in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--output_file", "out.xlsx"], "`output_file` 'out.xlsx' has the extension '.xlsx'; expected one of"),
        (["--language", "eng", "--language_column", "lang"], "`language` and `language_column` exclude each other"),
        (["--batch_size", "0"], "`batch_size` must be an integer >= 1, got 0."),
        (["--langauge", "jav"], "--langauge is not an argument; did you mean --language?"),
    ],
)
def test_argument_errors_are_short(adapter_set, tmp_path, capsys, extra, expected):
    source = write_csv(tmp_path / "test.csv", ROWS)
    err = run_error(["predict", "--adapters", str(adapter_set), "--input_file", source, *extra], capsys)
    assert expected in err and err.startswith("usage: hf-lowres predict --adapters VALUE --input_file VALUE")
    assert len(err.splitlines()) <= 4


def test_text_input_refuses_columns(adapter_set, tmp_path, capsys):
    source = tmp_path / "s.txt"
    source.write_text("i like it\n")
    err = run_error(["predict", "--adapters", str(adapter_set), "--input_file", str(source), "--label_column", "x"],
                    capsys)  # fmt: skip
    assert "`label_column` need a .csv, .tsv or .jsonl input: a .txt input_file has one sentence a line" in err


def test_missing_set_and_a_set_without_task_adapter(adapter_set, tmp_path, capsys):
    source = write_csv(tmp_path / "test.csv", ROWS)
    err = run_error(["predict", "--adapters", str(tmp_path / "nowhere" / "adapters"), "--input_file", source], capsys)
    assert f"--adapters: {tmp_path / 'nowhere' / 'adapters'}: no such directory" in err
    languages_only = tmp_path / "languages_only"
    manager = AdapterManager.from_pretrained(adapter_set, adapters=["lang_eng", "lang_jav"])
    manager.save(languages_only)
    err = run_error(["predict", "--adapters", str(languages_only), "--input_file", source], capsys)
    assert "--adapters: the set has no task adapter (it holds ['lang_eng', 'lang_jav'])" in err


def test_the_backbone_is_read_from_safetensors_only(adapter_set, tmp_path, capsys):
    """A backbone checkpoint with only a pickle (`pytorch_model.bin`) is refused, not unpickled."""
    copied = tmp_path / "adapters"
    shutil.copytree(adapter_set, copied)
    backbone = tmp_path / "pickled_backbone"
    AutoModel.from_config(tiny_backbone_config("bert")).save_pretrained(backbone)
    state = AutoModel.from_pretrained(backbone).state_dict()
    (backbone / "model.safetensors").unlink()
    torch.save(state, backbone / "pytorch_model.bin")
    composition_path = copied / "hf_lowres_composition.json"
    composition = json.loads(composition_path.read_text())
    composition["base_model"]["name_or_path"] = str(backbone)
    composition_path.write_text(json.dumps(composition))
    source = write_csv(tmp_path / "test.csv", ROWS)
    err = run_error(["predict", "--adapters", str(copied), "--input_file", source], capsys)
    assert f"--adapters {copied}: the set did not load" in err and "safetensors" in err


def test_a_set_on_the_hub_predicts_as_its_directory(adapter_set, reference, hub_env, tmp_path):
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub_env.endpoint, token=hub_env.token)
    api.create_repo("alice/predict-sentiment-adapters", exist_ok=True)
    api.upload_folder(repo_id="alice/predict-sentiment-adapters", folder_path=str(adapter_set))
    source = write_csv(tmp_path / "test.csv", ROWS)
    output = tmp_path / "hub.jsonl"
    argv = ["predict", "--adapters", "alice/predict-sentiment-adapters", "--input_file", source,
            "--language_column", "lang", "--output_file", str(output)]  # fmt: skip
    assert cli_main(argv) == 0
    written = [json.loads(line) for line in output.read_text().splitlines()]
    for row, (text, language, _) in zip(written, ROWS):
        assert_consistent(row["predicted_label"], row["scores"])
        expected = reference(text, language if language != "ind" else None)
        assert list(row["scores"].values()) == pytest.approx(expected, abs=1e-5)


def test_an_unknown_device_is_an_input_error(adapter_set, tmp_path, capsys, no_model_loading):
    source = write_csv(tmp_path / "test.csv", ROWS)
    err = run_error(["predict", "--adapters", str(adapter_set), "--input_file", source, "--device", "gpu"], capsys)
    assert err.startswith("hf-lowres predict: error: 1 problem") and "--device gpu: " in err


def test_a_set_trained_on_a_folder_this_machine_lacks_loads_on_base_model(adapter_set, reference, tmp_path, capsys):
    copied = tmp_path / "adapters"
    shutil.copytree(adapter_set, copied)
    composition_path = copied / "hf_lowres_composition.json"
    composition = json.loads(composition_path.read_text())
    backbone = composition["base_model"]["name_or_path"]
    composition["base_model"]["name_or_path"] = str(tmp_path / "elsewhere" / "backbone")
    composition_path.write_text(json.dumps(composition))
    source = write_csv(tmp_path / "test.csv", ROWS)
    argv = ["predict", "--adapters", str(copied), "--input_file", source, "--language", "jav"]
    assert "the set did not load" in run_error(argv, capsys)
    output = tmp_path / "out.jsonl"
    assert cli_main([*argv, "--base_model", backbone, "--output_file", str(output)]) == 0
    for line, (text, _, _) in zip(output.read_text().splitlines(), ROWS):
        assert list(json.loads(line)["scores"].values()) == pytest.approx(reference(text, "jav"), abs=1e-5)
