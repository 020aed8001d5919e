"""Multilingual instruction tuning of a real small decoder (issue 20): SmolLM2-135M-Instruct (English-centric) with the
`train_instructions` recipe, before and after, per task and language.

Setup, fixed before any test set is scored:

- Model: ``smollm2-135m-instruct`` (`hf_lowres.pretrained`, offline), LoRA r=16 on every linear layer of the blocks.
- Training data (`build_instruction_dataset`, train split only): NusaTranslation ind <-> jav and ind <-> sun and
  NusaParagraph topic in jav and sun, at most `train_examples` per task, language (and direction).
- Arms: ``eng_ind`` (English and Indonesian instructions only) and ``with_target`` (also the Javanese and Sundanese
  templates, for data in those languages).
- Held-out task: NusaX sentiment (never trained on), scored in eng (forgetting), jav and sun.
- Scores (test split, at most `eval_examples` rows per task and language, English/Indonesian prompts for both arms):
  accuracy by the likelihood of each label's verbalization (sentiment, topic), BLEU and chrF of greedy outputs
  (translation); the base model (no adapter) beside the tuned one.

Each (arm, seed) is cached in `benchmarks/results/instruction_tuning_runs/`; `--report` aggregates them into
`benchmarks/results/instruction_tuning.{json,md}` with the goal's check (held-out sentiment on jav and sun >= base +
10 points after ``eng_ind``; ``with_target`` better still; English sentiment within 2 points of the base model).

    python benchmarks/instruction_tuning.py --arms eng_ind with_target --seeds 0 1 2
    python benchmarks/instruction_tuning.py --smoke      # 2 steps, a few rows, scratch folder
"""

from __future__ import annotations

import os


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


BENCHMARKS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS_DIR))

RESULTS_DIR = BENCHMARKS_DIR / "results"
RUNS_DIR = RESULTS_DIR / "instruction_tuning_runs"
DEFAULT_DATA_DIR = BENCHMARKS_DIR.parents[1] / "shared" / "data"
MODEL = "smollm2-135m-instruct"
ARMS = {"eng_ind": ["eng", "ind"], "with_target": ["eng", "ind", "jav", "sun"]}
SETTINGS = {
    "train_examples": 300,
    "eval_examples": 100,
    "max_length": 384,
    "max_new_tokens": 64,
    "epochs": 1,
    "batch_size": 8,
    "learning_rate": 2e-4,
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}
HELD_OUT = "sentiment"
GOAL_LANGUAGES = ["jav", "sun"]


def arguments(arm: str, seed: int, data_dir: str, output_dir: str, smoke: bool) -> list[str]:
    from real_models import materialize

    s = SETTINGS
    argv = [
        "--model_name_or_path", str(materialize(MODEL)), "--data_dir", data_dir, "--output_dir", output_dir,
        "--tasks", "translation", "topic", HELD_OUT, "--held_out_tasks", HELD_OUT,
        "--sentiment_languages", "eng", *GOAL_LANGUAGES, "--translation_languages", *GOAL_LANGUAGES,
        "--topic_languages", *GOAL_LANGUAGES, "--instruction_languages", *ARMS[arm],
        "--max_examples_per_language", str(4 if smoke else s["train_examples"]),
        "--eval_max_examples_per_language", str(2 if smoke else s["eval_examples"]),
        "--max_length", str(s["max_length"]), "--max_new_tokens", str(4 if smoke else s["max_new_tokens"]),
        "--lora_r", str(s["lora_r"]), "--lora_alpha", str(s["lora_alpha"]),
        "--lora_target_modules", *s["lora_target_modules"],
        "--num_train_epochs", str(s["epochs"]), "--per_device_train_batch_size", str(s["batch_size"]),
        "--learning_rate", str(s["learning_rate"]), "--warmup_steps", "0.05", "--seed", str(seed),
        "--train_sampling_strategy", "group_by_length", "--save_strategy", "no", "--report_to", "none",
        "--use_cpu", "true", "--logging_steps", "20", "--disable_tqdm", "true",
    ]  # fmt: skip
    return argv + (["--max_steps", "2"] if smoke else [])


def run_one(arm: str, seed: int, data_dir: str, smoke: bool = False) -> dict:
    """One (arm, seed): the recipe's before/after reports, cached."""
    out = RUNS_DIR / f"{arm}__seed{seed}.json"
    if out.is_file():
        return json.loads(out.read_text())
    import torch

    import hf_lowres.recipes.train_instructions as recipe

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        parsed = recipe.make_parser().parse_args_and_config(arguments(arm, seed, data_dir, tmp, smoke))
        inputs = recipe.check_inputs(*parsed)
        reports = recipe.main(*parsed, inputs=inputs)
    result = {
        "arm": arm,
        "seed": seed,
        "instruction_languages": ARMS[arm],
        "settings": SETTINGS,
        "train_rows": len(inputs[0]),
        "before": {task: report.to_dict() for task, report in reports["before"].items()},
        "after": {task: report.to_dict() for task, report in reports["after"].items()},
        "seconds": time.time() - started,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(result, indent=1) + "\n")
    partial.replace(out)
    return result


