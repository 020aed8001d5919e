"""`CrossLingualTrainer` on tiny LoRA models: logged components, parity with `Trainer`, gradient accumulation,
the discriminator's group and extra steps, checkpoint/resume, per-language evaluation, and alignment learning."""

import glob
import os

import numpy as np
import pytest
import torch
from training_fixtures import (  # noqa: F401 - single_thread is an autouse fixture
    parallel_dataset,
    single_thread,
    task_dataset,
    tiny_classifier,
    tiny_lora_classifier,
    trainable_state,
    unlabeled_dataset,
)
from transformers import Trainer, TrainingArguments

from hf_lowres.losses import AlignmentLoss
from hf_lowres.testing_utils import tiny_tokenizer
from hf_lowres.training import (
    COMPONENT_NAMES,
    CROSS_LINGUAL_STATE_NAME,
    TRAINABLE_MODULES_NAME,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
    dann_grl_lambda,
)


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def data(tokenizer):
    return {
        "train_dataset": task_dataset(tokenizer, 32),
        "unlabeled_dataset": unlabeled_dataset(tokenizer),
        "parallel_dataset": parallel_dataset(tokenizer, 32),
    }


COMMON = dict(
    per_device_train_batch_size=4,
    learning_rate=1e-3,
    logging_steps=1,
    report_to="none",
    use_cpu=True,
    disable_tqdm=True,
    save_strategy="no",
    seed=0,
)


def make_args(output_dir, **kwargs):
    return CrossLingualTrainingArguments(str(output_dir), **{**COMMON, **kwargs})


def step_logs(trainer):
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def test_every_component_is_logged_and_sums_to_the_loss(tmp_path, tokenizer, data):
    model = tiny_lora_classifier()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    args = make_args(
        tmp_path,
        max_steps=3,
        adversarial_weight=0.1,
        grl_schedule="dann",
        alignment_weight=0.5,
        report_to=["tensorboard"],
    )
    trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
    trainer.train()
    logs = step_logs(trainer)
    assert len(logs) == 3
    for entry in logs:
        assert set(COMPONENT_NAMES) <= set(entry)
        step = entry["step"]
        assert entry["grl_lambda"] == pytest.approx(dann_grl_lambda((step - 1) / 3), abs=1e-12)
        combined = entry["task_loss"] + 0.1 * entry["discriminator_loss"] + 0.5 * entry["alignment_loss"]
        assert entry["loss"] == pytest.approx(combined, rel=1e-5)
        assert 0.0 <= entry["discriminator_accuracy"] <= 1.0
        assert entry["discriminator_loss"] == pytest.approx(np.log(3), abs=0.2)  # 3 languages, untrained
    # LoRA, the task head and the discriminator moved; the frozen base did not.
    after = dict(model.named_parameters())
    for name, param in after.items():
        changed = not torch.equal(param, before[name])
        if "lora_B" in name or ".classifier." in name or ".discriminator." in name:
            assert changed, name
        elif "lora_" not in name:
            assert not changed, name
    # The components reach TensorBoard.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events,) = glob.glob(str(tmp_path / "**" / "events.out.tfevents.*"), recursive=True)
    accumulator = EventAccumulator(events)
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    assert {f"train/{name}" for name in COMPONENT_NAMES} <= tags


def test_without_extra_losses_it_matches_a_plain_trainer(tmp_path, tokenizer, data):
    plain_model = tiny_lora_classifier()
    plain_args = TrainingArguments(str(tmp_path / "plain"), max_steps=5, **COMMON)
    plain_data = data["train_dataset"].remove_columns(["lang", "text"])
    plain = Trainer(plain_model, plain_args, train_dataset=plain_data, processing_class=tokenizer)
    plain.train()

    model = tiny_lora_classifier()
    args = make_args(tmp_path / "cross", max_steps=5, adversarial_weight=0.0, alignment_weight=0.0)
    trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
    trainer.train()

    plain_losses = [entry["loss"] for entry in step_logs(plain)]
    losses = [entry["loss"] for entry in step_logs(trainer)]
    assert losses == pytest.approx(plain_losses, abs=1e-6)
    assert [entry["task_loss"] for entry in step_logs(trainer)] == pytest.approx(plain_losses, abs=1e-6)
    for name, param in trainable_state(model).items():
        torch.testing.assert_close(param, trainable_state(plain_model)[name], rtol=0, atol=1e-6)


