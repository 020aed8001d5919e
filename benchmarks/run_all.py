"""`make bench` / `make bench-full`: regenerate the NusaX benchmark results into `benchmarks/results/`.

Prints the time budget up front, then runs, one heavy job at a time (each resumable from its per-run cache):

1. `nusax_transfer.py` (protocol v2, issue 15): zero-shot sentiment transfer. `make bench` runs the decisive arms
   (`BENCH_ARMS`: A, G+D) x 3 seeds on me5-small; `make bench-full` (`--full`) every arm on both models;
2. `nusax_backtranslation.py`: English -> Javanese with and without back-translation, the same seeds;
3. the reports (`--report` of both: tables and one per-language chart per model), and
   `benchmarks/results/bench_summary.{json,md}` with the wall time.

Both targets write the same result files (the tables show whatever the run cache holds). The budget comes from the
times the result files recorded on this machine (`FALLBACK_SECONDS` where none is recorded yet). The result files
are the cache: on a clone that has them all, `make bench` only rewrites the tables; `--rerun` deletes the selected
ones first and computes them again (an interrupted rerun resumes with the same command without `--rerun`). The
trained language adapters and materialized models are cached under `benchmarks/cache/` (not committed); delete it for
a cold start.

    python benchmarks/run_all.py [--models me5-small] [--arms A G+D] [--seeds 0 1 2] [--rerun]
    python benchmarks/run_all.py --full          # both models, every arm
    python benchmarks/run_all.py --report        # only re-aggregate what the caches hold
    python benchmarks/run_all.py --smoke --models minilm-en --seeds 0   # the pipeline on a few rows, scratch folder
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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
MODELS = list(nusax_transfer.MODELS)
ARMS = list(nusax_transfer.ARMS)
# `make bench`: the model and the decisive arms of protocol v2: the baseline and the best arm, GATITOS word
# translations + the alignment loss (G+D, issue 16). D, D_ood, T and the other lexicon arms are in `make bench-full`:
# G+D takes ~22 min a seed on 2 cores, and A, D, G+D x 3 seeds + back-translation would be ~114 min of the 120.
BENCH_MODELS = ["me5-small"]
BENCH_ARMS = ["A", "G+D"]
TARGET_MINUTES = 120  # issue 8 / issue 15: `make bench` within 2 hours on 2 idle cores
# Seconds per unit on this machine (2 CPU cores, torch threads 2), used only where the result files have no measured
# time for it yet (`measured_seconds` reads theirs). Estimated for protocol v2 (250 labeled rows) from v1's measured
# cost per training row, pair and evaluated sentence.
# The lexicon arms G, G+D and G_nusax train on 8 (11 for G_nusax) copies of L, H on L itself.
_ME5_ARMS = {"A": 300, "B": 420, "C": 340, "D": 360, "D_ood": 360, "E": 500, "F": 520, "T": 760,
             "G": 900, "H": 320, "G+D": 1000, "G_nusax": 1150, "A_steps": 800}  # fmt: skip
_MINILM_ARMS = {"A": 150, "B": 180, "C": 170, "D": 160, "D_ood": 160, "E": 220, "F": 250, "T": 330,
                "G": 350, "H": 160, "G+D": 380, "G_nusax": 450, "A_steps": 320}  # fmt: skip
FALLBACK_SECONDS = {
    ("minilm-en", "language_adapters"): 480,  # 12 MLM adapters x 30 steps, once per model (and again for arm F)
    ("minilm-en", "raw_backbone"): 40,  # the 'before' representations (retrieval, probe)
    **{("minilm-en", arm): t for arm, t in _MINILM_ARMS.items()},
    ("me5-small", "language_adapters"): 650,
    ("me5-small", "raw_backbone"): 150,  # with building the trimmed vocabulary copy, on a cold cache
    **{("me5-small", arm): t for arm, t in _ME5_ARMS.items()},
    ("bt", "seed"): 540,  # 3 BERT2BERT trainings of 150 steps + 1,200 greedy translations
}
# A run that loaded cached language adapters spends about a second on it; one that trained them, minutes.
ADAPTER_BUILD_MIN_SECONDS = 60


def measured_seconds() -> dict:
    """Seconds per unit, the median of what the result files recorded (`FALLBACK_SECONDS` elsewhere).

    A transfer run's own time excludes the language adapters it trained or loaded; an adapter set's time is taken
    from the run that trained it (the plain set for B/E, the extended-vocabulary set for F).
    """
    times = defaultdict(list)
    for path in TRANSFER_RUNS.glob("*__seed*.json"):
        run = json.loads(path.read_text())
        seconds = run["seconds"]
        adapters = seconds.get("language_adapters_or_load", 0.0)
        times[(run["model"], run["arm"])].append(seconds["total"] - adapters)
        # Only an arm on language adapters can have trained them (the span also holds loading the data).
        if adapters > ADAPTER_BUILD_MIN_SECONDS and nusax_transfer.ARMS[run["arm"]]["language_adapters"]:
            times[(run["model"], "language_adapters")].append(adapters)
    for path in TRANSFER_RUNS.glob("*__raw_backbone.json"):
        times[(path.name.split("__")[0], "raw_backbone")].append(json.loads(path.read_text())["seconds"])
    times[("bt", "seed")] = [
        json.loads(p.read_text())["seconds"]["total"] for p in BACKTRANSLATION_RUNS.glob("seed*.json")
    ]
    measured = {key: statistics.median(values) for key, values in times.items() if values}
    return {key: measured.get(key, fallback) for key, fallback in FALLBACK_SECONDS.items()}


def arms_to_run(arms: list[str]) -> list[str]:
    """`arms` with the arms they need (T trains on the pseudo-labels of A's run), in run order."""
    needed = set(arms)
    if any(nusax_transfer.ARMS[arm].get("projection") for arm in arms):
        needed.add(nusax_transfer.PSEUDO_LABEL_ARM)
    return sorted(needed, key=nusax_transfer.ARM_PRIORITY.index)


def budget(models: list[str], arms: list[str], seeds: list[int], seconds: dict) -> tuple[float, float, list[str]]:
    """(seconds from scratch, seconds for what the caches lack, one line per job)."""
    lines, scratch, left = [], 0.0, 0.0
    adapter_seed = nusax_transfer.SETTINGS["language_adapter_seed"]
    arms = arms_to_run(arms)
    for model in models:
        # Up to two sets of language adapters: the plain ones (B, E) and those with new vocabulary rows (F).
        adapters = seconds[(model, "language_adapters")]
        sets = [v for v in (False, True) if any(uses_language_adapters(arm, v) for arm in arms)]
        raw = seconds[(model, "raw_backbone")]
        model_scratch = raw + len(sets) * adapters + len(seeds) * sum(seconds[(model, arm)] for arm in arms)
        todo = [(arm, seed) for arm in arms for seed in seeds if not transfer_run_path(model, arm, seed).is_file()]
        model_left = sum(seconds[(model, arm)] for arm, _ in todo)
        model_left += raw * (not (TRANSFER_RUNS / f"{model}__raw_backbone.json").is_file())
        for vocabulary in sets:
            folder = nusax_transfer.language_adapter_dir(model, adapter_seed, vocabulary, ADAPTER_CACHE)
            needed = any(uses_language_adapters(arm, vocabulary) for arm, _ in todo)
            model_left += adapters * (needed and not (folder / "done.json").is_file())
        lines.append(
            f"  transfer {model}: arms {' '.join(arms)} x {len(seeds)} seeds = {len(arms) * len(seeds)} runs, "
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


def selected_result_files(models: list[str], arms: list[str], seeds: list[int]) -> list[Path]:
    """The result files `--rerun` deletes: the selected runs and the per-model measures made beside them."""
    files = [transfer_run_path(model, arm, seed) for model in models for arm in arms for seed in seeds]
    files += [TRANSFER_RUNS / f"{model}__raw_backbone.json" for model in models]
    if "F" in arms:
        files += [TRANSFER_RUNS / f"{model}__F_vocabulary.json" for model in models]
    return files + [BACKTRANSLATION_RUNS / f"seed{seed}.json" for seed in seeds]


def run(command: list[str]) -> float:
    print("\n$ " + " ".join(command), flush=True)
    started = time.time()
    subprocess.run(command, check=True)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, choices=MODELS, help=f"default {BENCH_MODELS}")
    parser.add_argument("--arms", nargs="+", default=None, choices=ARMS, help=f"default {BENCH_ARMS}")
    parser.add_argument("--full", action="store_true", help="the whole grid: both models, every arm")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(nusax_transfer.SEEDS))
    parser.add_argument("--data_dir", default=str(BENCHMARKS_DIR.parent.parent / "shared" / "data"))
    parser.add_argument("--report", action="store_true", help="only aggregate the caches")
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="delete the selected runs' result files, then run them again (resume an interrupted rerun without it)",
    )
    parser.add_argument("--smoke", action="store_true", help="both benchmarks on a few rows into a scratch folder")
    args = parser.parse_args()
    if args.full and (args.models or args.arms):
        parser.error("--full runs every model and arm; leave out --models and --arms (or leave out --full).")
    models = MODELS if args.full else (args.models or BENCH_MODELS)
    arms = ARMS if args.full else (args.arms or BENCH_ARMS)
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    python, seeds = sys.executable, [str(s) for s in args.seeds]
    results_dir = Path(tempfile.mkdtemp(prefix="bench_smoke_")) if args.smoke else RESULTS_DIR
    transfer = [python, str(BENCHMARKS_DIR / "nusax_transfer.py"), "--data_dir", args.data_dir, "--command", command]
    backtranslation = [python, str(BENCHMARKS_DIR / "nusax_backtranslation.py"), "--data_dir", args.data_dir,
                       "--command", command]  # fmt: skip
    if args.smoke:
        transfer += ["--smoke", "--results_dir", str(results_dir)]
        backtranslation += ["--smoke"]
    if args.rerun and not args.report and not args.smoke:
        for path in selected_result_files(models, arms, args.seeds):
            path.unlink(missing_ok=True)
    seconds = measured_seconds()
    scratch, left, lines = budget(models, arms, args.seeds, seconds)
    print(
        f"make bench: time budget on 2 CPU cores (times recorded in benchmarks/results/): ~{left / 60:.0f} min "
        f"for what the caches lack (~{scratch / 60:.0f} min from scratch; target {TARGET_MINUTES} min)",
        flush=True,
    )
    print("\n".join(lines), flush=True)
    if args.smoke:
        print(f"smoke run into {results_dir} (the budget above is that of the real runs, not of this check)")
    started = time.time()
    timings = {}
    if not args.report:
        timings["transfer"] = run([*transfer, "--models", *models, "--arms", *arms, "--seeds", *seeds])
        timings["backtranslation"] = run([*backtranslation, "--seeds", *seeds])
    if not args.smoke:  # a smoke run's scripts report into their scratch folders as they go
        run([*transfer, "--report"])
        run([*backtranslation, "--report"])
    wall = time.time() - started
    if args.report:  # nothing ran: no wall time to record
        return
    summary = {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "protocol": nusax_transfer.PROTOCOL,
        "models": models,
        "arms": arms_to_run(arms),
        "seeds": args.seeds,
        "budget_seconds": {"for_what_the_caches_lacked": left, "from_scratch": scratch},
        "wall_seconds": wall,
        "step_seconds": timings,
        "hardware": f"{os.cpu_count()} CPU cores, torch threads 2, no GPU",
        "results": ["nusax_transfer.md", "nusax_transfer.json", *[f"nusax_transfer_{m}.png" for m in models],
                    "nusax_backtranslation.md", "nusax_backtranslation.json"],
    }  # fmt: skip
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "bench_summary.json").write_text(json.dumps(summary, indent=1))
    (results_dir / "bench_summary.md").write_text(
        f"# make bench\n\n`{command}` on {summary['date']}, {summary['hardware']}, protocol {summary['protocol']} "
        f"(models {', '.join(models)}; arms {', '.join(summary['arms'])}; seeds {', '.join(seeds)}): wall time "
        f"{wall / 60:.1f} min (budget printed up front: ~{left / 60:.0f} min for the runs the caches lacked, "
        f"~{scratch / 60:.0f} min from scratch; runs already in the caches are skipped).\n"
    )
    print(f"\nmake bench finished in {wall / 60:.1f} min (budget ~{left / 60:.0f} min); summary in {results_dir}")


if __name__ == "__main__":
    main()
