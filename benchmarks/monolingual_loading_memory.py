"""Peak memory of `load_monolingual`: eager (a `Dataset` in memory) against streaming, as a ratio to the file size.

A synthetic plain-text corpus of `--lines` distinct sentences (about 36 bytes a line, like a short-sentence crawl) is
written to a temporary directory. Each arm then loads it in a fresh subprocess:

| arm | what runs |
|---|---|
| `eager` | `load_monolingual(path, "jav")`, then one pass over the returned `Dataset`'s ``text`` column |
| `streaming` | `load_monolingual(path, "jav", streaming=True)`, iterated to the end |

Memory: the peak resident set size (`VmHWM`, reset through `/proc/self/clear_refs` once `hf_lowres.data` is
imported) minus the resident size at that point: everything loading the corpus (and, for `eager`, keeping it)
costs, including the duplicate memory of the cleaning step and allocator slack. The ratio divides that growth by
the file's size. Target (issue 14): eager growth at most 3x the file.

Usage:

    python benchmarks/monolingual_loading_memory.py                  # 1,000,000 lines, JSON in benchmarks/results/
    python benchmarks/monolingual_loading_memory.py --lines 100000 --repeats 1
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
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
ARMS = ("eager", "streaming")
WORDS = (
    "aku kowe dheweke iki kuwi omah sekolah pasar sega banyu apik ala gedhe cilik abang ijo adoh cedhak esuk sore "
    "wengi mangan ngombe turu mlaku teka lunga tuku adol maca nulis sinau kerja dina sasi taun wong bocah"
).split()


def write_corpus(path: Path, n_lines: int, seed: int = 0) -> int:
    """Writes `n_lines` distinct sentences (5 words and a number) to `path`; returns the file's size in bytes."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n_lines):
            f.write(" ".join(rng.choices(WORDS, k=5)) + f" {i}\n")
    return path.stat().st_size


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(arm: str, path: str) -> dict:
    """Runs one arm in this process and returns its figures (called in a fresh subprocess)."""
    import datasets

    from hf_lowres.data import load_monolingual

    datasets.disable_progress_bars()
    baseline = rss_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        method = "VmHWM after clear_refs"
    except OSError:
        method = "VmHWM since process start"
    start = time.perf_counter()
    if arm == "eager":
        dataset = load_monolingual(path, "jav")
        rows = 0
        for batch in dataset.iter(batch_size=10_000):
            rows += len(batch["text"])
    else:
        rows = sum(1 for _ in load_monolingual(path, "jav", streaming=True))
    seconds = time.perf_counter() - start
    return {"rows": rows, "growth_kib": rss_kib("VmHWM") - baseline, "seconds": seconds, "method": method}


def run_arm(arm: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", arm, "--path", str(path)]
    # A PYTHONPATH set by the caller comes first, so that another checkout can be measured (e.g. the code before a
    # change, exported to a folder).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p))
    env.setdefault("HF_HUB_OFFLINE", "1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"arm {arm} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in the synthetic corpus")
    parser.add_argument("--repeats", type=int, default=3, help="subprocess runs per arm (the median is reported)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "monolingual_loading_memory.json"))
    parser.add_argument("--child", choices=ARMS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.path)))
        return {}

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jav"
        file_bytes = write_corpus(path, args.lines)
        runs = {arm: [] for arm in ARMS}
        for _ in range(args.repeats):
            for arm in ARMS:  # interleaved, so that a busy machine affects both arms alike
                runs[arm].append(run_arm(arm, path))
    results = {}
    for arm, arm_runs in runs.items():
        if any(r["rows"] != args.lines for r in arm_runs):
            raise RuntimeError(f"arm {arm} returned {[r['rows'] for r in arm_runs]} rows, expected {args.lines}.")
        growth = statistics.median(r["growth_kib"] for r in arm_runs) * 1024
        results[arm] = {
            "peak_rss_growth_mb": round(growth / 1e6, 1),
            "ratio_to_file": round(growth / file_bytes, 2),
            "seconds": round(statistics.median(r["seconds"] for r in arm_runs), 2),
            "runs_growth_mb": [round(r["growth_kib"] * 1024 / 1e6, 1) for r in arm_runs],
            "method": arm_runs[0]["method"],
        }
    report = {
        "command": "python benchmarks/monolingual_loading_memory.py" + (" " + " ".join(argv) if argv else ""),
        "lines": args.lines,
        "file_mb": round(file_bytes / 1e6, 1),
        "target": "eager peak RSS growth <= 3x the file size",
        "arms": results,
        "environment": {
            "python": platform.python_version(),
            "datasets": __import__("datasets").__version__,
            "pyarrow": __import__("pyarrow").__version__,
            "cpu_count": os.cpu_count(),
        },
    }
    print(f"{args.lines:,} lines, {file_bytes / 1e6:.1f} MB, median of {args.repeats} run(s) per arm")
    print("| arm | peak RSS growth (MB) | x file size | seconds |\n|---|---|---|---|")
    for arm, r in results.items():
        print(f"| {arm} | {r['peak_rss_growth_mb']:.1f} | {r['ratio_to_file']:.2f} | {r['seconds']:.2f} |")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main(sys.argv[1:] or None)
