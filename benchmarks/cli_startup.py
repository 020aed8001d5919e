"""Start-up of the `hf-lowres` command: help and usage errors answered from the argument index vs the full parser.

Each case runs in a fresh interpreter (the way a user meets it), `--repeats` times after one warm-up run, and the
median wall-clock time is reported. The `full parser` cases run the same `hf-lowres` entry point with the argument
index switched off, so they import the recipe with transformers and torch as every command did before the index
(`hf_lowres/cli_index.py`); the ratio column is full over indexed, measured in the same run.

| case | arguments |
|---|---|
| `hf-lowres --help` | the command list |
| `train_task --help` | a recipe's own arguments |
| `train_task --help-all` | with the Trainer's ~115 arguments |
| `train_task typo` | `--modle_name_or_path m`: the unknown flag named with the closest valid one |
| `train_task missing` | `--languages eng`: a required argument missing |

    .venv/bin/python benchmarks/cli_startup.py

Prints a table and writes ``benchmarks/results/cli_startup.json``. The machine's load average is recorded beside
the figures: run it with nothing else on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


RESULT_PATH = Path(__file__).parent / "results" / "cli_startup.json"
CASES = {
    "hf-lowres --help": ["--help"],
    "train_task --help": ["train_task", "--help"],
    "train_task --help-all": ["train_task", "--help-all"],
    "train_task typo": ["train_task", "--modle_name_or_path", "m"],
    "train_task missing": ["train_task", "--languages", "eng"],
}
# The `hf-lowres` console script, with or without the argument index. It is written to a file named `hf-lowres`:
# the package imports its models at once unless it is that command (`hf_lowres/__init__.py`).
ENTRY = "import sys\nfrom hf_lowres.cli import main\nsys.exit(main())\n"
ENTRY_WITHOUT_INDEX = (
    "import sys\nfrom hf_lowres import cli, cli_index\n"
    "cli_index.indexed_parser = lambda *args, **kwargs: None\nsys.exit(cli.main())\n"
)


def write_script(folder: Path, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "hf-lowres"
    script.write_text(code, encoding="utf-8")
    return script


def median_seconds(script: Path, arguments: list[str], repeats: int) -> tuple[float, int]:
    """The median wall time of `python script arguments` over `repeats` runs (after a warm-up), and its exit code."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "100"}
    command = [sys.executable, str(script), *arguments]
    subprocess.run(command, capture_output=True, env=env, check=False)
    times, returncode = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        returncode = result.returncode
    return statistics.median(times), returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", default=str(RESULT_PATH))
    args = parser.parse_args()

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        indexed_script = write_script(Path(tmp) / "indexed", ENTRY)
        full_script = write_script(Path(tmp) / "full", ENTRY_WITHOUT_INDEX)
        for case, arguments in CASES.items():
            indexed, code = median_seconds(indexed_script, arguments, args.repeats)
            full, full_code = median_seconds(full_script, arguments, args.repeats)
            if code != full_code:
                raise RuntimeError(f"{case}: exit code {code} with the index, {full_code} without it")
            rows.append({"case": case, "exit_code": code, "indexed_s": indexed, "full_parser_s": full,
                         "ratio": full / indexed})  # fmt: skip
    load_after = os.getloadavg()

    print("| case | exit code | indexed (s) | full parser (s) | full / indexed |\n|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['case']} | {row['exit_code']} | {row['indexed_s']:.3f} | {row['full_parser_s']:.2f} | "
              f"{row['ratio']:.1f}x |")  # fmt: skip
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    result = {
        "benchmark": "cli_startup",
        "command": "python benchmarks/cli_startup.py" + (f" --repeats {args.repeats}" if args.repeats != 5 else ""),
        "repeats": args.repeats,
        "statistic": "median wall-clock seconds of a fresh interpreter",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_1min": {"before": load_before[0], "after": load_after[0]},
        "rows": rows,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