def test_gradient_accumulation_equals_the_big_batch(tmp_path, tokenizer, data):
    results = {}
    for label, (batch_size, accumulation) in {"big": (8, 1), "accumulated": (4, 2)}.items():
        model = tiny_lora_classifier(dropout=0.0)
        args = make_args(
            tmp_path / label,
            max_steps=2,
            per_device_train_batch_size=batch_size,
            gradient_accumulation_steps=accumulation,
            adversarial_weight=0.1,
            alignment_weight=1.0,
            alignment_loss="contrastive",
            language_sampling_temperature=0.5,
        )
        trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
        trainer.train()
        results[label] = (step_logs(trainer), trainable_state(model))
    (big_logs, big_params), (acc_logs, acc_params) = results["big"], results["accumulated"]
    for big, acc in zip(big_logs, acc_logs):
        for key in ("loss", *COMPONENT_NAMES):
            assert acc[key] == pytest.approx(big[key], abs=2e-5), key
    for name, param in big_params.items():
        torch.testing.assert_close(acc_params[name], param, rtol=0, atol=2e-6)


def test_contrastive_negatives_span_the_accumulated_batch(tmp_path, tokenizer, data):
    model = tiny_classifier(dropout=0.0)
    args = make_args(tmp_path, max_steps=1, learning_rate=0.0, gradient_accumulation_steps=2, alignment_weight=1.0)
    trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
    trainer.train()
    keys = trainer._step_sampler.epoch_keys()[:8]  # the 2 micro-batches of 4 of the first step
    pairs = data["parallel_dataset"].select([key[2] for key in keys])

    def embed(side):
        batch = tokenizer.pad({"input_ids": pairs[f"{side}_input_ids"]}, return_tensors="pt")
        with torch.no_grad():
            return model(**batch).pooled_output

    expected = AlignmentLoss("contrastive", model.config.alignment_temperature)(embed("source"), embed("target"))
    assert step_logs(trainer)[0]["alignment_loss"] == pytest.approx(expected.item(), abs=1e-5)


def test_discriminator_group_and_extra_steps(tmp_path, tokenizer, data):
    states = {}
    for steps in (1, 3):
        model = tiny_lora_classifier(dropout=0.0)
        args = make_args(
            tmp_path / str(steps),
            max_steps=1,
            lr_scheduler_type="constant",  # a linear decay would reach 0 after the only step
            adversarial_weight=0.5,
            discriminator_learning_rate=5e-3,
            discriminator_steps=steps,
        )
        trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
        trainer.train()
        groups = [g for g in trainer.optimizer.param_groups if g.get("group_name") == "discriminator"]
        discriminator = {id(p) for p in model.get_base_model().discriminator.parameters()}
        assert groups and {id(p) for g in groups for p in g["params"]} == discriminator
        assert all(g["initial_lr"] == 5e-3 for g in groups)
        other = [p for g in trainer.optimizer.param_groups if g.get("group_name") is None for p in g["params"]]
        assert not {id(p) for p in other} & discriminator
        states[steps] = trainable_state(model)
    for name, param in states[1].items():
        same = torch.equal(param, states[3][name])
        assert same == (".discriminator." not in name), name


