"""`adapt_language` with the causal-LM objective on a tiny Llama: `--objective auto` picks it for a decoder and MLM
for an encoder, training lowers the causal-LM loss, the saved folder loads in `train_instructions
--language_adapters` and really changes its outputs, the adversarial and alignment losses train through the decoder,
and a wrong `--objective` is refused naming the argument."""

import json

import pytest
import torch
from instruction_data_folder import CHAT_TEMPLATE, write_instruction_data
from transformers import AutoModelForCausalLM, AutoTokenizer

from hf_lowres import LowResForCausalLM
from hf_lowres.adapters import COMPOSITION_FILE, DISCRIMINATOR_FILE, LM_HEAD_FILE, AdapterManager
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


# The languages `train_instructions` reads from the tiny instruction data folder, sorted: the adapters' discriminator
# must have exactly these to load there.
LANGUAGES = ["ind", "jav"]
JAVANESE = ["aku seneng film iki", "panganan iki enak banget", "aku ora seneng panganan kuwi", "film iki ala banget"]
INDONESIAN = ["saya suka film ini", "makanan ini enak", "saya tidak suka makanan itu", "film itu sangat buruk"]
TRAINING = ["--per_device_train_batch_size", "4", "--report_to", "none", "--save_strategy", "no", "--use_cpu", "true",
            "--logging_steps", "1", "--seed", "0"]  # fmt: skip


def save_checkpoint(directory, family: str):
    """A tiny decoder of `family` with the tiny tokenizer, without a padding token as most decoder tokenizers."""
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(tiny_backbone_config(family)).save_pretrained(directory)
    tokenizer = tiny_tokenizer(model_max_length=128)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.pad_token = None
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("tiny-llama"), "llama")


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run_adapt_language(checkpoint, tmp_path, *extra, trainer_log=None):
    """Runs the recipe on Javanese text through the `hf-lowres` command's parser; returns the manager."""
    import hf_lowres.recipes.adapt_language as recipe

    arguments = recipe.make_parser().parse_args_and_config([
        "--model_name_or_path", str(checkpoint), "--languages", *LANGUAGES, "--language", "jav",
        "--text_file", write_lines(tmp_path / "jav.txt", JAVANESE), "--output_dir", str(tmp_path / "run"),
        *TRAINING, *extra,
    ])  # fmt: skip
    inputs = recipe.check_inputs(*arguments)
    if trainer_log is None:
        return recipe.main(*arguments, inputs=inputs)
    trainer_class = recipe.CrossLingualTrainer

    class RecordingTrainer(trainer_class):
        def train(self, *args, **kwargs):
            result = super().train(*args, **kwargs)
            trainer_log.extend(self.state.log_history)
            return result

    recipe.CrossLingualTrainer = RecordingTrainer
    try:
        return recipe.main(*arguments, inputs=inputs)
    finally:
        recipe.CrossLingualTrainer = trainer_class


def lm_batch(tokenizer, texts):
    """`texts` as a right-padded batch with next-token labels (-100 on the padding)."""
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    batch["labels"] = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    return batch


@torch.no_grad()
def causal_lm_loss(model, batch) -> float:
    model.eval()
    return model(**batch).loss.item()


@torch.no_grad()
def logits(model, batch) -> torch.Tensor:
    model.eval()
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    return model(**inputs).logits


@pytest.fixture(scope="module")
def trained(llama_dir, tmp_path_factory):
    """A Javanese adapter trained with the default `--objective auto` (few steps, high learning rate), the causal-LM
    loss of its text under the untouched base model, and the text as a batch."""
    tmp_path = tmp_path_factory.mktemp("adapt-jav")
    tokenizer = AutoTokenizer.from_pretrained(llama_dir)
    tokenizer.pad_token = tokenizer.eos_token
    batch = lm_batch(tokenizer, JAVANESE)
    base = LowResForCausalLM.from_backbone(str(llama_dir), LANGUAGES)
    manager = run_adapt_language(llama_dir, tmp_path, "--max_steps", "12", "--learning_rate", "3e-2")
    return {"manager": manager, "dir": tmp_path / "run" / "adapters", "base": base, "batch": batch}


