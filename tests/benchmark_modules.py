"""The benchmark scripts as modules for the tests (benchmarks/ is not a package)."""

import importlib.util
import sys
from pathlib import Path


BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str):
    """`benchmarks/<name>.py` loaded fresh under a private module name, so that its settings belong to the caller."""
    spec = importlib.util.spec_from_file_location(f"_hf_lowres_benchmarks_{name}", BENCHMARKS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module
