"""Vocabulary expansion and trimming on the real models (minilm-en: WordPiece; me5-small: Unigram) with NusaX text.

Marked slow: needs `pip install -r benchmarks/requirements.txt` and ../shared/data.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from hf_lowres.data.nusax import load_nusax_sentiment
from hf_lowres.vocabulary import expand_vocabulary, trim_vocabulary


pytestmark = pytest.mark.slow
REAL_MODELS_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "real_models.py"
ENGLISH = ["the movie was very good", "I did not like the food at all."]


def _materialize(name):
    spec = importlib.util.spec_from_file_location("_hf_lowres_benchmarks_real_models", REAL_MODELS_PATH)
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    try:
        return module.materialize(name)
    except module.MissingSourcePackageError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def javanese(shared_data_dir):
    train = list(load_nusax_sentiment(shared_data_dir / "nusax", "jav", split="train")["text"])
    test = list(load_nusax_sentiment(shared_data_dir / "nusax", "jav", split="test")["text"])
    return train, test


@pytest.mark.parametrize(("name", "word_initial"), [("minilm-en", "^[^#]"), ("me5-small", "^▁")])
def test_expansion_on_real_model(name, word_initial, javanese, tmp_path):
    train, test = javanese
    path = _materialize(name)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    old_rows = model.get_input_embeddings().weight.detach().clone()
    old_batch = tokenizer(ENGLISH, padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(**old_batch).last_hidden_state

    expansion = expand_vocabulary(model, tokenizer, train, num_new_tokens=200)
    extended = expansion.tokenizer
    assert len(expansion.new_tokens) == 200 and len(extended) == len(tokenizer) + 200
    assert model.get_input_embeddings().weight.shape[0] >= len(extended)
    prefix = "▁" if word_initial == "^▁" else ""
    words = [(t, i) for t, i in zip(expansion.new_tokens, expansion.new_token_ids) if t.token.startswith(prefix)]
    words = [(t, i) for t, i in words if not t.token.startswith("##")]
    assert len(words) >= 50
    for token, token_id in words:
        assert extended(token.token.removeprefix("▁"), add_special_tokens=False)["input_ids"] == [token_id]
    fewer = sum(map(len, extended(test)["input_ids"])) / sum(map(len, tokenizer(test)["input_ids"]))
    assert fewer < 0.95  # held-out Javanese text is shorter

    new_batch = extended(ENGLISH, padding=True, return_tensors="pt")
    assert torch.equal(new_batch["input_ids"], old_batch["input_ids"])
    with torch.no_grad():
        torch.testing.assert_close(model(**new_batch).last_hidden_state, before, rtol=0, atol=0)
    rows = model.get_input_embeddings().weight.detach()
    torch.testing.assert_close(rows[: len(tokenizer)], old_rows[: len(tokenizer)], rtol=0, atol=0)
    for token, token_id in zip(expansion.new_tokens[:50], expansion.new_token_ids[:50]):
        torch.testing.assert_close(rows[token_id], old_rows[token.base_piece_ids].mean(0))

    model.save_pretrained(tmp_path)
    extended.save_pretrained(tmp_path)
    loaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded_tokenizer.get_vocab() == extended.get_vocab()
    assert loaded_tokenizer(test[:50])["input_ids"] == extended(test[:50])["input_ids"]
    loaded = AutoModel.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded.get_input_embeddings().weight, rows, rtol=0, atol=0)


def test_trimming_me5_keeps_outputs_on_kept_text(javanese):
    train, _ = javanese
    path = _materialize("me5-small")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    batch = tokenizer(train[:16], padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(**batch).last_hidden_state
    trimming = trim_vocabulary(model, tokenizer, train)
    assert trimming.vocab_size_after < 10_000 and trimming.megabytes_saved > 300
    new_batch = trimming.tokenizer(train[:16], padding=True, return_tensors="pt")
    assert torch.equal(new_batch["input_ids"], batch["input_ids"].clone().apply_(trimming.old_to_new.__getitem__))
    with torch.no_grad():
        torch.testing.assert_close(model(**new_batch).last_hidden_state, before, rtol=0, atol=0)