# ------------------------------------------------------------------------------------------------ the objective
def test_auto_picks_causal_lm_for_decoders_and_masked_lm_for_encoders():
    from transformers import GPT2Config

    from hf_lowres.recipes.adapt_language import is_decoder_only, language_modeling_objective

    for family in ("llama", "qwen2"):
        assert language_modeling_objective("auto", tiny_backbone_config(family)) == "clm", family
    assert language_modeling_objective("auto", GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=100)) == "clm"
    for family in ("bert", "xlm-roberta", "marian"):  # marian's type maps to a causal LM of its decoder alone
        assert not is_decoder_only(tiny_backbone_config(family)), family
        assert language_modeling_objective("auto", tiny_backbone_config(family)) == "mlm", family
    assert language_modeling_objective("clm", tiny_backbone_config("llama")) == "clm"
    assert language_modeling_objective("mlm", tiny_backbone_config("bert")) == "mlm"


def test_check_inputs_resolves_auto_from_the_checkpoint_config(llama_dir, tmp_path):
    import hf_lowres.recipes.adapt_language as recipe

    bert_dir = tmp_path / "bert"
    tiny_backbone_config("bert").save_pretrained(bert_dir)
    resolved = {}
    for name, checkpoint in (("llama", llama_dir), ("bert", bert_dir)):
        arguments = recipe.make_parser().parse_args_and_config([
            "--model_name_or_path", str(checkpoint), "--languages", *LANGUAGES, "--language", "jav",
            "--text_file", write_lines(tmp_path / "jav.txt", JAVANESE), "--output_dir", str(tmp_path / "run"),
        ])  # fmt: skip
        resolved[name] = recipe.check_inputs(*arguments).objective
    assert resolved == {"llama": "clm", "bert": "mlm"}


def test_mlm_on_a_decoder_is_refused_naming_the_argument_and_the_model_type(llama_dir, tmp_path):
    from hf_lowres.recipes.adapt_language import language_modeling_objective

    with pytest.raises(ValueError, match=r"'mlm' needs a masked-LM head, but 'llama' is a decoder-only .*--objective"):
        language_modeling_objective("mlm", tiny_backbone_config("llama"))
    # The recipe refuses it before any model loads, under the argument's name.
    with pytest.raises(ValueError, match=r"--objective: 'mlm' needs a masked-LM head, but 'llama'"):
        run_adapt_language(llama_dir, tmp_path, "--objective", "mlm", "--max_steps", "1")
    assert not (tmp_path / "run").exists()


def test_clm_on_an_encoder_is_refused():
    from hf_lowres.recipes.adapt_language import language_modeling_objective

    with pytest.raises(ValueError, match=r"'clm' needs a decoder-only model, but 'bert'.*--objective mlm"):
        language_modeling_objective("clm", tiny_backbone_config("bert"))
    # An encoder configured as a decoder has causal attention.
    assert language_modeling_objective("clm", tiny_backbone_config("bert", is_decoder=True)) == "clm"


def test_an_unknown_objective_is_refused_naming_the_argument():
    from hf_lowres.recipes.adapt_language import AdaptLanguageArguments

    with pytest.raises(ValueError, match=r"`objective` must be one of \['auto', 'mlm', 'clm'\], got 'mlmm'"):
        AdaptLanguageArguments("m", ["ind", "jav"], "jav", "t.txt", objective="mlmm")


# ---------------------------------------------------------------------------------------------------- training
def test_clm_training_lowers_the_causal_lm_loss_of_its_text(trained):
    manager, batch = trained["manager"], trained["batch"]
    assert type(manager.model) is LowResForCausalLM  # `auto` chose causal LM for llama
    before = causal_lm_loss(trained["base"], batch)
    manager.activate(language="jav")
    after = causal_lm_loss(manager.peft_model, batch)
    assert after < before - 0.1, (before, after)


