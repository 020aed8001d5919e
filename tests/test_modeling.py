"""The hf_lowres model classes on tiny encoder, encoder-decoder and decoder backbones."""

import pytest
import torch
from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSeq2SeqLM

from hf_lowres import (
    LowResConfig,
    LowResForCausalLM,
    LowResForMaskedLM,
    LowResForSeq2SeqLM,
    LowResForSequenceClassification,
    LowResForTokenClassification,
    LowResModel,
)
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config


LANGUAGES = ["eng", "jav", "sun"]
LANG_LABELS = torch.tensor([0, 1, 2, 0])
# Each class on at least three backbone families; an encoder, an encoder-decoder and a decoder where the
# transformers Auto class of the backbone has a mapping for them (no masked LM exists for T5 or Llama).
CASES = [
    (LowResModel, "bert"),
    (LowResModel, "t5"),
    (LowResModel, "llama"),
    (LowResForSequenceClassification, "xlm-roberta"),
    (LowResForSequenceClassification, "marian"),
    (LowResForSequenceClassification, "qwen2"),
    (LowResForTokenClassification, "bert"),
    (LowResForTokenClassification, "t5"),
    (LowResForTokenClassification, "llama"),
    (LowResForMaskedLM, "bert"),
    (LowResForMaskedLM, "xlm-roberta"),
    (LowResForSeq2SeqLM, "t5"),
    (LowResForSeq2SeqLM, "marian"),
    (LowResForCausalLM, "llama"),
    (LowResForCausalLM, "qwen2"),
    (LowResForCausalLM, "bert"),
]


def build(model_class, family, **config_kwargs):
    config = LowResConfig(text_config=tiny_backbone_config(family), languages=LANGUAGES, num_labels=3, **config_kwargs)
    return model_class(config)


def task_labels(model_class, batch):
    input_ids = batch["input_ids"]
    if model_class is LowResForSequenceClassification:
        return torch.tensor([0, 1, 2, 1])
    if model_class is LowResForTokenClassification:
        labels = torch.randint(0, 3, input_ids.shape, generator=torch.Generator().manual_seed(1))
        return labels.masked_fill(batch["attention_mask"] == 0, -100)
    if model_class in (LowResForMaskedLM, LowResForCausalLM, LowResForSeq2SeqLM):
        return input_ids.masked_fill(batch["attention_mask"] == 0, -100)
    return None


def comparable(config_dict: dict) -> dict:
    """A config dict without the fields that loading sets (`_name_or_path`, the dtype of the loaded weights)."""
    config_dict = {k: v for k, v in config_dict.items() if k not in ("_name_or_path", "dtype")}
    config_dict["text_config"] = {
        k: v for k, v in config_dict["text_config"].items() if k not in ("_name_or_path", "dtype")
    }
    return config_dict


def case_id(case):
    return f"{case[0].__name__}-{case[1]}"


@pytest.mark.parametrize("model_class,family", CASES, ids=[case_id(c) for c in CASES])
def test_forward_backward_and_losses(model_class, family):
    model = build(model_class, family)
    batch = seeded_random_batch()
    lang_labels = torch.tensor([0, 1, 2, 0])

    plain = model(**batch)
    assert plain.loss is None and plain.task_loss is None and plain.lang_loss is None
    assert plain.lang_logits.shape == (4, len(LANGUAGES))
    assert plain.pooled_output.shape == (4, model.config.backbone_hidden_size)

    labels = task_labels(model_class, batch)
    kwargs = {"labels": labels} if labels is not None else {}
    out = model(**batch, **kwargs, lang_labels=lang_labels)
    assert torch.isfinite(out.lang_loss)
    if labels is not None:
        assert torch.isfinite(out.task_loss)
        torch.testing.assert_close(out.loss, out.task_loss + out.lang_loss)
    else:
        torch.testing.assert_close(out.loss, out.lang_loss)

    out.loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert all(g is not None for name, g in grads.items() if name.startswith("discriminator."))
    embedding = model.get_input_embeddings().weight
    assert embedding.grad is not None and embedding.grad.abs().sum() > 0


@pytest.mark.parametrize("model_class,family", CASES, ids=[case_id(c) for c in CASES])
def test_save_load_roundtrip_is_exact(model_class, family, tmp_path):
    model = build(model_class, family).eval()
    batch = seeded_random_batch()
    model.save_pretrained(tmp_path)
    reloaded = model_class.from_pretrained(tmp_path).eval()

    state, reloaded_state = model.state_dict(), reloaded.state_dict()
    assert state.keys() == reloaded_state.keys()
    for key in state:
        assert torch.equal(state[key], reloaded_state[key]), key
    assert comparable(reloaded.config.to_dict()) == comparable(model.config.to_dict())
    with torch.no_grad():
        expected, actual = model(**batch), reloaded(**batch)
    assert torch.equal(expected.lang_logits, actual.lang_logits)
    assert torch.equal(expected.pooled_output, actual.pooled_output)
    if expected.logits is not None:
        assert torch.equal(expected.logits, actual.logits)


BACKBONE_AUTO = {
    LowResForMaskedLM: (AutoModelForMaskedLM, "bert"),
    LowResForSeq2SeqLM: (AutoModelForSeq2SeqLM, "marian"),
    LowResForCausalLM: (AutoModelForCausalLM, "llama"),
    LowResForSequenceClassification: (AutoModel, "xlm-roberta"),
}


