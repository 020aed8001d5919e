"""What a load from a plain backbone says: one line naming the weights that are new by design, and transformers' load
report only for weights that are missing, unexpected or mismatched for another reason."""

import json
import logging
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import BertForMaskedLM, BertModel

from hf_lowres import LowResForMaskedLM, LowResForSequenceClassification
from hf_lowres.testing_utils import tiny_backbone_config


LANGUAGES = ["eng", "jav"]
ENCODER_KEY = "encoder.layer.0.attention.self.query.weight"  # a weight of the base transformer (BertModel naming)
NEW_BY_DESIGN = "weights new by design"


@pytest.fixture(scope="module")
def plain_backbone_dir(tmp_path_factory):
    """A tiny BERT saved as a plain `BertModel` (with its pooler, without a masked-LM head)."""
    directory = tmp_path_factory.mktemp("plain_bert")
    torch.manual_seed(0)
    BertModel(tiny_backbone_config("bert")).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def masked_lm_dir(tmp_path_factory):
    """A tiny BERT saved with its masked-LM head (`BertForMaskedLM`)."""
    directory = tmp_path_factory.mktemp("mlm_bert")
    torch.manual_seed(0)
    BertForMaskedLM(tiny_backbone_config("bert")).save_pretrained(directory)
    return directory


def edited_copy(source, target, drop=(), add=None):
    """A copy of a checkpoint directory whose weights lack the keys in `drop` and hold the tensors in `add`."""
    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    for key in drop:
        del weights[key]
    weights.update(add or {})
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    return target


class Captured:
    """Everything transformers and hf_lowres log (any level from INFO), and what reaches stdout/stderr."""

    def __init__(self, capfd):
        self.capfd = capfd
        self.records: list[logging.LogRecord] = []

    @property
    def text(self) -> str:
        out, err = self.capfd.readouterr()
        self._streams = getattr(self, "_streams", "") + out + err
        return "\n".join(r.getMessage() for r in self.records) + "\n" + self._streams

    def lines_naming_new_weights(self) -> list[str]:
        return [line for line in self.text.splitlines() if NEW_BY_DESIGN in line]

    def hf_lowres_records(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name.startswith("hf_lowres")]

    def reports(self) -> list[str]:
        """transformers' load reports (each a table of keys)."""
        return [r.getMessage() for r in self.records if "LOAD REPORT" in r.getMessage().split("\n", 1)[0]]


@pytest.fixture
def captured(capfd):
    capture = Captured(capfd)

    class ListHandler(logging.Handler):
        def emit(self, record):
            capture.records.append(record)

    handler = ListHandler(level=logging.INFO)
    loggers = [logging.getLogger("transformers"), logging.getLogger("hf_lowres")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    capfd.readouterr()  # only what the test itself causes
    try:
        yield capture
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)


def test_transformers_alone_reports_the_new_head_as_corrupted_and_missing(plain_backbone_dir, captured):
    # What the tests below silence, seen through the same capture: a plain backbone under a masked-LM head.
    BertForMaskedLM.from_pretrained(plain_backbone_dir)
    text = captured.text
    assert "seem corrupted" in text and "LOAD REPORT" in text
    assert "MISSING" in text and "cls.predictions" in text and "UNEXPECTED" in text and "pooler" in text


def test_masked_lm_on_a_plain_backbone_says_once_which_weights_are_new(plain_backbone_dir, captured):
    model = LowResForMaskedLM.from_backbone(str(plain_backbone_dir), LANGUAGES)
    text = captured.text
    assert "corrupted" not in text.lower() and not captured.reports()
    assert "LOAD REPORT" not in text and "MISSING" not in text and "UNEXPECTED" not in text
    (line,) = captured.lines_naming_new_weights()
    assert "discriminator" in line and "backbone.cls" in line and "pooler" in line
    (record,) = captured.hf_lowres_records()
    assert record.getMessage() == line and record.levelno == logging.WARNING  # the pretrained head is not there
    # The encoder weights did load (only the head is new).
    plain = BertModel.from_pretrained(plain_backbone_dir)
    assert torch.equal(
        model.backbone.bert.encoder.layer[0].attention.self.query.weight,
        plain.encoder.layer[0].attention.self.query.weight,
    )


