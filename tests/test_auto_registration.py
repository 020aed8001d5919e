"""Registration with the transformers Auto classes, and loading a saved model as remote code."""

import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
import transformers

import hf_lowres
from hf_lowres import LowResConfig
from hf_lowres.models import AUTO_CLASS_OF_MODEL
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config


FAMILY_OF = {
    "LowResModel": "bert",
    "LowResForMaskedLM": "xlm-roberta",
    "LowResForSequenceClassification": "bert",
    "LowResForTokenClassification": "llama",
    "LowResForSeq2SeqLM": "t5",
    "LowResForCausalLM": "qwen2",
}


def test_importing_twice_is_harmless():
    importlib.reload(hf_lowres)
    hf_lowres.register_auto_classes()
    for model_class, auto_class in AUTO_CLASS_OF_MODEL.items():
        config = transformers.AutoConfig.for_model(
            "lowres", text_config=tiny_backbone_config(FAMILY_OF[model_class.__name__]), languages=["eng", "jav"]
        )
        assert type(config) is LowResConfig
        assert type(auto_class.from_config(config)) is model_class


LOAD_SCRIPT = textwrap.dedent(
    """
    import json, sys, torch, transformers
    root, import_hf_lowres = sys.argv[1], sys.argv[2] == "1"
    if import_hf_lowres:
        import hf_lowres  # noqa: F401
    kwargs = {} if import_hf_lowres else {"trust_remote_code": True}
    report = {"hf_lowres_imported": "hf_lowres" in sys.modules, "modules": {}}
    for name, auto_name in json.load(open(root + "/cases.json")).items():
        path = f"{root}/{name}"
        model = getattr(transformers, auto_name).from_pretrained(path, **kwargs).eval()
        with torch.no_grad():
            out = model(**torch.load(path + "/batch.pt"))
        torch.save({"lang_logits": out.lang_logits, "logits": out.logits}, path + "/outputs.pt")
        report["modules"][name] = type(model).__module__
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """One saved tiny model per class, with its input batch and reference outputs."""
    root = tmp_path_factory.mktemp("auto_roundtrip")
    cases, expected = {}, {}
    for model_class, auto_class in AUTO_CLASS_OF_MODEL.items():
        name = model_class.__name__
        config = LowResConfig(
            text_config=tiny_backbone_config(FAMILY_OF[name]), languages=["eng", "jav"], num_labels=3
        )
        model = model_class(config).eval()
        model.save_pretrained(root / name)
        saved = json.loads((root / name / "config.json").read_text())
        assert saved["auto_map"][auto_class.__name__] == f"modeling_lowres.{name}"
        assert (root / name / "modeling_lowres.py").is_file() and (root / name / "configuration_lowres.py").is_file()
        batch = seeded_random_batch()
        if name == "LowResForSeq2SeqLM":
            batch["labels"] = batch["input_ids"].clone()
        torch.save(batch, root / name / "batch.pt")
        with torch.no_grad():
            expected[name] = model(**batch)
        cases[name] = auto_class.__name__
    (root / "cases.json").write_text(json.dumps(cases))
    (root / "load.py").write_text(LOAD_SCRIPT)
    return root, expected


@pytest.mark.parametrize("import_hf_lowres", [True, False], ids=["with-import", "remote-code"])
def test_auto_roundtrip_in_a_fresh_process(saved_models, import_hf_lowres, tmp_path):
    root, expected = saved_models
    # Run from tmp_path with an empty PYTHONPATH so that the checkout's hf_lowres is not importable by accident.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": "", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    result = subprocess.run(
        [sys.executable, str(root / "load.py"), str(root), "1" if import_hf_lowres else "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["hf_lowres_imported"] is import_hf_lowres
    for name, reference in expected.items():
        module = report["modules"][name]
        assert module.startswith("hf_lowres" if import_hf_lowres else "transformers_modules"), module
        actual = torch.load(root / name / "outputs.pt")
        assert torch.equal(actual["lang_logits"], reference.lang_logits), name
        if reference.logits is not None:
            assert torch.equal(actual["logits"], reference.logits), name
