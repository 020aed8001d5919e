"""Loading a saved adapter set treats its files as data: no code runs, saves are all-or-nothing, parts are checked.

The crafted backbone used here writes a marker file when its code is imported: every test that loads it asserts the
marker is absent.
"""

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from huggingface_hub import HfApi, constants

from hf_lowres import LowResConfig, LowResForMaskedLM, LowResForSequenceClassification
from hf_lowres.adapters import COMPOSITION_FILE, DISCRIMINATOR_FILE, TASK_HEAD_FILE, AdapterManager
from hf_lowres.adapters.adapter_files import InterruptedSaveError, load_lora_config, sha256_file
from hf_lowres.hub import load_adapters_from_hub
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config


LANGUAGES = ["eng", "jav"]
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _randomized_manager(seed: int = 0) -> AdapterManager:
    """`_fresh_classifier` with two language adapters and a task adapter, whose weights all differ from their init
    (a different draw per `seed`)."""
    manager = AdapterManager(_fresh_classifier())
    manager.add_language_adapter("eng")
    manager.add_language_adapter("jav")
    manager.add_task_adapter("sentiment")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in manager.model.named_parameters():
            if ".lora_" in name or not name.startswith("backbone."):
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    manager.activate(language="jav", task="sentiment")
    return manager


def _fresh_classifier() -> LowResForSequenceClassification:
    torch.manual_seed(123)  # the same base weights every time: only adapters and heads come from files
    config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES, num_labels=3)
    return LowResForSequenceClassification(config).eval()


def _logits(manager: AdapterManager) -> torch.Tensor:
    with torch.no_grad():
        return manager.peft_model(**seeded_random_batch()).logits


def _record_edit(directory, relative: str) -> None:
    """Records a hand-edited file's new SHA-256 in the composition, as a crafted set would."""
    path = directory / COMPOSITION_FILE
    composition = json.loads(path.read_text())
    composition["files"][relative] = sha256_file(directory / relative)
    path.write_text(json.dumps(composition))


@pytest.fixture
def crafted_backbone(tmp_path):
    """A backbone checkpoint whose config maps to custom code (`auto_map`) that writes `marker` when imported."""
    backbone_dir, marker = tmp_path / "crafted_backbone", tmp_path / "MARKER"
    from transformers import AutoModelForMaskedLM

    AutoModelForMaskedLM.from_config(tiny_backbone_config("bert")).save_pretrained(backbone_dir)
    config = json.loads((backbone_dir / "config.json").read_text())
    config["model_type"] = "crafted_bert"
    config["auto_map"] = {name: "crafted.CraftedModel" for name in ("AutoModel", "AutoModelForMaskedLM")}
    config["auto_map"]["AutoConfig"] = "crafted.CraftedConfig"
    (backbone_dir / "config.json").write_text(json.dumps(config))
    (backbone_dir / "crafted.py").write_text(
        textwrap.dedent(
            f"""
            import pathlib
            pathlib.Path({str(marker)!r}).write_text("remote code ran")
            from transformers import BertConfig, BertForMaskedLM
            class CraftedConfig(BertConfig):
                model_type = "crafted_bert"
            class CraftedModel(BertForMaskedLM):
                config_class = CraftedConfig
            """
        )
    )
    return backbone_dir, marker


def _crafted_adapter_set(directory, backbone_dir, lowres_config_extra: dict) -> None:
    """A real saved set whose composition records `backbone_dir` and extra `lowres_config` keys."""
    _randomized_manager().save(directory)
    path = directory / COMPOSITION_FILE
    composition = json.loads(path.read_text())
    composition["base_model"]["name_or_path"] = str(backbone_dir)
    composition["lowres_config"].update(lowres_config_extra)
    path.write_text(json.dumps(composition))


# ------------------------------------------------------------------------------------ 1. no code from a file
def test_backbone_kwargs_in_a_composition_are_refused_and_run_no_code(crafted_backbone, tmp_path):
    backbone_dir, marker = crafted_backbone
    directory = tmp_path / "adapters"
    _crafted_adapter_set(directory, backbone_dir, {"backbone_kwargs": {"trust_remote_code": True}})
    with pytest.raises(ValueError, match=r"`lowres_config` sets \['backbone_kwargs'\].*may not set"):
        AdapterManager.from_pretrained(directory)
    assert not marker.exists()


def test_a_recorded_backbone_that_needs_custom_code_is_not_run(crafted_backbone, tmp_path):
    backbone_dir, marker = crafted_backbone
    directory = tmp_path / "adapters"
    _crafted_adapter_set(directory, backbone_dir, {})
    with pytest.raises(ValueError, match="needs custom code to load; hf_lowres did not run it"):
        AdapterManager.from_pretrained(directory)
    assert not marker.exists()