def test_only_the_lora_weights_and_not_the_decoder_or_its_lm_head_changed(trained):
    manager, base = trained["manager"], trained["base"]
    trained_state = {k: v for k, v in manager.model.state_dict().items() if "lora_" not in k}
    base_state = base.state_dict()
    for name, value in base_state.items():
        peft_name = name.replace(".q_proj.", ".q_proj.base_layer.").replace(".v_proj.", ".v_proj.base_layer.")
        key = peft_name if peft_name in trained_state else name
        if not name.startswith("discriminator."):
            torch.testing.assert_close(trained_state[key], value, rtol=0, atol=0, msg=name)
    assert any(p.abs().sum() > 0 for n, p in manager.model.named_parameters() if "lora_B" in n)
    # Switching the adapter off gives back the base model exactly (the LM head stayed frozen).
    with manager.peft_model.disable_adapter():
        torch.testing.assert_close(logits(manager.peft_model, trained["batch"]), logits(base, trained["batch"]))


def test_the_saved_folder_is_a_causal_lm_adapter_set(trained):
    directory = trained["dir"]
    composition = json.loads((directory / COMPOSITION_FILE).read_text())
    assert composition["model_class"] == "LowResForCausalLM"
    assert composition["adapters"] == {"lang_jav": {"kind": "language", "language": "jav"}}
    assert composition["lowres_config"]["languages"] == LANGUAGES
    assert (directory / "lang_jav" / "adapter_model.safetensors").is_file()
    assert (directory / DISCRIMINATOR_FILE).is_file()
    # Llama's LM head is untied: it is the decoder's own head (kept as it was), not a new MLM head.
    assert composition["heads"] == {"discriminator": DISCRIMINATOR_FILE, "lm_head": LM_HEAD_FILE}
    from safetensors.torch import load_file

    assert set(load_file(directory / LM_HEAD_FILE)) == {"backbone.lm_head.weight"}
    assert "causal language modeling" in (directory / "README.md").read_text()


def test_a_tied_lm_head_is_neither_saved_nor_loaded(tmp_path):
    """Qwen2 ties its LM head to the input embeddings: no head file, and the set loads back exactly."""
    checkpoint = save_checkpoint(tmp_path / "tiny-qwen2", "qwen2")
    manager = run_adapt_language(checkpoint, tmp_path, "--objective", "clm", "--max_steps", "2", "--learning_rate",
                                 "3e-2")  # fmt: skip
    directory = tmp_path / "run" / "adapters"
    composition = json.loads((directory / COMPOSITION_FILE).read_text())
    assert composition["heads"] == {"discriminator": DISCRIMINATOR_FILE}
    assert not (directory / LM_HEAD_FILE).exists()
    loaded = AdapterManager.from_pretrained(
        directory, model=LowResForCausalLM.from_backbone(str(checkpoint), LANGUAGES)
    )
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    tokenizer.pad_token = tokenizer.eos_token
    batch = lm_batch(tokenizer, JAVANESE)
    manager.activate(language="jav")
    torch.testing.assert_close(logits(loaded.peft_model, batch), logits(manager.peft_model, batch))


# ------------------------------------------------------------------------------------- in train_instructions
def instruction_arguments(checkpoint, tmp_path, adapters_dir):
    import hf_lowres.recipes.train_instructions as recipe

    data_dir = write_instruction_data(tmp_path / "data")
    return recipe.make_parser().parse_args_and_config([
        "--model_name_or_path", str(checkpoint), "--data_dir", str(data_dir), "--output_dir", str(tmp_path / "out"),
        "--tasks", "translation", "topic", "--translation_languages", "jav", "--topic_languages", "jav",
        "--translation_directions", "ind->local", "--language_adapters", str(adapters_dir), "--train_language", "jav",
        "--eval_max_examples_per_language", "1", "--max_new_tokens", "2", "--evaluate_before", "false",
        "--max_steps", "1", "--per_device_train_batch_size", "2", "--lora_r", "4", "--lora_alpha", "8",
        "--report_to", "none", "--use_cpu", "true", "--save_strategy", "no",
    ])  # fmt: skip