def _rows(report: dict) -> dict[str, dict]:
    return {row["language"]: row for row in report["rows"]}


def summarize(runs: list[dict]) -> dict:
    """Per arm, task, language and metric: before and after as [mean, std] over seeds; the goal's checks."""
    by_arm: dict[str, list[dict]] = {}
    for run in runs:
        by_arm.setdefault(run["arm"], []).append(run)
    summary = {"arms": {}, "goal": {}}
    for arm, group in sorted(by_arm.items()):
        table = {}
        for task in group[0]["after"]:
            for language in _rows(group[0]["after"][task]):
                for metric in ("accuracy", "bleu", "chrf"):
                    if metric not in _rows(group[0]["after"][task])[language]:
                        continue
                    values = {when: [_rows(run[when][task])[language][metric] for run in group]
                              for when in ("before", "after")}  # fmt: skip
                    table[f"{task}/{language}/{metric}"] = {
                        when: [statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0]
                        for when, v in values.items()
                    }
        summary["arms"][arm] = {"seeds": sorted(r["seed"] for r in group), "scores": table}
    arms = summary["arms"]

    def gain(arm, key):
        entry = arms[arm]["scores"][key]
        return round(100 * (entry["after"][0] - entry["before"][0]), 6)  # points; rounding keeps -2.0 at -2.0

    if "eng_ind" in arms:
        keys = [f"{HELD_OUT}/{lang}/accuracy" for lang in GOAL_LANGUAGES]
        summary["goal"]["held_out_gain_points"] = {key: gain("eng_ind", key) for key in keys}
        summary["goal"]["held_out_gain_met"] = all(gain("eng_ind", key) >= 10 for key in keys)
        english = gain("eng_ind", f"{HELD_OUT}/eng/accuracy")
        summary["goal"]["english_change_points"] = english
        summary["goal"]["english_within_2_points"] = english >= -2  # a gain is no forgetting
    if {"eng_ind", "with_target"} <= set(arms):
        keys = [k for k in arms["with_target"]["scores"] if k.split("/")[1] in GOAL_LANGUAGES]
        summary["goal"]["with_target_better_on"] = {
            key: arms["with_target"]["scores"][key]["after"][0] > arms["eng_ind"]["scores"][key]["after"][0]
            for key in keys
        }
    return summary


def report(command: str | None = None) -> dict:
    runs = [json.loads(p.read_text()) for p in sorted(RUNS_DIR.glob("*.json"))]
    summary = summarize(runs)
    lines = [
        "# Instruction tuning of SmolLM2-135M-Instruct (`train_instructions`)",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`{command or 'python benchmarks/instruction_tuning.py --report'}`. Mean ± std over seeds; before = the "
        f"base model, after = with the tuned LoRA adapter; {HELD_OUT} is held out of training.",
        "",
        "| arm | seeds | task / language / metric | before | after | change |",
        "|---|---|---|---:|---:|---:|",
    ]
    for arm, entry in summary["arms"].items():
        seeds = ",".join(map(str, entry["seeds"]))
        for key, values in entry["scores"].items():
            scale = 100 if key.endswith("accuracy") else 1
            before, after = (scale * values[w][0] for w in ("before", "after"))
            lines.append(f"| {arm} | {seeds} | {key} | {before:.1f} ± {scale * values['before'][1]:.1f} | "
                         f"{after:.1f} ± {scale * values['after'][1]:.1f} | {after - before:+.1f} |")  # fmt: skip
    lines += ["", f"Goal checks: {json.dumps(summary['goal'])}"]
    summary["command"] = command
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "instruction_tuning.json").write_text(json.dumps(summary, indent=1) + "\n")
    (RESULTS_DIR / "instruction_tuning.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return summary


def main(argv=None) -> None:
    global RESULTS_DIR, RUNS_DIR
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--report", action="store_true", help="only aggregate the run files")
    parser.add_argument("--command", default=None)
    parser.add_argument("--smoke", action="store_true", help="2 steps on a few rows, into a scratch folder")
    args = parser.parse_args(argv)
    if args.smoke:
        RESULTS_DIR = Path(tempfile.mkdtemp(prefix="instruction_tuning_smoke_"))
        RUNS_DIR = RESULTS_DIR / "runs"
    if not args.report:
        for arm in args.arms:
            for seed in args.seeds:
                run_one(arm, seed, args.data_dir, smoke=args.smoke)
                report(args.command)
    report(args.command)


if __name__ == "__main__":
    main()