def test_a_crafted_repo_on_the_hub_runs_no_code_and_only_the_loaders_files_are_fetched(
    crafted_backbone, hub_env, tmp_path
):
    backbone_dir, marker = crafted_backbone
    directory = tmp_path / "adapters"
    _crafted_adapter_set(directory, backbone_dir, {"backbone_kwargs": {"trust_remote_code": True}})
    (directory / "crafted.py").write_text(f"open({str(marker)!r}, 'w').write('downloaded code ran')\n")
    (directory / "lang_jav" / "notes.py").write_text("print('not an adapter file')\n")
    api = HfApi(endpoint=hub_env.endpoint, token=hub_env.token)
    api.create_repo("alice/crafted-adapters", exist_ok=True)
    api.upload_folder(repo_id="alice/crafted-adapters", folder_path=str(directory))
    with pytest.raises(ValueError, match=r"`lowres_config` sets \['backbone_kwargs'\]"):
        load_adapters_from_hub("alice/crafted-adapters")
    assert not marker.exists()

    # An honest repo with extra files: the loader downloads the composition and the files it lists, nothing else.
    honest = tmp_path / "honest"
    manager = _randomized_manager()
    manager.save(honest)
    (honest / "crafted.py").write_text("raise SystemExit('never downloaded')\n")
    (honest / "lang_jav" / "notes.py").write_text("raise SystemExit('never downloaded')\n")
    api.create_repo("alice/honest-adapters", exist_ok=True)
    api.upload_folder(repo_id="alice/honest-adapters", folder_path=str(honest))
    loaded = load_adapters_from_hub("alice/honest-adapters", model=_fresh_classifier())
    composition = json.loads((honest / COMPOSITION_FILE).read_text())
    snapshots = os.path.join(constants.HF_HUB_CACHE, "models--alice--honest-adapters", "snapshots")
    (commit,) = os.listdir(snapshots)
    fetched = {
        os.path.relpath(os.path.join(root, name), os.path.join(snapshots, commit)).replace(os.sep, "/")
        for root, _, names in os.walk(os.path.join(snapshots, commit))
        for name in names
    }
    assert fetched == {COMPOSITION_FILE, *composition["files"]}
    assert torch.equal(_logits(loaded), _logits(manager))


def test_a_composition_is_checked_field_by_field(tmp_path):
    directory = tmp_path / "adapters"
    _randomized_manager().save(directory)
    path = directory / COMPOSITION_FILE
    original = json.loads(path.read_text())

    def load_with(**changes):
        path.write_text(json.dumps({**original, **changes}))
        return AdapterManager.from_pretrained(directory, model=_fresh_classifier())

    with pytest.raises(ValueError, match="`model_class` should be one of"):
        load_with(model_class="AdapterManager")
    with pytest.raises(ValueError, match=r"the adapter '\.\./lang_jav' should be named 'lang_jav'"):
        load_with(adapters={**original["adapters"], "../lang_jav": {"kind": "language", "language": "jav"}})
    with pytest.raises(ValueError, match=r"`files` lists '\.\./secret'"):
        load_with(files={**original["files"], "../secret": "0" * 64})
    with pytest.raises(ValueError, match=r"`base_model` may only record .* found also \['revision'\]"):
        load_with(base_model={**original["base_model"], "revision": "other-branch"})
    with pytest.raises(ValueError, match="unknown fields"):
        load_with(trust_remote_code=True)
    path.write_text("")
    with pytest.raises(ValueError, match=f"{COMPOSITION_FILE} is empty"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    path.write_text('{"hf_lowres_version": "0.1.0",\n  "model_class": }')
    with pytest.raises(ValueError, match=f"{COMPOSITION_FILE}, line 2, column 18: not valid JSON"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())


def test_a_lora_config_cannot_import_modules_or_rewrite_the_base_weights(tmp_path):
    directory = tmp_path / "adapters"
    _randomized_manager().save(directory)
    config_path = directory / "lang_jav" / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "megatron_config": {"a": 1}, "megatron_core": "os"}))
    with pytest.raises(ValueError, match=r"sets \['megatron_config'\]"):
        load_lora_config(directory / "lang_jav", "adapter_config.json")

    # PiSSA initialization would replace the frozen base weights by their residual: it is reset on load.
    config_path.write_text(json.dumps({**config, "init_lora_weights": "pissa", "base_model_name_or_path": "x/y"}))
    rebuilt = load_lora_config(directory / "lang_jav", "adapter_config.json")
    assert rebuilt.init_lora_weights is True and rebuilt.base_model_name_or_path is None
    _record_edit(directory, "lang_jav/adapter_config.json")
    model = _fresh_classifier()
    base = {name: p.detach().clone() for name, p in model.named_parameters()}
    manager = AdapterManager.from_pretrained(directory, model=model, adapters=["lang_jav"], strict=True)
    for name, parameter in manager.model.named_parameters():
        key = name.replace(".base_layer.", ".")
        if ".lora_" not in name and key in base:
            assert torch.equal(parameter, base[key]) or name.startswith("discriminator."), name