def test_checkpoint_and_resume_continue_like_an_uninterrupted_run(tmp_path, tokenizer, data):
    kwargs = dict(
        max_steps=6,
        save_strategy="steps",
        save_steps=3,
        gradient_accumulation_steps=2,
        adversarial_weight=0.1,
        grl_schedule="dann",
        alignment_weight=0.5,
        language_sampling_temperature=0.3,
        discriminator_learning_rate=2e-3,
    )
    full_model = tiny_lora_classifier()
    full = CrossLingualTrainer(full_model, make_args(tmp_path / "full", **kwargs), processing_class=tokenizer, **data)
    full.train()
    checkpoint = tmp_path / "full" / "checkpoint-3"
    files = set(os.listdir(checkpoint))
    assert {"adapter_model.safetensors", TRAINABLE_MODULES_NAME, CROSS_LINGUAL_STATE_NAME, "optimizer.pt"} <= files
    assert not {"model.safetensors", "pytorch_model.bin"} & files

    # A different initialisation: only what the checkpoint restores can make the runs agree.
    resumed_model = tiny_lora_classifier(trainable_seed=7)
    resumed = CrossLingualTrainer(
        resumed_model, make_args(tmp_path / "resumed", **kwargs), processing_class=tokenizer, **data
    )
    resumed.train(resume_from_checkpoint=str(checkpoint))
    full_logs = {e["step"]: e for e in step_logs(full)}
    # Steps 1-3 come from the checkpoint's trainer state; 4-6 were trained after resuming.
    resumed_logs = {e["step"]: e for e in step_logs(resumed) if e["step"] > 3}
    assert sorted(resumed_logs) == [4, 5, 6]
    for step, entry in resumed_logs.items():
        for key in ("loss", *COMPONENT_NAMES):
            assert entry[key] == pytest.approx(full_logs[step][key], abs=1e-5), (step, key)
    for name, param in trainable_state(full_model).items():
        torch.testing.assert_close(trainable_state(resumed_model)[name], param, rtol=0, atol=1e-6)
    trainable = {n for n, p in resumed_model.named_parameters() if p.requires_grad}
    assert any(".classifier." in n for n in trainable) and any(".discriminator." in n for n in trainable)


def test_per_language_evaluation_reports_the_mean(tmp_path, tokenizer, data):
    def accuracy(eval_pred):
        logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        return {"accuracy": float((logits.argmax(-1) == eval_pred.label_ids).mean())}

    eval_sets = {lang: task_dataset(tokenizer, 12, (lang,), seed=5) for lang in ("eng", "jav")}
    args = make_args(
        tmp_path,
        max_steps=4,
        eval_strategy="steps",
        eval_steps=2,
        save_strategy="steps",
        save_steps=2,
        load_best_model_at_end=True,
        metric_for_best_model="mean_accuracy",
        adversarial_weight=0.1,
    )
    trainer = CrossLingualTrainer(
        tiny_lora_classifier(),
        args,
        processing_class=tokenizer,
        eval_dataset=eval_sets,
        compute_metrics=accuracy,
        **data,
    )
    trainer.train()
    evaluations = [e for e in trainer.state.log_history if "eval_mean_accuracy" in e]
    assert [e["step"] for e in evaluations] == [2, 4]
    per_language = {}
    for entry in trainer.state.log_history:
        for lang in eval_sets:
            if f"eval_{lang}_accuracy" in entry:
                per_language.setdefault(entry["step"], {})[lang] = entry[f"eval_{lang}_accuracy"]
    for entry in evaluations:
        assert entry["eval_mean_accuracy"] == pytest.approx(np.mean(list(per_language[entry["step"]].values())))
        assert "eval_mean_loss" in entry and "eval_mean_runtime" not in entry
    assert trainer.state.best_metric == max(e["eval_mean_accuracy"] for e in evaluations)
    assert trainer.state.best_model_checkpoint is not None
    metrics = trainer.evaluate()
    assert {"eval_eng_accuracy", "eval_jav_accuracy", "eval_mean_accuracy"} <= set(metrics)


def test_alignment_loss_falls_and_retrieval_rises(tmp_path, tokenizer):
    pairs = parallel_dataset(tokenizer, 32, seed=11)
    model = tiny_classifier(dropout=0.0)

    def retrieval_accuracy():
        model.eval()
        embeddings = {}
        for side in ("source", "target"):
            batch = tokenizer.pad({"input_ids": pairs[f"{side}_input_ids"]}, return_tensors="pt")
            with torch.no_grad():
                embeddings[side] = model(**batch).pooled_output
        _, accuracy = AlignmentLoss()(embeddings["source"], embeddings["target"], return_accuracy=True)
        return accuracy.item()

    before = retrieval_accuracy()
    args = make_args(tmp_path, max_steps=40, per_device_train_batch_size=8, learning_rate=3e-3, alignment_weight=1.0)
    trainer = CrossLingualTrainer(
        model, args, processing_class=tokenizer, train_dataset=task_dataset(tokenizer, 32), parallel_dataset=pairs
    )
    trainer.train()
    losses = [entry["alignment_loss"] for entry in step_logs(trainer)]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    after = retrieval_accuracy()
    assert after > before + 0.3 and after >= 0.75, (before, after)
