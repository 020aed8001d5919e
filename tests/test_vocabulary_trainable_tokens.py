"""Training only the new embedding rows with PEFT's Trainable Tokens; save -> load restores them and the tokenizer."""

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from vocabulary_fixtures import TARGET_TEXTS, tiny_wordpiece_tokenizer

from hf_lowres import LowResConfig, LowResForMaskedLM, LowResForSequenceClassification
from hf_lowres.testing_utils import tiny_backbone_config
from hf_lowres.vocabulary import expand_vocabulary, input_embeddings_name, trainable_token_indices


def expanded(model_class):
    """The same base model and expansion every call (fixed seed, deterministic mean initialization)."""
    tokenizer = tiny_wordpiece_tokenizer()
    torch.manual_seed(0)
    config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=["eng", "jav"], num_labels=3)
    model = model_class(config)
    expansion = expand_vocabulary(model, tokenizer, TARGET_TEXTS, num_new_tokens=8, target_vocab_size=200)
    return model, expansion


def test_embedding_name_is_resolved_inside_the_composite():
    assert input_embeddings_name(expanded(LowResForSequenceClassification)[0]) == "backbone.embeddings.word_embeddings"
    model, expansion = expanded(LowResForMaskedLM)
    assert input_embeddings_name(model) == "backbone.bert.embeddings.word_embeddings"
    indices = trainable_token_indices(model, reversed(expansion.new_token_ids))
    assert indices == {"backbone.bert.embeddings.word_embeddings": sorted(expansion.new_token_ids)}
    with pytest.raises(ValueError, match="must lie in"):
        trainable_token_indices(model, [10**6])


def test_only_new_rows_train_and_save_load_restores_them(tmp_path):
    model, expansion = expanded(LowResForSequenceClassification)
    new_ids = expansion.new_token_ids
    base_rows = model.get_input_embeddings().weight.detach().clone()
    config = LoraConfig(
        r=4,
        target_modules=["query", "value"],
        modules_to_save=["classifier"],
        trainable_token_indices=trainable_token_indices(model, new_ids),
    )
    peft_model = get_peft_model(model, config)
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2)
    batch = expansion.tokenizer(TARGET_TEXTS[:8], padding=True, return_tensors="pt")
    assert torch.isin(batch["input_ids"], torch.tensor(new_ids)).any()
    peft_model.train()
    for _ in range(3):
        loss = peft_model(**batch, labels=torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    peft_model.eval()

    ids = torch.arange(base_rows.shape[0])
    with torch.no_grad():
        trained_rows = peft_model.get_input_embeddings()(ids)
    old = torch.ones(len(ids), dtype=torch.bool)
    old[new_ids] = False
    torch.testing.assert_close(trained_rows[old], base_rows[old], rtol=0, atol=0)  # frozen
    assert not torch.allclose(trained_rows[new_ids], base_rows[new_ids])  # trained
    with torch.no_grad():
        logits = peft_model(**batch).logits

    peft_model.save_pretrained(tmp_path)
    expansion.tokenizer.save_pretrained(tmp_path)
    fresh, _ = expanded(LowResForSequenceClassification)
    loaded = PeftModel.from_pretrained(fresh, tmp_path).eval()
    tokenizer = type(expansion.tokenizer).from_pretrained(tmp_path)
    assert tokenizer.get_vocab() == expansion.tokenizer.get_vocab()
    with torch.no_grad():
        torch.testing.assert_close(loaded.get_input_embeddings()(ids), trained_rows, rtol=0, atol=0)
        reloaded_batch = tokenizer(TARGET_TEXTS[:8], padding=True, return_tensors="pt")
        torch.testing.assert_close(loaded(**reloaded_batch).logits, logits, rtol=0, atol=0)
