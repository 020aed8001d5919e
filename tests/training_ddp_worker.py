"""One rank of the 2-process CPU (gloo) run of `test_training_distributed.py`; launched with torchrun.

Writes `rank<r>.json` into the directory given as argument: a hash of every trainable parameter, the logged
history, and this rank's own (not yet gathered) component means at each logging step.
"""

import hashlib
import json
import os
import sys


os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(__file__))

import torch  # noqa: E402
from training_fixtures import parallel_dataset, task_dataset, tiny_lora_classifier, unlabeled_dataset  # noqa: E402

from hf_lowres.testing_utils import tiny_tokenizer  # noqa: E402
from hf_lowres.training import CrossLingualTrainer, CrossLingualTrainingArguments  # noqa: E402


class RecordingTrainer(CrossLingualTrainer):
    """Keeps this rank's component means before they are averaged across processes."""

    local_history: list[dict] = []

    def _reduce_components(self):
        local = {
            name: (self._component_sums[name] / self._component_counts[name]).item() for name in self._component_sums
        }
        if local:
            self.local_history.append({"step": self.state.global_step, **local})
        return super()._reduce_components()


def main(output_dir: str) -> None:
    torch.set_num_threads(1)
    tokenizer = tiny_tokenizer()
    model = tiny_lora_classifier()
    args = CrossLingualTrainingArguments(
        os.path.join(output_dir, "run"),
        max_steps=3,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        learning_rate=1e-3,
        logging_steps=1,
        adversarial_weight=0.1,
        grl_schedule="dann",
        alignment_weight=0.5,
        discriminator_steps=2,
        language_sampling_temperature=0.5,
        use_cpu=True,
        ddp_backend="gloo",
        report_to="none",
        disable_tqdm=True,
        save_strategy="no",
    )
    trainer = RecordingTrainer(
        model,
        args,
        processing_class=tokenizer,
        train_dataset=task_dataset(tokenizer, 32),
        unlabeled_dataset=unlabeled_dataset(tokenizer),
        parallel_dataset=parallel_dataset(tokenizer, 32),
    )
    trainer.train()
    digest = hashlib.sha256()
    for name, param in sorted(model.named_parameters()):
        if param.requires_grad:
            digest.update(name.encode())
            digest.update(param.detach().contiguous().numpy().tobytes())
    result = {
        "world_size": trainer.accelerator.num_processes,
        "hash": digest.hexdigest(),
        "log_history": [e for e in trainer.state.log_history if "loss" in e],
        "local_history": trainer.local_history,
    }
    with open(os.path.join(output_dir, f"rank{trainer.args.process_index}.json"), "w") as f:
        json.dump(result, f)
    # Without this, gloo's threads may still run at interpreter exit and abort the process ("terminate called
    # without an active exception", exit -6), about one run in three on 2 cores.
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
