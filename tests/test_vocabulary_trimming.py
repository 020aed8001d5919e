"""Vocabulary trimming: smaller tokenizer and embeddings, identical outputs on text inside the kept vocabulary."""

import pytest
import torch
from vocabulary_fixtures import (
    OLD_TEXTS,
    TARGET_TEXTS,
    tiny_bpe_tokenizer,
    tiny_unigram_tokenizer,
    tiny_wordpiece_tokenizer,
)

from hf_lowres import LowResConfig, LowResForMaskedLM
from hf_lowres.testing_utils import tiny_backbone_config
from hf_lowres.vocabulary import trim_vocabulary


KEPT_TEXTS = TARGET_TEXTS[:8]
CASES = {"wordpiece": (tiny_wordpiece_tokenizer, "bert"), "unigram": (tiny_unigram_tokenizer, "xlm-roberta")}


def build(tokenizer, family):
    torch.manual_seed(0)
    text_config = tiny_backbone_config(family, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    return LowResForMaskedLM(LowResConfig(text_config=text_config, languages=["jav"])).eval()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_trimmed_model_gives_identical_outputs_inside_the_kept_vocabulary(kind, tmp_path):
    make_tokenizer, family = CASES[kind]
    tokenizer = make_tokenizer()
    model = build(tokenizer, family)
    batch = tokenizer(KEPT_TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(**batch, output_hidden_states=True)

    trimming = trim_vocabulary(model, tokenizer, KEPT_TEXTS)
    trimmed = trimming.tokenizer
    kept = sorted(trimming.old_to_new)
    assert len(trimmed) == len(kept) < len(tokenizer)
    assert kept == sorted(trimming.old_to_new, key=trimming.old_to_new.get)  # order kept, ids dense
    assert {tokenizer.convert_ids_to_tokens(i) for i in tokenizer.all_special_ids} <= set(trimmed.get_vocab())
    # Same segmentation, ids renumbered through the map (specials included).
    new_batch = trimmed(KEPT_TEXTS, padding=True, return_tensors="pt")
    remapped = batch["input_ids"].clone().apply_(trimming.old_to_new.__getitem__)
    assert torch.equal(new_batch["input_ids"], remapped)
    assert torch.equal(new_batch["attention_mask"], batch["attention_mask"])

    embeddings, output = model.get_input_embeddings(), model.get_output_embeddings()
    assert embeddings.weight.shape[0] == len(kept) and output.weight is embeddings.weight
    head = model.backbone.get_submodule("cls.predictions" if family == "bert" else "lm_head")
    assert output.bias.shape[0] == len(kept) and head.bias is output.bias  # the MLM bias stays tied to the decoder
    assert model.config.text_config.vocab_size == len(kept)
    assert model.config.text_config.pad_token_id == trimmed.pad_token_id
    with torch.no_grad():
        after = model(**new_batch, output_hidden_states=True)
    torch.testing.assert_close(after.hidden_states[-1], before.hidden_states[-1], rtol=0, atol=0)
    torch.testing.assert_close(after.logits, before.logits[..., kept], rtol=0, atol=0)

    report = trimming.to_dict()
    hidden = embeddings.weight.shape[1]
    removed = len(tokenizer) - len(kept)
    assert report["parameters_saved"] == removed * (hidden + 1)  # tied matrix once, plus the MLM bias
    assert report["megabytes_saved"] == round(removed * (hidden + 1) * 4 / 2**20, 2)

    model.save_pretrained(tmp_path)
    trimmed.save_pretrained(tmp_path)
    loaded = LowResForMaskedLM.from_pretrained(tmp_path).eval()
    loaded_tokenizer = type(trimmed).from_pretrained(tmp_path)
    assert loaded_tokenizer(KEPT_TEXTS)["input_ids"] == trimmed(KEPT_TEXTS)["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(loaded(**new_batch).logits, after.logits, rtol=0, atol=0)


def test_keep_tokens_and_characters():
    tokenizer = tiny_wordpiece_tokenizer()
    trimming = trim_vocabulary(None, tokenizer, ["hello world"], keep_tokens=["movie"], keep_single_characters=True)
    vocab = trimming.tokenizer.get_vocab()
    assert {"hello", "world", "movie", "x", "##x", "[UNK]", "[PAD]"} <= set(vocab) and "film" not in vocab
    assert trimming.tokenizer.tokenize("film") == ["f", "##i", "##l", "##m"]
    assert trim_vocabulary(None, tokenizer, ["hello"]).tokenizer.tokenize("film") == ["[UNK]"]
    assert trimming.tokenizer(OLD_TEXTS[-1])["input_ids"][0] == trimming.tokenizer.cls_token_id


def test_unsupported_model_type():
    with pytest.raises(NotImplementedError, match="WordPiece and Unigram"):
        trim_vocabulary(None, tiny_bpe_tokenizer(), ["the"])
