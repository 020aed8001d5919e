"""`make bench`: regenerate the NusaX benchmark results (issue 8) into `benchmarks/results/` (JSON + Markdown).

Prints the time budget up front, then runs, one heavy job at a time (each resumable from its per-run cache):

1. `nusax_transfer.py`: zero-shot sentiment transfer, arms A-F x seeds on minilm-en and me5-small, with retrieval
   P@1 and the language probe before/after;
2. `nusax_backtranslation.py`: English -> Javanese with and without back-translation, seeds;
3. the reports (`--report` of both: tables and one per-language chart per model), and
   `benchmarks/results/bench_summary.{json,md}` with the wall time.

The budget comes from the times the committed result files recorded on this machine. The result files are the cache:
on a clone that has them all, `make bench` only rewrites the tables; `--rerun` deletes the selected ones first and
computes them again (an interrupted rerun resumes with the same command without `--rerun`). The trained language
adapters and materialized models are cached under `benchmarks/cache/` (not committed); delete it for a cold start.

    python benchmarks/run_all.py [--models minilm-en me5-small] [--seeds 0 1 2] [--data_dir ../shared/data] [--rerun]
    python benchmarks/run_all.py --report   # only re-aggregate what the caches hold
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
import nusax_transfer  # noqa: E402  (beside this script; its top level is light: paths, arms, settings)


BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR / "results"
TRANSFER_RUNS = nusax_transfer.RUNS_DIR
BACKTRANSLATION_RUNS = RESULTS_DIR / "nusax_backtranslation_runs"
ADAPTER_CACHE = nusax_transfer.ADAPTER_CACHE
MODELS = ["minilm-en", "me5-small"]
ARMS = list(nusax_transfer.ARMS)
# Seconds per unit on this machine (2 CPU cores, torch threads 2), used only where the committed result files have no
# measured time for it yet (`measured_seconds` reads theirs).
FALLBACK_SECONDS = {
    ("minilm-en", "language_adapters"): 480,  # 12 MLM adapters x 30 steps, once per model (and again for arm F)
    ("minilm-en", "A"): 180,  # 3 epochs + per-epoch valid (1,200 sentences) + test at the selected epochs
    ("minilm-en", "B"): 200,
    ("minilm-en", "C"): 250,
    ("minilm-en", "D"): 250,
    ("minilm-en", "E"): 300,
    ("minilm-en", "F"): 300,
    # me5-small, its vocabulary trimmed to NusaX (the 12-layer encoder costs ~1.7x minilm-en per sentence)
    ("me5-small", "language_adapters"): 700,
    **{("me5-small", arm): 1.7 * t for arm, t in {"A": 180, "B": 200, "C": 250, "D": 250, "E": 300, "F": 300}.items()},
    ("bt", "seed"): 540,  # 3 BERT2BERT trainings of 150 steps + 1,200 greedy translations
}
# A run that loaded cached language adapters spends about a second on it; one that trained them, minutes.
ADAPTER_BUILD_MIN_SECONDS = 60


def measured_seconds() -> dict:
    """Seconds per unit, the median of what the committed result files recorded (`FALLBACK_SECONDS` elsewhere).

    A transfer run's own time excludes the language adapters it trained or loaded; an adapter set's time is taken
    from the run that trained it (the plain set for B/E, the extended-vocabulary set for F).
    """
    arm_times, adapter_times = defaultdict(list), defaultdict(list)
    for path in TRANSFER_RUNS.glob("*__seed*.json"):
        run = json.loads(path.read_text())
        seconds = run["seconds"]
        adapters = seconds.get("language_adapters_or_load", 0.0)
        arm_times[(run["model"], run["arm"])].append(seconds["total"] - adapters)
        if adapters > ADAPTER_BUILD_MIN_SECONDS:
            adapter_times[(run["model"], "language_adapters")].append(adapters)
    bt_times = [json.loads(p.read_text())["seconds"]["total"] for p in BACKTRANSLATION_RUNS.glob("seed*.json")]
    measured = {key: statistics.median(times) for key, times in {**arm_times, **adapter_times}.items()}
    if bt_times:
        measured[("bt", "seed")] = statistics.median(bt_times)
    return {key: measured.get(key, fallback) for key, fallback in FALLBACK_SECONDS.items()}


def budget(models: list[str], seeds: list[int], seconds: dict) -> tuple[float, float, list[str]]:
    """(seconds from scratch, seconds for what the caches lack, one line per job)."""
    lines, scratch, left = [], 0.0, 0.0
    adapter_seed = nusax_transfer.SETTINGS["language_adapter_seed"]
    for model in models:
        # Two sets of language adapters: the plain ones (B, E) and those with new vocabulary rows (F).
        adapters = seconds[(model, "language_adapters")]
        model_scratch = 2 * adapters + len(seeds) * sum(seconds[(model, arm)] for arm in ARMS)
        todo = [(arm, seed) for arm in ARMS for seed in seeds if not transfer_run_path(model, arm, seed).is_file()]
        model_left = sum(seconds[(model, arm)] for arm, _ in todo)
        for vocabulary in (False, True):
            folder = nusax_transfer.language_adapter_dir(model, adapter_seed, vocabulary, ADAPTER_CACHE)
            needed = any(uses_language_adapters(arm, vocabulary) for arm, _ in todo)
            model_left += adapters * (needed and not (folder / "done.json").is_file())
        lines.append(
            f"  transfer {model}: {len(ARMS)} arms x {len(seeds)} seeds = {len(ARMS) * len(seeds)} runs, "
            f"~{model_scratch / 60:.0f} min from scratch; {len(todo)} not in the cache, ~{model_left / 60:.0f} min"
        )
        scratch, left = scratch + model_scratch, left + model_left
    per_seed = seconds[("bt", "seed")]
    todo = [seed for seed in seeds if not (BACKTRANSLATION_RUNS / f"seed{seed}.json").is_file()]
    lines.append(
        f"  back-translation: {len(seeds)} seeds, ~{len(seeds) * per_seed / 60:.0f} min from scratch; "
        f"{len(todo)} not in the cache, ~{len(todo) * per_seed / 60:.0f} min"
    )
    return scratch + len(seeds) * per_seed, left + len(todo) * per_seed, lines


def uses_language_adapters(arm: str, vocabulary: bool) -> bool:
    """Whether `arm` trains on the plain language adapter set (`vocabulary=False`) or the extended one."""
    spec = nusax_transfer.ARMS[arm]
    return spec["language_adapters"] and spec.get("vocabulary", False) == vocabulary


def transfer_run_path(model: str, arm: str, seed: int) -> Path:
    return TRANSFER_RUNS / f"{model}__{arm}__seed{seed}.json"


def selected_result_files(models: list[str], seeds: list[int]) -> list[Path]:
    """The result files `--rerun` deletes: the selected runs and the per-model measures made beside them."""
    files = [transfer_run_path(model, arm, seed) for model in models for arm in ARMS for seed in seeds]
    files += [TRANSFER_RUNS / f"{model}__{what}.json" for model in models for what in ("raw_backbone", "F_vocabulary")]
    return files + [BACKTRANSLATION_RUNS / f"seed{seed}.json" for seed in seeds]


def run(command: list[str]) -> float:
    print("\n$ " + " ".join(command), flush=True)
    started = time.time()
    subprocess.run(command, check=True)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data_dir", default=str(BENCHMARKS_DIR.parent.parent / "shared" / "data"))
    parser.add_argument("--report", action="store_true", help="only aggregate the caches")
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="delete the selected runs' result files, then run them again (resume an interrupted rerun without it)",
    )
    args = parser.parse_args()
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    python, seeds = sys.executable, [str(s) for s in args.seeds]
    if args.rerun and not args.report:
        for path in selected_result_files(args.models, args.seeds):
            path.unlink(missing_ok=True)
    seconds = measured_seconds()
    scratch, left, lines = budget(args.models, args.seeds, seconds)
    print(
        f"make bench: time budget on 2 CPU cores (times recorded in benchmarks/results/): ~{left / 60:.0f} min "
        f"for what the caches lack (~{scratch / 60:.0f} min from scratch)",
        flush=True,
    )
    print("\n".join(lines), flush=True)
    started = time.time()
    timings = {}
    if not args.report:
        timings["transfer"] = run([python, str(BENCHMARKS_DIR / "nusax_transfer.py"), "--data_dir", args.data_dir,
                                   "--models", *args.models, "--arms", *ARMS, "--seeds", *seeds,
                                   "--command", command])  # fmt: skip
        timings["backtranslation"] = run([python, str(BENCHMARKS_DIR / "nusax_backtranslation.py"),
                                          "--data_dir", args.data_dir, "--seeds", *seeds,
                                          "--command", command])  # fmt: skip
    run([python, str(BENCHMARKS_DIR / "nusax_transfer.py"), "--report", "--command", command])
    run([python, str(BENCHMARKS_DIR / "nusax_backtranslation.py"), "--report", "--command", command])
    wall = time.time() - started
    if args.report:  # nothing ran: no wall time to record
        return
    summary = {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "budget_seconds": {"for_what_the_caches_lacked": left, "from_scratch": scratch},
        "wall_seconds": wall,
        "step_seconds": timings,
        "hardware": f"{os.cpu_count()} CPU cores, torch threads 2, no GPU",
        "results": ["nusax_transfer.md", "nusax_transfer.json", *[f"nusax_transfer_{m}.png" for m in args.models],
                    "nusax_backtranslation.md", "nusax_backtranslation.json"],
    }  # fmt: skip
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "bench_summary.json").write_text(json.dumps(summary, indent=1))
    (RESULTS_DIR / "bench_summary.md").write_text(
        f"# make bench\n\n`{command}` on {summary['date']}, {summary['hardware']}: wall time {wall / 60:.1f} min "
        f"(budget printed up front: ~{left / 60:.0f} min for the runs the caches lacked, ~{scratch / 60:.0f} min "
        "from scratch; runs already in the caches are skipped).\n"
    )
    print(f"\nmake bench finished in {wall / 60:.1f} min (budget ~{left / 60:.0f} min)")


if __name__ == "__main__":
    main()
