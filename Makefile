# Every target sets itself up: `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ../shared/data

.PHONY: install test test-slow lint format cli-index demo quickstart bench bench-full clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so that no CUDA wheels are pulled in by the package's own requirement.
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev,demo]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The argument index the CLI answers `--help` and usage errors from (hf_lowres/cli_index.json): regenerate it after
# changing a recipe's arguments; tests/test_cli_index.py fails while it is stale.
cli-index: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m hf_lowres.cli_index

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python recipes/demo.py --data_dir $(DATA_DIR)

quickstart: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python recipes/quickstart_demo.py

# The NusaX benchmarks (real models from PyPI packages, real data): resumable, prints its time budget first.
# `make bench`: me5-small, the decisive arms of protocol v2 (A, G+D; `BENCH_ARMS` in benchmarks/run_all.py)
# x 3 seeds, plus back-translation; `make bench-full`: both models, every arm. Both write the same result files.
# BENCH_ARGS passes options through, e.g. `make bench BENCH_ARGS="--arms A D --rerun"`.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,demo,bench]"
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/run_all.py --data_dir $(DATA_DIR) $(BENCH_ARGS)

bench-full: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,demo,bench]"
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/run_all.py --data_dir $(DATA_DIR) --full $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
