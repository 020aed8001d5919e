"""`make bench`: regenerate the NusaX benchmark results (issue 8) into `benchmarks/results/` (JSON + Markdown).

Prints the time budget up front, then runs, one heavy job at a time (each resumable from its per-run cache):

1. `nusax_transfer.py`: zero-shot sentiment transfer, arms A-F x seeds on minilm-en (and me5-small with
   `--models minilm-en me5-small`), with retrieval P@1 and the language probe before/after;
2. `nusax_backtranslation.py`: English -> Javanese with and without back-translation, seeds;
3. the reports (`--report` of both: tables and one per-language chart per model), and
   `benchmarks/results/bench_summary.{json,md}` with the wall time.

    python benchmarks/run_all.py [--models minilm-en] [--seeds 0 1 2] [--data_dir ../shared/data]
    python benchmarks/run_all.py --report   # only re-aggregate what the caches hold
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR / "results"
# Seconds per unit, measured on this machine (2 CPU cores, torch threads 2; see `benchmarks/README.md`); the budget
# printed up front is built from them.
SECONDS = {
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
ARMS = ["A", "B", "C", "D", "E", "F"]


def budget(models: list[str], seeds: list[int]) -> tuple[float, list[str]]:
    lines, total = [], 0.0
    for model in models:
        # Two sets of language adapters: the plain ones (B, E) and those with new vocabulary rows (F).
        t = 2 * SECONDS[(model, "language_adapters")] + len(seeds) * sum(SECONDS[(model, arm)] for arm in ARMS)
        runs = len(ARMS) * len(seeds)
        lines.append(f"  transfer {model}: {len(ARMS)} arms x {len(seeds)} seeds = {runs} runs, ~{t / 60:.0f} min")
        total += t
    t = len(seeds) * SECONDS[("bt", "seed")]
    lines.append(f"  back-translation: {len(seeds)} seeds, ~{t / 60:.0f} min")
    total += t
    return total, lines


def run(command: list[str]) -> float:
    print("\n$ " + " ".join(command), flush=True)
    started = time.time()
    subprocess.run(command, check=True)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["minilm-en"], choices=["minilm-en", "me5-small"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data_dir", default=str(BENCHMARKS_DIR.parent.parent / "shared" / "data"))
    parser.add_argument("--report", action="store_true", help="only aggregate the caches")
    args = parser.parse_args()
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    total, lines = budget(args.models, args.seeds)
    print(
        f"make bench: time budget on 2 CPU cores (cached runs are skipped): ~{total / 60:.0f} min in all", flush=True
    )
    print("\n".join(lines), flush=True)
    python = sys.executable
    started = time.time()
    seeds = [str(s) for s in args.seeds]
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
    summary = {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "budget_seconds": total,
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
        f"(budget printed up front: {total / 60:.0f} min; runs already in the caches are skipped).\n"
    )
    print(f"\nmake bench finished in {wall / 60:.1f} min (budget {total / 60:.0f} min)")


if __name__ == "__main__":
    main()
