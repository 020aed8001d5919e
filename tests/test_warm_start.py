"""BERT2BERT warm starts: the checkpoint they write, the new modules they name, and `train_translation` training
those in full beside LoRA."""

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForSeq2SeqLM, BertModel, EncoderDecoderModel

from hf_lowres import LowResForSeq2SeqLM
from hf_lowres.adapters import AdapterManager
from hf_lowres.cli import main as cli_main
from hf_lowres.models import WARM_START_FILE, warm_start_encoder_decoder, warm_start_new_modules
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    """A tiny 2-layer BERT saved without an MLM head (as me5-small ships), with its tokenizer."""
    directory = tmp_path_factory.mktemp("encoder")
    torch.manual_seed(0)
    BertModel(tiny_backbone_config("bert"), add_pooling_layer=False).save_pretrained(directory)
    tiny_tokenizer().save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def warm_dir(encoder_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("bert2bert")
    warm_start_encoder_decoder(encoder_dir, directory, decoder_layers=1)
    return directory


def test_warm_start_writes_a_seq2seq_checkpoint_whose_decoder_starts_from_the_encoder(encoder_dir, warm_dir):
    tokenizer = tiny_tokenizer()
    model = AutoModelForSeq2SeqLM.from_pretrained(warm_dir)
    assert isinstance(model, EncoderDecoderModel)
    assert model.config.encoder.num_hidden_layers == 2 and model.config.decoder.num_hidden_layers == 1
    assert model.config.decoder.is_decoder and model.config.decoder.add_cross_attention
    assert model.generation_config.decoder_start_token_id == tokenizer.cls_token_id
    assert model.generation_config.eos_token_id == tokenizer.sep_token_id
    source = load_file(encoder_dir / "model.safetensors")
    layer0 = "encoder.layer.0.attention.self.query.weight"
    assert torch.equal(model.decoder.bert.state_dict()[layer0], source[layer0])
    assert torch.equal(model.encoder.state_dict()["encoder.layer.1.output.dense.weight"],
                       source["encoder.layer.1.output.dense.weight"])  # fmt: skip
    batch = tokenizer(["the cat sat"], return_tensors="pt")
    generated = model.generate(**batch, max_new_tokens=4, num_beams=1, do_sample=False)
    assert generated.shape[0] == 1 and generated[0, 0].item() == tokenizer.cls_token_id


def test_warm_start_names_exactly_the_new_modules(encoder_dir, warm_dir):
    report = json.loads((warm_dir / WARM_START_FILE).read_text())
    # The checkpoint has no MLM head and no cross-attention: those are new; the self-attention and FFN are not.
    assert report["new_modules"] == [
        "decoder.bert.encoder.layer.0.crossattention",
        "decoder.cls.predictions.transform",
    ]
    assert report["new_parameters"] == ["decoder.cls.predictions.bias", "decoder.cls.predictions.decoder.bias"]
    assert report["checkpoint"] == encoder_dir.name  # the name: no local path in what may be published
    assert warm_start_new_modules(warm_dir) == report["new_modules"]


def test_warm_start_rejects_bad_depths_and_other_checkpoints_have_no_new_modules(encoder_dir, tmp_path):
    with pytest.raises(ValueError, match=r"`decoder_layers` must be an integer from 1 to 2 .* got 3"):
        warm_start_encoder_decoder(encoder_dir, tmp_path / "x", decoder_layers=3)
    with pytest.raises(ValueError, match=r"`encoder_layers` must be an integer from 1 to 2 .* got 0"):
        warm_start_encoder_decoder(encoder_dir, tmp_path / "x", encoder_layers=0)
    assert warm_start_new_modules(encoder_dir) is None
    (tmp_path / WARM_START_FILE).write_text('{"new_modules": "crossattention"}')
    with pytest.raises(ValueError, match=r"warm_start.json: `new_modules` must be a list of module names"):
        warm_start_new_modules(tmp_path)


def test_train_translation_trains_the_new_modules_in_full_and_lora_elsewhere(warm_dir, tmp_path):
    pairs = [("saya suka film ini", "aku seneng film iki"), ("makanan ini enak", "panganan iki enak")] * 2
    multiway = tmp_path / "mt.csv"
    multiway.write_text("indonesian,javanese\n" + "".join(f"{i},{j}\n" for i, j in pairs))
    output = tmp_path / "mt"
    argv = ["train_translation", "--model_name_or_path", str(warm_dir), "--source_lang", "ind", "--target_lang",
            "jav", "--train_file", str(multiway), "--test_file", str(multiway), "--num_beams", "1",
            "--max_new_tokens", "4", "--output_dir", str(output), "--max_steps", "3", "--learning_rate", "1e-2",
            "--per_device_train_batch_size", "2", "--report_to", "none", "--use_cpu", "--save_strategy", "no",
            "--lora_r", "2", "--lora_alpha", "4"]  # fmt: skip
    assert cli_main(argv) == 0
    saved = load_file(output / "adapters" / "task_translation" / "adapter_model.safetensors")
    full = [k for k in saved if ".crossattention." in k or ".predictions.transform." in k]
    assert full and not any("lora_" in k for k in full)  # trained in full, no LoRA inside
    assert any("decoder.bert.encoder.layer.0.attention.self.query.lora_A" in k for k in saved)
    assert any(k.startswith("base_model.model.backbone.encoder.") and "lora_B" in k for k in saved)

    # Loaded back over the warm start, the adapter carries the trained cross-attention, not the random one.
    fresh = LowResForSeq2SeqLM.from_backbone(str(warm_dir), ["ind", "jav"])
    random_key = fresh.backbone.decoder.bert.encoder.layer[0].crossattention.self.key.weight.detach().clone()
    manager = AdapterManager.from_pretrained(output / "adapters", model=fresh)
    manager.activate(task="translation")
    wrapped = manager.peft_model.base_model.model.backbone.decoder.bert.encoder.layer[0].crossattention
    trained_key = wrapped.modules_to_save["task_translation"].self.key.weight
    assert not torch.equal(trained_key, random_key)
    stored = next(v for k, v in saved.items() if k.endswith("crossattention.self.key.weight"))
    assert torch.equal(trained_key.detach(), stored)


def test_translation_labels_lose_a_leading_decoder_start_token_only():
    from datasets import Dataset

    from hf_lowres.training import tokenize_translation

    tokenizer = tiny_tokenizer()  # BERT-style: every sequence starts with [CLS]
    pairs = Dataset.from_dict({"source_text": ["the cat"], "target_text": ["kucing lungguh"], "source_lang": ["ind"]})
    plain = tokenize_translation(pairs, tokenizer)[0]["labels"]
    assert plain[0] == tokenizer.cls_token_id
    # A BERT2BERT decoder starts from [CLS]: predicting it again taught a real run to repeat it (empty output).
    started = tokenize_translation(pairs, tokenizer, decoder_start_token_id=tokenizer.cls_token_id)[0]["labels"]
    assert started == plain[1:]
    # Marian / mT5 start from the pad token, which no label sequence begins with: nothing changes.
    assert tokenize_translation(pairs, tokenizer, decoder_start_token_id=tokenizer.pad_token_id)[0]["labels"] == plain
