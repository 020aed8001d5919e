"""Seconds per step and peak memory of `CrossLingualTrainer` against a plain `Trainer` on the same LoRA model.

Arms, all on the same LoRA model (r=8 on query/value, task head and discriminator trainable) and the same batches:

| arm | what runs |
|---|---|
| `plain` | `transformers.Trainer` on the task batches |
| `none` | `CrossLingualTrainer` with no extra loss (a) |
| `adversarial` | (a) + discriminator loss through gradient reversal over the task batch's languages (b) |
| `alignment` | (a) + contrastive alignment loss over a batch of parallel pairs (c) |
| `both` | (b) + (c); the pair sides feed the discriminator too (d) |
| `plain_pairs` | a plain `Trainer` that also runs the pair sides forward and backward (trivial loss) |
| `madx_stacked` | (c) on an `AdapterManager` model (eng, ind, jav language adapters; the task adapter on eng's) |
| `madx_routed` | `madx_stacked` with `auxiliary_language_adapters`: each pair side through its language's adapter |

`plain_pairs` uses the same data pipeline as (c) and measures what the extra tokens of (c) and (d) cost by
themselves. `madx_routed / madx_stacked` is the cost of MAD-X-consistent auxiliary passes (one forward per
language in the batch instead of one for all rows, and the adapter switches).

Targets: `adversarial / plain <= 1.10`; `alignment / plain_pairs <= 1.10` and `both / plain_pairs <= 1.10`.
`--arms` runs a subset (the ratios whose arms ran are reported).

Timing: steady state, interleaved. Each round runs every arm's `train()` for `--steps-per-round` optimizer steps on
its own model; the first step of a round (set-up, warm-up) is dropped and the others are timed between consecutive
`on_step_end` events (data loading and collation included). The reported figure is the median over all rounds.
Memory: every arm runs again in a fresh subprocess; the peak resident set size (`VmHWM`, reset through
`/proc/self/clear_refs` once model, data and trainer are built) minus the resident size at that point, over a few
steps: activations, gradients, optimizer state and allocator slack of training.

Usage:

    python benchmarks/trainer_overhead.py                    # minilm-en and tiny, JSON in benchmarks/results/
    python benchmarks/trainer_overhead.py --models tiny --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402
from transformers import (  # noqa: E402
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from hf_lowres import LowResConfig, LowResForSequenceClassification  # noqa: E402
from hf_lowres.adapters import AdapterManager  # noqa: E402
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer  # noqa: E402
from hf_lowres.training import (  # noqa: E402
    CrossLingualDataCollator,
    CrossLingualStepDataset,
    CrossLingualStepSampler,
    CrossLingualTrainer,
    CrossLingualTrainingArguments,
)


BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_PATH = BENCHMARKS_DIR / "results" / "trainer_overhead.json"
LANGUAGES = ["eng", "ind", "jav"]
ARMS = ("plain", "none", "adversarial", "alignment", "both", "plain_pairs", "madx_stacked", "madx_routed")
WORDS = {
    "eng": "i like this good food and that movie is not very bad the house tree water big small".split(),
    "ind": "saya suka ini makanan bagus dan itu film tidak sangat buruk enak".split(),
    "jav": "aku seneng iki panganan apik lan kuwi ora banget ala".split(),
}


def sentence(rng: random.Random, lang: str, n_words: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(n_words))


def build_data(tokenizer, n: int, words: tuple[int, int], max_length: int, seed: int = 0):
    """Task rows in eng/ind/jav with 3 labels, and eng->jav pairs of the same length distribution."""
    rng = random.Random(seed)

    def encode(texts):
        return tokenizer(texts, truncation=True, max_length=max_length)

    langs = [LANGUAGES[i % 3] for i in range(n)]
    task_text = [sentence(rng, lang, rng.randint(*words)) for lang in langs]
    task = Dataset.from_dict(
        {**dict(encode(task_text)), "labels": [rng.randrange(3) for _ in range(n)], "lang": langs}
    )
    source = encode([sentence(rng, "eng", rng.randint(*words)) for _ in range(n)])
    target = encode([sentence(rng, "jav", rng.randint(*words)) for _ in range(n)])
    pairs = Dataset.from_dict(
        {
            **{f"source_{k}": v for k, v in source.items()},
            **{f"target_{k}": v for k, v in target.items()},
            "source_lang": ["eng"] * n,
            "target_lang": ["jav"] * n,
        }
    )
    return task, pairs


def build_base_model(model_name: str):
    torch.manual_seed(0)
    if model_name == "tiny":
        config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES, num_labels=3)
        return LowResForSequenceClassification(config), tiny_tokenizer(model_max_length=128)
    sys.path.insert(0, str(BENCHMARKS_DIR))
    from real_models import materialize

    path = materialize(model_name)
    model = LowResForSequenceClassification.from_backbone(str(path), languages=LANGUAGES, num_labels=3)
    return model, AutoTokenizer.from_pretrained(str(path))


def build_manager(model_name: str) -> tuple[AdapterManager, object]:
    """A language adapter per language (LoRA B drawn at random, so that each changes the output, as a trained
    one does) and a task adapter, in the task phase on English's adapter."""
    model, tokenizer = build_base_model(model_name)
    manager = AdapterManager(model)
    generator = torch.Generator().manual_seed(0)
    for lang in LANGUAGES:
        name = manager.add_language_adapter(lang, r=8, lora_alpha=16, target_modules=["query", "value"])
        with torch.no_grad():
            for parameter_name, p in manager.peft_model.named_parameters():
                if f".{name}." in parameter_name and "lora_B" in parameter_name:
                    p.copy_(torch.randn(p.shape, generator=generator) * 0.02)
    manager.add_task_adapter("task", r=8, lora_alpha=16, target_modules=["query", "value"])
    manager.prepare_task_training("task", language="eng")
    return manager, tokenizer