def test_classifier_on_a_plain_backbone_names_its_new_heads_in_one_info_line(plain_backbone_dir, captured):
    LowResForSequenceClassification.from_backbone(str(plain_backbone_dir), LANGUAGES, num_labels=3)
    (line,) = captured.lines_naming_new_weights()
    assert "discriminator (language discriminator)" in line and "classifier (task head)" in line
    assert "backbone." not in line  # BertModel is the whole backbone: nothing of it is new
    (record,) = captured.hf_lowres_records()
    assert record.levelno == logging.INFO and "\n" not in record.getMessage()
    assert "LOAD REPORT" not in captured.text


def test_a_checkpoint_with_its_head_names_only_the_discriminator(masked_lm_dir, captured):
    model = LowResForMaskedLM.from_backbone(str(masked_lm_dir), LANGUAGES)
    (line,) = captured.lines_naming_new_weights()
    assert "discriminator" in line and "backbone.cls" not in line and "pooler" not in line
    assert captured.hf_lowres_records()[0].levelno == logging.INFO
    saved = BertForMaskedLM.from_pretrained(masked_lm_dir)
    assert torch.equal(
        model.backbone.cls.predictions.transform.dense.weight, saved.cls.predictions.transform.dense.weight
    )


def test_a_missing_encoder_weight_is_still_reported(plain_backbone_dir, tmp_path, captured):
    damaged = edited_copy(plain_backbone_dir, tmp_path / "damaged", drop=[ENCODER_KEY])
    LowResForMaskedLM.from_backbone(str(damaged), LANGUAGES)
    (report,) = captured.reports()
    assert f"bert.{ENCODER_KEY}" in report and "MISSING" in report
    # ... and only it: the new head and the unused pooler stay out of transformers' table.
    assert "cls.predictions" not in report and "pooler" not in report and "corrupted" not in captured.text.lower()
    (line,) = captured.lines_naming_new_weights()
    assert "backbone.cls" in line
    # The same checkpoint as the whole backbone of a classifier: reported too.
    LowResForSequenceClassification.from_backbone(str(damaged), LANGUAGES, num_labels=3)
    assert ENCODER_KEY in captured.reports()[-1] and len(captured.reports()) == 2


def test_a_weight_the_model_has_no_place_for_is_still_reported(plain_backbone_dir, tmp_path, captured):
    extra = "encoder.layer.7.output.dense.weight"  # a layer the config does not have
    odd = edited_copy(plain_backbone_dir, tmp_path / "odd", add={extra: torch.zeros(4, 4)})
    LowResForMaskedLM.from_backbone(str(odd), LANGUAGES)
    (report,) = captured.reports()
    assert "UNEXPECTED" in report and "encoder.layer.7.output.dense.weight" in report
    assert "pooler" not in report and "cls.predictions" not in report


def test_a_head_only_partly_in_the_checkpoint_is_reported_not_excused(masked_lm_dir, tmp_path, captured):
    key = "cls.predictions.transform.dense.weight"
    damaged = edited_copy(masked_lm_dir, tmp_path / "damaged_head", drop=[key])
    LowResForMaskedLM.from_backbone(str(damaged), LANGUAGES)
    (report,) = captured.reports()
    assert "MISSING" in report and key in report
    (line,) = captured.lines_naming_new_weights()
    assert "backbone.cls" not in line  # a damaged head is not new by design


def test_a_failed_load_still_shows_transformers_report(plain_backbone_dir, tmp_path, captured):
    mismatched = tmp_path / "mismatched"
    shutil.copytree(plain_backbone_dir, mismatched)
    config = json.loads((mismatched / "config.json").read_text())
    config["vocab_size"] += 3  # the embedding matrix in the checkpoint no longer fits
    (mismatched / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError, match="ignore_mismatched_sizes"):
        LowResForMaskedLM.from_backbone(str(mismatched), LANGUAGES)
    (report,) = captured.reports()
    assert "MISMATCH" in report and "word_embeddings" in report
    assert not captured.lines_naming_new_weights()