# --------------------------------------------------------------------------------- 2. all-or-nothing saves
_KILLED_SAVE = """
import os, signal, sys, torch
sys.path.insert(0, {tests!r})
import test_adapter_loading_safety as t
from hf_lowres.adapters import adapter_manager

directory, kill_at = sys.argv[1], int(sys.argv[2])
t._randomized_manager(seed=0).save(directory)  # the old set, complete
calls = {{"n": 0}}
original = adapter_manager.save_parameters
def save_then_maybe_die(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)  # as a kill -9 would, mid-save
    return original(*args, **kwargs)
adapter_manager.save_parameters = save_then_maybe_die
peft_save = adapter_manager.PeftModel.save_pretrained
def peft_save_then_maybe_die(self, *args, **kwargs):
    calls["n"] += 1
    if calls["n"] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return peft_save(self, *args, **kwargs)
adapter_manager.PeftModel.save_pretrained = peft_save_then_maybe_die
t._randomized_manager(seed=1).save(directory)  # the new set over it
print("saved")
"""


@pytest.mark.parametrize("kill_at", [1, 2, 4, 5, 99])  # adapters one by one, task head, discriminator, no kill
def test_a_save_killed_midway_loads_as_the_old_or_new_set_or_says_it_was_interrupted(tmp_path, kill_at):
    directory = tmp_path / "adapters"
    script = _KILLED_SAVE.format(tests=os.path.join(REPO_ROOT, "tests"))
    result = subprocess.run(
        [sys.executable, "-c", script, str(directory), str(kill_at)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    old, new = _logits(_randomized_manager(seed=0)), _logits(_randomized_manager(seed=1))
    if kill_at == 99:
        assert result.returncode == 0, result.stderr
        assert torch.equal(_logits(AdapterManager.from_pretrained(directory, model=_fresh_classifier())), new)
        return
    assert result.returncode == -9, result.stderr  # it really was killed mid-save
    with pytest.raises(InterruptedSaveError, match="a save into it was interrupted"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    assert not torch.equal(old, new)


def test_files_from_two_saves_are_detected(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    _randomized_manager(seed=0).save(first)
    _randomized_manager(seed=1).save(second)
    (first / "lang_jav" / "adapter_model.safetensors").write_bytes(
        (second / "lang_jav" / "adapter_model.safetensors").read_bytes()
    )
    with pytest.raises(InterruptedSaveError, match=r"lang_jav/adapter_model\.safetensors does not match the SHA-256"):
        AdapterManager.from_pretrained(first, model=_fresh_classifier())


def test_a_re_save_keeps_the_users_other_files(tmp_path):
    directory = tmp_path / "adapters"
    _randomized_manager(seed=0).save(directory)
    (directory / "notes.txt").write_text("my notes")
    _randomized_manager(seed=1).save(directory)
    assert (directory / "notes.txt").read_text() == "my notes"
    loaded = AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    assert torch.equal(_logits(loaded), _logits(_randomized_manager(seed=1)))


# -------------------------------------------------------------------------------- 3. missing parts are errors
def test_a_missing_task_head_is_an_error_unless_not_strict(tmp_path, caplog):
    directory = tmp_path / "adapters"
    _randomized_manager().save(directory)
    composition_path = directory / COMPOSITION_FILE
    composition = json.loads(composition_path.read_text())
    del composition["files"][f"task_sentiment/{TASK_HEAD_FILE}"]
    composition_path.write_text(json.dumps(composition))
    (directory / "task_sentiment" / TASK_HEAD_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=rf"task_sentiment/{TASK_HEAD_FILE}, the trained task head"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    with caplog.at_level(logging.WARNING):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier(), strict=False)
    assert "its task head stays as the model's" in caplog.text


def test_a_truncated_weights_file_names_the_file(tmp_path, caplog):
    directory = tmp_path / "adapters"
    _randomized_manager().save(directory)
    path = directory / DISCRIMINATOR_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InterruptedSaveError, match="discriminator.safetensors does not match"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    # A set saved before manifests existed: the reader itself says which file is broken.
    composition_path = directory / COMPOSITION_FILE
    composition = json.loads(composition_path.read_text())
    del composition["files"]
    composition_path.write_text(json.dumps(composition))
    with caplog.at_level(logging.WARNING), pytest.raises(ValueError, match="discriminator.safetensors could not be"):
        AdapterManager.from_pretrained(directory, model=_fresh_classifier())
    assert "records no file manifest" in caplog.text


def test_backbone_kwargs_only_build_the_recorded_backbone(tmp_path):
    _randomized_manager().save(tmp_path)
    masked_lm = LowResForMaskedLM(LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES))
    with pytest.raises(ValueError, match="no effect with `model=`"):
        AdapterManager.from_pretrained(tmp_path, model=masked_lm, backbone_kwargs={"revision": "x"})


def test_class_names_come_back_from_the_task_heads_config(tmp_path):
    manager = _randomized_manager()
    manager.model.config.id2label = {0: "negative", 1: "neutral", 2: "positive"}
    manager.model.config.label2id = {"negative": 0, "neutral": 1, "positive": 2}
    manager.save(tmp_path / "adapters")
    model = _fresh_classifier()
    assert model.config.id2label[0] == "LABEL_0"  # built without names, as `from_backbone(...)` does by default
    AdapterManager.from_pretrained(tmp_path / "adapters", model=model)
    assert model.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    assert model.config.label2id["positive"] == 2