@pytest.mark.parametrize("model_class", list(BACKBONE_AUTO), ids=lambda c: c.__name__)
def test_from_backbone_keeps_every_pretrained_weight(model_class, tmp_path):
    auto_class, family = BACKBONE_AUTO[model_class]
    pretrained = auto_class.from_config(tiny_backbone_config(family)).eval()
    pretrained.save_pretrained(tmp_path)

    model = model_class.from_backbone(str(tmp_path), ["eng", "jav"], num_labels=2).eval()

    backbone_state = model.backbone.state_dict()
    for key, value in pretrained.state_dict().items():
        assert torch.equal(backbone_state[key], value), key
    assert model.config.text_config.model_type == pretrained.config.model_type
    assert model.backbone.config._attn_implementation == pretrained.config._attn_implementation
    batch = seeded_random_batch()
    if model_class is not LowResForSequenceClassification:
        extra = {"labels": batch["input_ids"]} if model_class is LowResForSeq2SeqLM else {}
        with torch.no_grad():
            # The pretrained LM head is kept: same logits as the backbone alone.
            assert torch.equal(model(**batch, **extra).logits, pretrained(**batch, **extra).logits)


def test_masked_lm_decoder_stays_tied_to_embeddings(tmp_path):
    model = build(LowResForMaskedLM, "bert")
    model.save_pretrained(tmp_path)
    reloaded = LowResForMaskedLM.from_pretrained(tmp_path)
    for m in (model, reloaded):
        assert m.get_output_embeddings().weight is m.get_input_embeddings().weight


def test_new_heads_are_initialized_by_init_weights():
    model = build(LowResForSequenceClassification, "bert", discriminator_num_layers=0)
    classifier = model.classifier[1]
    assert torch.all(classifier.bias == 0)
    std = model.config.text_config.initializer_range
    assert 0.5 * std < classifier.weight.std().item() < 1.5 * std


def test_seq2seq_and_causal_generate_through_backbone():
    batch = seeded_random_batch(batch_size=2)
    seq2seq = build(LowResForSeq2SeqLM, "t5").eval()
    generated = seq2seq.generate(**batch, max_new_tokens=5, do_sample=False)
    assert torch.equal(generated, seq2seq.backbone.generate(**batch, max_new_tokens=5, do_sample=False))
    causal = build(LowResForCausalLM, "llama").eval()
    generated = causal.generate(**batch, max_new_tokens=3, do_sample=False)
    assert generated.shape == (2, batch["input_ids"].shape[1] + 3)


@pytest.mark.parametrize("family", ["bert", "t5", "llama"])
def test_gradient_checkpointing_gives_the_same_gradients(family):
    batch = seeded_random_batch()
    lang_labels = torch.tensor([0, 1, 2, 0])
    labels = torch.tensor([0, 1, 2, 1])
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = build(LowResForSequenceClassification, family, classifier_dropout=0.0, discriminator_dropout=0.0)
        model.config.text_config.dropout_rate = 0.0
        model.train()
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        if checkpointing:
            model.activation_checkpointing_enable({"use_reentrant": False})
            assert model.is_activation_checkpointing
        model(**batch, labels=labels, lang_labels=lang_labels).loss.backward()
        grads.append(model.get_input_embeddings().weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_forward_backward(dtype):
    model = build(LowResForSequenceClassification, "bert")
    batch = seeded_random_batch()
    with torch.autocast("cpu", dtype=dtype):
        out = model(**batch, labels=torch.tensor([0, 1, 2, 1]), lang_labels=torch.tensor([0, 1, 2, 0]))
    assert out.loss.dtype == torch.float32 and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.classifier[1].weight.grad is not None


def test_to_device_and_dtype_move_every_module():
    model = build(LowResForTokenClassification, "bert").to(torch.device("cpu"), dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    out = model(**seeded_random_batch())
    assert out.logits.dtype == torch.bfloat16 and out.logits.device.type == "cpu"


def test_grl_lambda_is_settable_at_run_time():
    model = build(LowResModel, "bert")
    assert model.grl_lambda == 1.0
    model.grl_lambda = 0.25
    assert model.discriminator.gradient_reversal.lambda_ == 0.25


def test_lang_labels_all_ignored_give_zero_connected_loss():
    model = build(LowResModel, "bert")
    out = model(**seeded_random_batch(), lang_labels=torch.full((4,), -100))
    assert out.lang_loss.item() == 0.0 and out.lang_loss.requires_grad


def test_pooled_output_uses_alignment_layer_and_pooling():
    model = build(LowResModel, "bert", alignment_layer=0, alignment_pooling="cls").eval()
    batch = seeded_random_batch()
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    torch.testing.assert_close(out.pooled_output, out.hidden_states[0][:, 0])
    assert len(out.hidden_states) == model.config.backbone_num_layers + 1


@pytest.mark.parametrize("model_class,family", [(LowResForMaskedLM, "bert"), (LowResForCausalLM, "llama")])
def test_encoder_only_skips_the_lm_head_and_keeps_the_representations(model_class, family):
    model = build(model_class, family).eval()
    batch = seeded_random_batch()
    with torch.no_grad():
        full = model(**batch, lang_labels=LANG_LABELS, output_hidden_states=True)
        encoder_only = model(**batch, lang_labels=LANG_LABELS, output_hidden_states=True, encoder_only=True)
    assert encoder_only.logits is None and full.logits is not None
    torch.testing.assert_close(encoder_only.lang_logits, full.lang_logits)
    torch.testing.assert_close(encoder_only.pooled_output, full.pooled_output)
    torch.testing.assert_close(encoder_only.lang_loss, full.lang_loss)
    with pytest.raises(ValueError, match="takes no `labels`"):
        model(**batch, labels=batch["input_ids"], encoder_only=True)
