"""`CrossLingualTrainer` checkpoints are complete or refused: the completion marker written last, a missing or
truncated part named with what it should hold, `resume_from_checkpoint=True` skipping a checkpoint whose save was
interrupted (simulated, and by killing a training process while it writes one), and `resume_strict=False`."""

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest
import torch
from training_fixtures import (  # noqa: F401 - single_thread is an autouse fixture
    parallel_dataset,
    single_thread,
    task_dataset,
    tiny_lora_classifier,
    trainable_state,
    unlabeled_dataset,
)

from hf_lowres.testing_utils import tiny_tokenizer
from hf_lowres.training import CrossLingualTrainer, CrossLingualTrainingArguments, cross_lingual_trainer


# The marker's name is part of the checkpoint format: spelled out here rather than imported.
MARKER = "checkpoint_complete.json"
# Two checkpoints (steps 2 and 4) of a run with every cross-lingual part on, so every state file is written.
TRAINING = dict(
    per_device_train_batch_size=4,
    learning_rate=1e-3,
    logging_steps=1,
    report_to="none",
    use_cpu=True,
    disable_tqdm=True,
    seed=0,
    max_steps=4,
    save_strategy="steps",
    save_steps=2,
    adversarial_weight=0.1,
    alignment_weight=0.5,
    language_sampling_temperature=0.3,
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


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tokenizer, data):
    """An uninterrupted run: its output directory (checkpoint-2, checkpoint-4) and its final trainable parameters."""
    output_dir = tmp_path_factory.mktemp("finished") / "run"
    model = tiny_lora_classifier()
    CrossLingualTrainer(
        model, CrossLingualTrainingArguments(str(output_dir), **TRAINING), processing_class=tokenizer, **data
    ).train()
    return output_dir, trainable_state(model)


@pytest.fixture
def run_copy(tmp_path, finished_run):
    """A copy of the finished run's output directory, to damage."""
    copy = tmp_path / "run"
    shutil.copytree(finished_run[0], copy)
    return copy


def resume(output_dir, checkpoint, tokenizer, data, **kwargs):
    """Resumes (training to step 4) with a freshly initialised model; returns the model."""
    model = tiny_lora_classifier(trainable_seed=7)
    args = CrossLingualTrainingArguments(str(output_dir), **{**TRAINING, **kwargs})
    trainer = CrossLingualTrainer(model, args, processing_class=tokenizer, **data)
    trainer.train(resume_from_checkpoint=checkpoint if checkpoint is True else str(output_dir / checkpoint))
    return model


def assert_matches_uninterrupted(model, finished_run):
    for name, param in finished_run[1].items():
        torch.testing.assert_close(trainable_state(model)[name], param, rtol=0, atol=1e-6, msg=name)


def truncate(path: Path) -> None:
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def test_every_checkpoint_ends_with_a_marker_listing_each_file(finished_run):
    for step in (2, 4):
        checkpoint = finished_run[0] / f"checkpoint-{step}"
        marker = json.loads((checkpoint / MARKER).read_text())
        files = {p.relative_to(checkpoint).as_posix() for p in checkpoint.rglob("*") if p.is_file()} - {MARKER}
        assert set(marker["files"]) == files
        assert {"trainable_modules.safetensors", "optimizer.pt", "rng_state.pth", "cross_lingual_state.json"} <= files
        for name, entry in marker["files"].items():
            content = (checkpoint / name).read_bytes()
            assert entry == {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}, name
        assert marker["global_step"] == step


def test_missing_trainable_modules_is_an_error_and_nothing_is_loaded(run_copy, tokenizer, data):
    (run_copy / "checkpoint-2" / "trainable_modules.safetensors").unlink()
    model = tiny_lora_classifier(trainable_seed=7)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainer = CrossLingualTrainer(
        model, CrossLingualTrainingArguments(str(run_copy), **TRAINING), processing_class=tokenizer, **data
    )
    with pytest.raises(ValueError, match=r"trainable_modules\.safetensors is missing: it should hold every trainable"):
        trainer.train(resume_from_checkpoint=str(run_copy / "checkpoint-2"))
    # All or nothing: the adapter, present in the checkpoint, was not loaded either.
    for name, param in model.named_parameters():
        assert torch.equal(param, before[name]), name


@pytest.mark.parametrize(
    "name, holds",
    [
        ("optimizer.pt", "the optimizer's state"),
        ("scheduler.pt", "the learning-rate scheduler's position"),
        ("rng_state.pth", "the random number generators' states"),
        ("trainer_state.json", "the Trainer's state"),
        ("cross_lingual_state.json", "the language sampler's state"),
    ],
)
def test_a_missing_part_is_an_error_naming_it(run_copy, tokenizer, data, name, holds):
    (run_copy / "checkpoint-2" / name).unlink()
    with pytest.raises(ValueError, match=rf"{name}.* is missing: it should hold {holds}"):
        resume(run_copy, "checkpoint-2", tokenizer, data)


def test_resume_strict_false_downgrades_missing_parts_to_a_warning(run_copy, tokenizer, data, finished_run, caplog):
    for name in ("trainable_modules.safetensors", "optimizer.pt"):
        (run_copy / "checkpoint-2" / name).unlink()
    with caplog.at_level(logging.WARNING, logger="hf_lowres"):
        model = resume(run_copy, "checkpoint-2", tokenizer, data, resume_strict=False)
    warning = next(r.getMessage() for r in caplog.records if "resume_strict=False" in r.getMessage())
    assert "trainable_modules.safetensors is missing" in warning and "optimizer.pt" in warning
    # It trained on to step 4, from the fresh model's heads: not the uninterrupted run's parameters.
    assert (run_copy / "checkpoint-4" / MARKER).is_file()
    resumed = trainable_state(model)
    assert max((resumed[n] - p).abs().max().item() for n, p in finished_run[1].items()) > 1e-2