def build_model(model_name: str):
    model, tokenizer = build_base_model(model_name)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"]))
    for name, param in model.named_parameters():
        if ".classifier." in name or ".discriminator." in name:
            param.requires_grad_(True)
    return model, tokenizer


class StepTimer(TrainerCallback):
    def __init__(self):
        self.times: list[float] = []
        self._last: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        self._last = None

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        if self._last is not None:
            self.times.append(now - self._last)
        self._last = now


class PlainPairsTrainer(Trainer):
    """A plain Trainer that also runs the pair sides forward and backward, with a trivial loss on them."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        task = {k: v for k, v in inputs.items() if not k.startswith("pair_") and k != "lang_labels"}
        outputs = model(**task)
        source = {k[len("pair_source_") :]: v for k, v in inputs.items() if k.startswith("pair_source_")}
        target = {k[len("pair_target_") :]: v for k, v in inputs.items() if k.startswith("pair_target_")}
        length = max(source["input_ids"].shape[1], target["input_ids"].shape[1])
        pad = torch.nn.functional.pad
        merged = {
            name: torch.cat([pad(side[name], (0, length - side[name].shape[1])) for side in (source, target)])
            for name in ("input_ids", "attention_mask")
        }
        pooled = model(**merged).pooled_output
        return outputs.loss + 0.0 * pooled.float().sum()


def build_trainer(arm: str, model_name: str, args_ns, output_dir: str):
    manager = None
    if arm.startswith("madx_"):
        manager, tokenizer = build_manager(model_name)
        model = manager.peft_model
    else:
        model, tokenizer = build_model(model_name)
    task, pairs = build_data(tokenizer, args_ns.num_examples, tuple(args_ns.words), args_ns.max_length)
    common = dict(
        per_device_train_batch_size=args_ns.batch_size,
        learning_rate=1e-4,
        logging_steps=10_000,
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        save_strategy="no",
        seed=0,
        max_steps=args_ns.steps_per_round,
        lr_scheduler_type="constant",
    )
    if arm == "plain":
        args = TrainingArguments(output_dir, **common)
        trainer = Trainer(model, args, train_dataset=task.remove_columns(["lang"]), processing_class=tokenizer)
    elif arm == "plain_pairs":
        args = TrainingArguments(output_dir, remove_unused_columns=False, label_names=["labels"], **common)
        collator = CrossLingualDataCollator(
            model.get_base_model().config.lang2id,
            DataCollatorWithPadding(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
        )
        trainer = PlainPairsTrainer(
            model, args, train_dataset=CrossLingualStepDataset(task, None, pairs), data_collator=collator
        )
        sampler = CrossLingualStepSampler(len(task), num_pairs=len(pairs), seed=0)
        trainer._get_train_sampler = lambda dataset=None: sampler
    else:
        weights = {
            "none": dict(),
            "adversarial": dict(adversarial_weight=0.1),
            "alignment": dict(alignment_weight=1.0, alignment_loss="contrastive"),
            "both": dict(adversarial_weight=0.1, alignment_weight=1.0, alignment_loss="contrastive"),
            "madx_stacked": dict(alignment_weight=1.0, alignment_loss="contrastive"),
            "madx_routed": dict(alignment_weight=1.0, alignment_loss="contrastive", auxiliary_language_adapters=True),
        }[arm]
        args = CrossLingualTrainingArguments(output_dir, **common, **weights)
        trainer = CrossLingualTrainer(
            model, args, train_dataset=task, parallel_dataset=pairs, processing_class=tokenizer,
            adapter_manager=manager,
        )  # fmt: skip
    timer = StepTimer()
    trainer.add_callback(timer)
    return trainer, timer


def tokens_per_step(trainer, steps: int = 5) -> dict[str, float]:
    """Mean real (unpadded) tokens per step in the task batch and in the pair sides."""
    loader = trainer.get_train_dataloader()
    task = pairs = 0
    for i, batch in enumerate(loader):
        if i == steps:
            break
        task += int(batch["attention_mask"].sum())
        if "pair_source_attention_mask" in batch:
            pairs += int(batch["pair_source_attention_mask"].sum() + batch["pair_target_attention_mask"].sum())
    return {"task_tokens": task / steps, "pair_tokens": pairs / steps}


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(arm: str, model_name: str, args_ns) -> dict:
    """Peak RSS growth over `--memory-steps` training steps of one arm, in this (fresh) process."""
    torch.set_num_threads(args_ns.threads)
    trainer, _ = build_trainer(arm, model_name, args_ns, f"/tmp/trainer_overhead_mem_{arm}")
    trainer.args.max_steps = args_ns.memory_steps
    baseline = rss_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        method = "VmHWM after clear_refs"
    except OSError:
        method = "VmHWM since process start"
    trainer.train()
    return {"peak_mib": (rss_kib("VmHWM") - baseline) / 1024, "baseline_mib": baseline / 1024, "method": method}


def run_model(model_name: str, args_ns) -> dict:
    torch.set_num_threads(args_ns.threads)
    arms = args_ns.arms
    trainers = {arm: build_trainer(arm, model_name, args_ns, f"/tmp/trainer_overhead_{arm}") for arm in arms}
    tokens = tokens_per_step(trainers[next(a for a in ("alignment", "madx_stacked", *arms) if a in trainers)][0])
    for round_index in range(args_ns.rounds):
        order = list(arms) if round_index % 2 == 0 else list(reversed(arms))
        for arm in order:
            trainers[arm][0].train()
        print(f"  {model_name}: round {round_index + 1}/{args_ns.rounds} done", flush=True)
    seconds = {arm: statistics.median(timer.times) for arm, (_, timer) in trainers.items()}
    spread = {
        arm: [round(q, 5) for q in statistics.quantiles(timer.times, n=4)] for arm, (_, timer) in trainers.items()
    }
    memory = {}
    for arm in arms:
        command = [sys.executable, __file__, "--memory-child", arm, "--models", model_name, *args_ns.passthrough]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        memory[arm] = json.loads(done.stdout.strip().splitlines()[-1])
    pairs = [("none", "plain"), ("adversarial", "plain"), ("alignment", "plain"), ("both", "plain"),
             ("plain_pairs", "plain"), ("alignment", "plain_pairs"), ("both", "plain_pairs"),
             ("madx_routed", "madx_stacked")]  # fmt: skip
    ratios = {f"{a}/{b}": seconds[a] / seconds[b] for a, b in pairs if a in seconds and b in seconds}
    memory_ratios = {
        f"{a}/{b}": memory[a]["peak_mib"] / memory[b]["peak_mib"]
        for a, b in [
            ("none", "plain"),
            ("adversarial", "plain"),
            ("alignment", "plain_pairs"),
            ("both", "plain_pairs"),
            ("madx_routed", "madx_stacked"),
        ]  # fmt: skip
        if a in memory and b in memory
    }
    targeted = ("adversarial/plain", "alignment/plain_pairs", "both/plain_pairs")
    targets = {f"{ratio} <= 1.10": ratios[ratio] <= 1.10 for ratio in targeted if ratio in ratios}
    return {
        "seconds_per_step_median": seconds,
        "seconds_per_step_quartiles": spread,
        "timed_steps_per_arm": {arm: len(timer.times) for arm, (_, timer) in trainers.items()},
        "tokens_per_step": tokens,
        "peak_memory": memory,
        "ratios": ratios,
        "memory_ratios": memory_ratios,
        "targets_met": targets,
    }


def print_table(model_name: str, result: dict) -> None:
    seconds, memory = result["seconds_per_step_median"], result["peak_memory"]
    print(f"\n{model_name}  (tokens/step: {result['tokens_per_step']})")
    print(f"{'arm':<13}{'s/step':>10}{'x plain':>9}{'x plain_pairs':>15}{'peak MiB':>10}")
    for arm in seconds:
        versus = {
            ref: f"{seconds[arm] / seconds[ref]:.3f}" if ref in seconds else "-" for ref in ("plain", "plain_pairs")
        }
        print(
            f"{arm:<13}{seconds[arm]:>10.4f}{versus['plain']:>9}{versus['plain_pairs']:>15}{memory[arm]['peak_mib']:>10.1f}"
        )
    for ratio, value in result["ratios"].items():
        print(f"  {ratio}: {value:.3f}")
    for target, met in result["targets_met"].items():
        print(f"  target {target}: {'met' if met else 'MISSED'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["minilm-en", "tiny"])
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS), help="the arms to run (default: all)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps-per-round", type=int, default=7, help="steps per train() call; the first is dropped")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--num-examples", type=int, default=512)
    parser.add_argument("--words", type=int, nargs=2, default=[12, 24], help="min and max words per sentence")
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: stable on a shared CPU)")
    parser.add_argument("--memory-steps", type=int, default=4)
    parser.add_argument("--memory-child", choices=ARMS, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args_ns = parser.parse_args(argv)
    args_ns.passthrough = [
        "--batch-size", str(args_ns.batch_size), "--num-examples", str(args_ns.num_examples),
        "--words", *map(str, args_ns.words), "--max-length", str(args_ns.max_length),
        "--threads", str(args_ns.threads), "--memory-steps", str(args_ns.memory_steps), "--arms", *args_ns.arms,
    ]  # fmt: skip
    if args_ns.memory_child:
        print(json.dumps(memory_child(args_ns.memory_child, args_ns.models[0], args_ns)))
        return 0
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {k: v for k, v in vars(args_ns).items() if k not in ("passthrough", "memory_child", "output")},
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": __import__("transformers").__version__,
            "peft": __import__("peft").__version__,
            "cpu_count": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "models": {},
    }
    for model_name in args_ns.models:
        results["models"][model_name] = run_model(model_name, args_ns)
        print_table(model_name, results["models"][model_name])
    results["settings"]["output"] = str(args_ns.output)
    args_ns.output.parent.mkdir(parents=True, exist_ok=True)
    args_ns.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {args_ns.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