def test_the_adapter_loads_in_train_instructions_and_reproduces_the_trained_logits(trained, llama_dir, tmp_path):
    import hf_lowres.recipes.train_instructions as recipe

    arguments = instruction_arguments(llama_dir, tmp_path, trained["dir"])
    _, _, languages = recipe.check_inputs(*arguments)
    assert languages == LANGUAGES
    # What train_instructions.main builds: the decoder, the language adapters loaded under it, a new task adapter.
    model = LowResForCausalLM.from_backbone(str(llama_dir), languages)
    manager = AdapterManager.from_pretrained(trained["dir"], model=model)
    manager.add_task_adapter(recipe.TASK_ADAPTER, r=4, lora_alpha=8)
    batch = trained["batch"]

    trained["manager"].activate(language="jav")
    expected = logits(trained["manager"].peft_model, batch)
    manager.activate(language="jav", task=recipe.TASK_ADAPTER)  # MAD-X: the language adapter under the task adapter
    composed = logits(manager.peft_model, batch)
    torch.testing.assert_close(composed, expected)
    manager.activate(task=recipe.TASK_ADAPTER)  # the (still identity) task adapter alone
    without = logits(manager.peft_model, batch)
    torch.testing.assert_close(without, logits(trained["base"], batch))
    assert (composed - without).abs().max() > 1e-2


def test_train_instructions_runs_over_the_causal_lm_language_adapters(trained, llama_dir, tmp_path):
    import hf_lowres.recipes.train_instructions as recipe

    arguments = instruction_arguments(llama_dir, tmp_path, trained["dir"])
    result = recipe.main(*arguments)
    assert set(result["after"]) == {"translation", "topic"}
    composition = json.loads((tmp_path / "out" / "adapters" / COMPOSITION_FILE).read_text())
    assert set(composition["adapters"]) == {"lang_jav", "task_instructions"}


# ---------------------------------------------------------------------------------------- auxiliary objectives
def test_adversarial_and_alignment_losses_train_through_the_decoder(llama_dir, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("ind,jav\n" + "".join(f"{i},{j}\n" for i, j in zip(INDONESIAN, JAVANESE)), encoding="utf-8")
    base = LowResForCausalLM.from_backbone(str(llama_dir), LANGUAGES)
    log = []
    manager = run_adapt_language(
        llama_dir, tmp_path, "--max_steps", "3", "--learning_rate", "1e-2",
        "--unlabeled_files", f"ind={write_lines(tmp_path / 'ind.txt', INDONESIAN)}", "--adversarial_weight", "0.1",
        "--parallel_file", str(pairs), "--parallel_source_lang", "ind", "--parallel_target_langs", "jav",
        "--alignment_weight", "1", trainer_log=log,
    )  # fmt: skip
    steps = [entry for entry in log if "discriminator_loss" in entry]
    assert len(steps) == 3
    for entry in steps:
        for name in ("task_loss", "discriminator_loss", "alignment_loss", "discriminator_accuracy"):
            assert torch.isfinite(torch.tensor(entry[name])), (name, entry)
    for name, parameter in manager.model.discriminator.named_parameters():
        assert not torch.equal(parameter, base.discriminator.get_parameter(name)), name
    # The trained discriminator is what the folder holds.
    loaded = AdapterManager.from_pretrained(
        tmp_path / "run" / "adapters", model=LowResForCausalLM.from_backbone(str(llama_dir), LANGUAGES)
    )
    for name, parameter in manager.model.discriminator.named_parameters():
        torch.testing.assert_close(loaded.model.discriminator.get_parameter(name), parameter)
