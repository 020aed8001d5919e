"""encode_texts: pooled representations from any transformers model returning hidden states."""

import pytest
import torch
from transformers import AutoModel

from hf_lowres.evaluation import encode_texts, pool_hidden_states
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


TEXTS = ["saya suka makanan ini", "aku seneng banget", "the movie was very good and i like it", "ini"]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def bert():
    torch.manual_seed(0)
    return AutoModel.from_config(tiny_backbone_config("bert"))


def test_last_layer_mean_pooling_shape_and_dtype(bert, tokenizer):
    vectors = encode_texts(bert, tokenizer, TEXTS)
    assert vectors.shape == (len(TEXTS), 32)
    assert vectors.dtype == torch.float32
    assert torch.isfinite(vectors).all()


def test_padding_and_batch_size_do_not_change_the_result(bert, tokenizer):
    # Batches of 1 have no padding; one batch of 4 pads the short sentences.
    one_by_one = encode_texts(bert, tokenizer, TEXTS, batch_size=1)
    together = encode_texts(bert, tokenizer, TEXTS, batch_size=4)
    torch.testing.assert_close(one_by_one, together, atol=1e-5, rtol=1e-4)


def test_layers_return_a_dict_keyed_by_positive_index(bert, tokenizer):
    per_layer = encode_texts(bert, tokenizer, TEXTS, layers="all")
    assert sorted(per_layer) == [0, 1, 2]  # embeddings + 2 layers
    torch.testing.assert_close(per_layer[2], encode_texts(bert, tokenizer, TEXTS))
    assert not torch.allclose(per_layer[0], per_layer[2])
    assert sorted(encode_texts(bert, tokenizer, TEXTS, layers=[-1, 1])) == [1, 2]
    with pytest.raises(ValueError, match="out of range"):
        encode_texts(bert, tokenizer, TEXTS, layers=[5])


def test_pooling_strategies_differ_and_match_manual_computation(bert, tokenizer):
    batch = tokenizer(TEXTS[:2], padding=True, return_tensors="pt")
    bert.eval()  # no dropout in the manual forward, as in encode_texts
    with torch.no_grad():
        hidden = bert(**batch).last_hidden_state
    mask = batch["attention_mask"]
    first_length = int(mask[1].sum())
    torch.testing.assert_close(encode_texts(bert, tokenizer, TEXTS[:2], pooling="cls"), hidden[:, 0])
    torch.testing.assert_close(
        encode_texts(bert, tokenizer, TEXTS[:2], pooling="last")[1], hidden[1, first_length - 1]
    )
    manual_mean = hidden[1, :first_length].mean(dim=0)
    torch.testing.assert_close(encode_texts(bert, tokenizer, TEXTS[:2])[1], manual_mean, atol=1e-5, rtol=1e-4)


def test_model_pooled_output_and_training_mode_restored(bert, tokenizer):
    bert.train()
    pooled = encode_texts(bert, tokenizer, TEXTS, pooling="pooled")
    assert bert.training
    assert pooled.shape == (len(TEXTS), 32)
    with pytest.raises(ValueError, match="cannot be combined"):
        encode_texts(bert, tokenizer, TEXTS, pooling="pooled", layers=[1])


@pytest.mark.parametrize("family", ["t5", "llama"])
def test_encoder_decoder_and_decoder_families(family, tokenizer):
    model = AutoModel.from_config(tiny_backbone_config(family))
    vectors = encode_texts(model, tokenizer, TEXTS, pooling="last" if family == "llama" else "mean", layers=[-1])
    assert vectors[2].shape == (len(TEXTS), 32)


def test_pool_hidden_states_ignores_padding():
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(pool_hidden_states(hidden, mask, "mean"), torch.tensor([[2.0, 2.0]]))
    torch.testing.assert_close(pool_hidden_states(hidden, mask, "last"), torch.tensor([[3.0, 3.0]]))
    left_padded = torch.tensor([[0, 1, 1]])
    torch.testing.assert_close(pool_hidden_states(hidden, left_padded, "last"), torch.tensor([[100.0, 100.0]]))
