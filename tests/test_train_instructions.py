"""The `train_instructions` recipe end to end on a tiny Llama with a chat template and a tiny data folder: the
held-out task is never trained on but is evaluated, the base model is scored with no adapter at all, and the loss
reads the responses only."""

import json

import pytest
import torch
from instruction_data_folder import CHAT_TEMPLATE, write_instruction_data
from transformers import AutoModelForCausalLM

from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama")
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(tiny_backbone_config("llama")).save_pretrained(path)
    tokenizer = tiny_tokenizer(model_max_length=128)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(path)
    return path


def parse(recipe, checkpoint, data_dir, output_dir, *extra):
    return recipe.make_parser().parse_args_and_config([
        "--model_name_or_path", str(checkpoint), "--data_dir", str(data_dir), "--output_dir", str(output_dir),
        "--tasks", "translation", "topic", "sentiment", "--held_out_tasks", "sentiment",
        "--sentiment_languages", "jav", "--translation_languages", "jav", "--topic_languages", "jav",
        "--translation_directions", "ind->local", "--eval_max_examples_per_language", "3", "--max_new_tokens", "4",
        "--max_steps", "3", "--per_device_train_batch_size", "4", "--learning_rate", "1e-2", "--report_to", "none",
        "--use_cpu", "true", "--save_strategy", "no", *extra,
    ])  # fmt: skip


def test_trains_on_the_tasks_not_held_out_and_scores_every_task_before_and_after(checkpoint, tmp_path):
    import hf_lowres.recipes.train_instructions as recipe

    data_dir = write_instruction_data(tmp_path / "data")
    arguments = parse(recipe, checkpoint, data_dir, tmp_path / "run")
    train, evaluation, languages = recipe.check_inputs(*arguments)
    assert set(train["task"]) == {"translation", "topic"} and set(train["split"]) == {"train"}
    assert set(evaluation["task"]) == {"translation", "topic", "sentiment"} and set(evaluation["split"]) == {"test"}
    assert set(languages) == {"ind", "jav"}

    result = recipe.main(*arguments, inputs=(train, evaluation, languages))
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert set(written["after"]) == set(written["before"]) == {"translation", "topic", "sentiment"}
    assert [row["language"] for row in result["after"]["translation"].rows if row["language"] != "mean"] == [
        "ind->jav"
    ]
    sentiment = result["after"]["sentiment"]["jav"]
    assert sentiment["n"] == 3 and 0.0 <= sentiment["accuracy"] <= 1.0 and "delta_accuracy" in sentiment
    assert (tmp_path / "run" / "adapters" / "README.md").is_file()


def test_the_loss_reads_response_tokens_only(checkpoint, tmp_path):
    from transformers import AutoTokenizer

    import hf_lowres.recipes.train_instructions as recipe
    from hf_lowres.data import tokenize_instruction_dataset

    data_dir = write_instruction_data(tmp_path / "data")
    train, _, _ = recipe.check_inputs(*parse(recipe, checkpoint, data_dir, tmp_path / "run"))
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    rows = tokenize_instruction_dataset(train.select(range(2)), tokenizer, max_length=128)
    for row, source in zip(rows, train.select(range(2))):
        kept = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
        assert tokenizer.decode(kept, skip_special_tokens=True).strip() == source["response"]


def test_before_is_the_base_model_with_no_adapter_and_after_uses_the_trained_one(checkpoint, tmp_path):
    from transformers import AutoTokenizer

    import hf_lowres.recipes.train_instructions as recipe
    from hf_lowres import LowResForCausalLM
    from hf_lowres.adapters import AdapterManager
    from hf_lowres.data.instructions import TASK_LABELS
    from hf_lowres.evaluation import score_verbalizations

    data_dir = write_instruction_data(tmp_path / "data")
    script_args, _, _ = arguments = parse(recipe, checkpoint, data_dir, tmp_path / "run")
    _, evaluation, languages = recipe.check_inputs(*arguments)
    sentiment = evaluation.filter(lambda row: row["task"] == "sentiment")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    manager = AdapterManager(LowResForCausalLM.from_backbone(str(checkpoint), languages))
    manager.add_task_adapter(recipe.TASK_ADAPTER, r=4, lora_alpha=8)
    torch.manual_seed(1)
    for name, parameter in manager.peft_model.named_parameters():
        if "lora_B" in name:  # as if trained: a LoRA adapter starts as the identity
            parameter.data.normal_(0, 1.0)

    def scores(model):
        prompts = [tokenizer.apply_chat_template(m[:1], tokenize=False, add_generation_prompt=True)
                   for m in sentiment["messages"]]  # fmt: skip
        return score_verbalizations(model, tokenizer, prompts, sentiment["choices"]).log_likelihoods

    def accuracy(model):
        predictions = [max(range(3), key=row.__getitem__) for row in scores(model)]
        names = TASK_LABELS["sentiment"]
        return sum(names[p] == label for p, label in zip(predictions, sentiment["label"])) / len(predictions)

    plain = AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    off = recipe.evaluate_instructions(manager, tokenizer, sentiment, script_args, adapter_on=False)
    on = recipe.evaluate_instructions(manager, tokenizer, sentiment, script_args, adapter_on=True, baseline=off)
    assert off["sentiment"]["jav"]["accuracy"] == pytest.approx(accuracy(plain))
    manager.activate(task=recipe.TASK_ADAPTER)
    assert on["sentiment"]["jav"]["accuracy"] == pytest.approx(accuracy(manager.peft_model))
    change = (torch.tensor(scores(manager.peft_model)) - torch.tensor(scores(plain))).abs().max()
    assert change > 1e-3  # the adapter does change the scores, so "off" above is a real switch
    assert on["sentiment"]["jav"]["delta_accuracy"] == pytest.approx(
        on["sentiment"]["jav"]["accuracy"] - off["sentiment"]["jav"]["accuracy"]
    )


def test_language_adapters_need_the_training_language(checkpoint, tmp_path):
    import hf_lowres.recipes.train_instructions as recipe
    from hf_lowres.training.input_checks import InputError

    data_dir = write_instruction_data(tmp_path / "data")
    arguments = parse(recipe, checkpoint, data_dir, tmp_path / "run", "--language_adapters", str(tmp_path))
    with pytest.raises(InputError, match="--train_language"):
        recipe.check_inputs(*arguments)


def test_prompts_longer_than_max_length_are_left_out_and_counted(checkpoint, tmp_path, caplog):
    from transformers import AutoTokenizer

    import hf_lowres.recipes.train_instructions as recipe

    data_dir = write_instruction_data(tmp_path / "data")
    train, _, _ = recipe.check_inputs(*parse(recipe, checkpoint, data_dir, tmp_path / "run"))
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    lengths = [len(tokenizer.apply_chat_template(m[:1], add_generation_prompt=True)["input_ids"])
               for m in train["messages"]]  # fmt: skip
    limit = sorted(lengths)[len(lengths) // 2]
    with caplog.at_level("WARNING"):
        kept = recipe.drop_long_prompts(train, tokenizer, limit)
    assert len(kept) == sum(n < limit for n in lengths) and 0 < len(kept) < len(train)
    assert f"{len(train) - len(kept)} of {len(train)} training conversations" in caplog.text