def test_resume_true_skips_a_partial_newest_checkpoint(run_copy, tokenizer, data, finished_run, caplog):
    # A save killed after the adapter was written: no optimizer, RNG, trainer or cross-lingual state, no marker.
    partial = run_copy / "checkpoint-4"
    for path in partial.iterdir():
        if path.name not in ("adapter_model.safetensors", "adapter_config.json"):
            path.unlink()
    (partial / "stale.bin").write_bytes(b"left by the interrupted save")
    with caplog.at_level(logging.WARNING, logger="hf_lowres"):
        model = resume(run_copy, True, tokenizer, data)
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        f"Resuming from {run_copy / 'checkpoint-2'}, the newest complete checkpoint" in m and "checkpoint-4" in m
        for m in messages
    ), messages
    assert_matches_uninterrupted(model, finished_run)
    # The partial directory was replaced, not written over: no stale file, and a marker again.
    assert (partial / MARKER).is_file() and not (partial / "stale.bin").exists()


def test_resume_true_without_a_complete_checkpoint(run_copy, tokenizer, data, finished_run, caplog):
    for step in (2, 4):
        (run_copy / f"checkpoint-{step}" / MARKER).unlink(missing_ok=True)
    with pytest.raises(
        ValueError, match=r"No complete checkpoint in .*checkpoint-4, checkpoint-2.*resume_strict=False"
    ):
        resume(run_copy, True, tokenizer, data)
    with caplog.at_level(logging.WARNING, logger="hf_lowres"):
        resume(run_copy, True, tokenizer, data, resume_strict=False)
    assert any("resuming from the newest" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("with_marker", [True, False], ids=["marker", "no-marker"])
@pytest.mark.parametrize("name", ["trainable_modules.safetensors", "adapter_model.safetensors", "optimizer.pt"])
def test_a_truncated_file_is_named(run_copy, tokenizer, data, name, with_marker):
    checkpoint = run_copy / "checkpoint-2"
    truncate(checkpoint / name)
    if not with_marker:
        (checkpoint / MARKER).unlink(missing_ok=True)
    # Without a marker only the file's format tells; a file that cannot be read is an error even then.
    with pytest.raises(ValueError, match=rf"{name} cannot be read: .*truncated"):
        resume(run_copy, "checkpoint-2", tokenizer, data, **({} if with_marker else {"resume_strict": False}))


def test_a_file_changed_after_the_marker_is_an_error(run_copy, tokenizer, data):
    path = run_copy / "checkpoint-2" / "trainable_modules.safetensors"
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF  # same size, still a valid safetensors file: only the hash tells
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"trainable_modules\.safetensors differs from the sha256 recorded"):
        resume(run_copy, "checkpoint-2", tokenizer, data)


def killed_run(output_dir: str, data) -> None:
    """Trains like the finished run (with `save_total_limit=1`), killed by SIGKILL (no cleanup runs) as it writes
    checkpoint-4's cross-lingual state: the last file before the marker, after every file of the Trainer's own."""

    class KillingJson:
        def __getattr__(self, name):
            return getattr(json, name)

        def dump(self, obj, *args, **kwargs):
            if isinstance(obj, dict) and "grl_lambda" in obj and obj.get("global_step") == 4:
                os.kill(os.getpid(), signal.SIGKILL)
            return json.dump(obj, *args, **kwargs)

    cross_lingual_trainer.json = KillingJson()  # the trainer module's `json`, in this process only
    tokenizer = tiny_tokenizer()
    args = CrossLingualTrainingArguments(output_dir, **{**TRAINING, "save_total_limit": 1})
    CrossLingualTrainer(tiny_lora_classifier(), args, processing_class=tokenizer, **data).train()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method")
def test_a_run_killed_while_writing_a_checkpoint_resumes_from_the_previous_one(
    tmp_path, tokenizer, data, finished_run
):
    output_dir = tmp_path / "run"
    # A forked process: a real kill of a training process, without the seconds a fresh interpreter spends on imports.
    process = multiprocessing.get_context("fork").Process(target=killed_run, args=(str(output_dir), data))
    process.start()
    process.join(timeout=120)
    if process.is_alive():  # the hook never fired and the run hangs: do not leave it behind
        process.kill()
        process.join()
    assert process.exitcode == -signal.SIGKILL, process.exitcode
    partial = output_dir / "checkpoint-4"
    # Killed mid-save: the Trainer's files are there, the cross-lingual state was opened but not written, there is
    # no marker; with save_total_limit=1 the older checkpoint is only rotated away once the newer one is complete.
    assert {"adapter_model.safetensors", "optimizer.pt", "trainer_state.json"} <= {p.name for p in partial.iterdir()}
    assert (partial / "cross_lingual_state.json").read_bytes() == b"" and not (partial / MARKER).exists()
    assert (output_dir / "checkpoint-2").is_dir() and (output_dir / "checkpoint-2" / MARKER).is_file()

    model = resume(output_dir, True, tokenizer, data, save_total_limit=1)
    assert_matches_uninterrupted(model, finished_run)
    assert sorted(p.name for p in output_dir.glob("checkpoint-*")) == ["checkpoint-4"]
    assert (partial / MARKER).is_file()
