"""The learning curve of MLM language adapters on me5-small (issue 18): arm B of `nusax_transfer.py` at 30, 300 and
3,000 language-adapter steps, on native text, under a warmed-up and shared MLM head.

What changes against `nusax_transfer.py`'s arm B (30 steps on P's 250 sentences per language, a random MLM head
trained along by every language in turn):

- Text: for jav, sun and min (`--languages`), P's NusaX sentences plus NusaParagraph train paragraphs split into
  sentences (written by native speakers; 60 paragraphs per language held out for the MLM scores); English keeps P's
  sentences. Native sentences that occur in L or in any valid or test set of the protocol are dropped (counted), and
  the rest is checked with `find_overlaps` before anything trains (the count is printed and recorded).
- Head: `warm_up_lm_head` trains the new MLM head alone on the frozen backbone over all of that text
  (`--head_warmup_steps`, once), then every language adapter trains with it frozen and shares it.
- Budget: each language adapter trains for each of `--budgets` steps (batch 16, learning rate 2e-3 as in
  `nusax_transfer.py`); masked-token accuracy and loss on the held-out sentences are recorded per language and budget.
- Model: me5-small trimmed to every sentence protocol v2 reads plus the native text (a copy of its own; outputs
  unchanged, checked when it is built), or `--model minilm-en` as it is.

Then arm B's task phase runs unchanged (`nusax_transfer.run_one`: task adapter on L over the English adapter,
zero-shot with each language's own adapter, English-valid selection, `--seeds`), once per budget, in
`benchmarks/results/language_adapter_curve/budget<N>/`; the languages without a curve adapter are scored with no
language adapter. The default budget of arm B is the one with the best English valid accuracy (selection never reads
a test set); the test accuracies of every budget are reported beside it, and arm A of the main run cache
(`nusax_transfer_runs/`) is the reference.

On the chosen budget's adapters, `--chosen_budget_arms` (default E) run too, each beside the same arm without
language adapters from the main run cache (E against D). E routes its auxiliary rows through each row's own
language adapter (`auxiliary_language_adapters`); the languages without a curve adapter pass through English's.

The adapters and the warmed head are kept in `benchmarks/cache/language_adapter_curve/<model>/` (not committed).

    python benchmarks/language_adapter_curve.py --budgets 30 300 3000 --seeds 0 1 2
    python benchmarks/language_adapter_curve.py --model minilm-en --budgets 30 300 --seeds 0 1 2
    python benchmarks/language_adapter_curve.py --budgets 2 --seeds 0 --head_warmup_steps 2 --output_dir /tmp/curve

Prints tables and writes ``benchmarks/results/language_adapter_curve[_<model>].json`` (or under ``--output_dir``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


BENCHMARKS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS_DIR))

import mlm_head_warmup  # noqa: E402
import nusax_transfer as transfer  # noqa: E402


RESULTS_DIR = BENCHMARKS_DIR / "results" / "language_adapter_curve"
ADAPTERS_DIR = BENCHMARKS_DIR / "cache" / "language_adapter_curve"  # the adapters and the warmed head (not committed)
MODEL = "me5-small"  # the default; `--model minilm-en` runs the English-only backbone (no trimming)
SETTINGS = {"head_warmup_steps": 300, "head_warmup_learning_rate": 1e-3, "head_warmup_batch_size": 32}
logger = logging.getLogger("language_adapter_curve")


def adapter_text(data, data_dir: str, languages: list[str], seed: int) -> tuple[dict, dict, dict]:
    """Per language, the MLM text (P, plus native sentences for `languages`), the held-out native sentences, and
    the number of native sentences (trained on or held out) dropped for sharing a sentence with L or a valid/test
    set."""
    from hf_lowres.data.overlap import normalize_sentence

    native, held_out = mlm_head_warmup.native_text(data_dir, seed, languages)
    forbidden = {normalize_sentence(t) for texts in data.references.values() for t in texts} - {""}

    def clean(sentences: list[str]) -> list[str]:
        return [s for s in sentences if normalize_sentence(s) not in forbidden]

    text, dropped = {}, {}
    for lang in [transfer.SOURCE, *languages]:
        kept, held = clean(native.get(lang, [])), clean(held_out.get(lang, []))
        dropped[lang] = len(native.get(lang, [])) + len(held_out.get(lang, [])) - len(kept) - len(held)
        text[lang] = [t for _, t in data.parallel_text[lang]] + kept
        if lang in held_out:
            held_out[lang] = held
    return text, held_out, dropped


def check_overlap(data, text: dict, held_out: dict) -> dict:
    """The protocol's check on the curve's MLM text; the held-out sentences are checked too (never trained on)."""
    from hf_lowres.data.overlap import find_overlaps

    signals = {f"MLM text {lang}": texts for lang, texts in text.items()}
    signals.update({f"held-out native {lang}": texts for lang, texts in held_out.items()})
    report = find_overlaps(signals, data.references)
    print(f"[language_adapter_curve] {report.summary()}", flush=True)
    report.raise_if_any("the language-adapter curve's text")
    shared = set(text) & set(held_out)
    for lang in shared:
        if set(text[lang]) & set(held_out[lang]):
            raise RuntimeError(f"{lang}: a held-out sentence is also MLM text.")
    return report.to_dict()


def trimmed_model(data_dir: str, extra: list[str], model: str = MODEL) -> Path:
    """me5-small trimmed to protocol v2's text plus `extra`, in a cache folder of its own (the main copy stays); a
    model `nusax_transfer` does not trim is used as it is."""
    from real_models import materialize

    if model not in transfer.TRIMMED_MODELS:
        return Path(materialize(model))
    texts = tuple(transfer.benchmark_texts(data_dir)) + tuple(extra)
    target = transfer.trimmed_model_dir(model).with_name(f"{model}-nusax-v2-native-trimmed")
    summary = target / "trimming.json"
    if not summary.is_file() or json.loads(summary.read_text()).get("texts_sha256") != transfer.text_digest(texts):
        transfer.trim_to_benchmark_text(materialize(model), target, texts)
    return target


def warm_head(model, tokenizer, text: dict, warmup_steps: int, cache: Path) -> dict:
    """Warms the MLM head up once per `warmup_steps` (safetensors under `cache`, shared by every budget) and loads
    it into `model`; returns the warm-up's report."""
    from safetensors.torch import load_file, save_file

    from hf_lowres.adapters.trained_modules import lm_head_parameters
    from hf_lowres.training import CrossLingualTrainingArguments, warm_up_lm_head

    weights, report_file = cache / "lm_head.safetensors", cache / "warmup.json"
    head = lm_head_parameters(model)
    if weights.is_file() and report_file.is_file():
        state = load_file(weights)
        if set(state) != set(head):
            raise RuntimeError(f"{weights}: holds {sorted(state)}, expected the head parameters {sorted(head)}.")
        for name, parameter in head.items():
            parameter.data.copy_(state[name])
        return json.loads(report_file.read_text())
    s = transfer.SETTINGS
    with tempfile.TemporaryDirectory() as tmp:
        args = CrossLingualTrainingArguments(
            output_dir=tmp, max_steps=warmup_steps, per_device_train_batch_size=SETTINGS["head_warmup_batch_size"],
            learning_rate=SETTINGS["head_warmup_learning_rate"], save_strategy="no", report_to="none", use_cpu=True,
            seed=s["language_adapter_seed"], disable_tqdm=True, logging_steps=max(1, warmup_steps),
        )  # fmt: skip
        report = warm_up_lm_head(model, tokenizer, text, args, s["mlm_probability"], s["max_length"])
    cache.mkdir(parents=True, exist_ok=True)
    save_file({name: p.detach().contiguous() for name, p in head.items()}, weights)
    report_file.write_text(json.dumps(report, indent=1))
    return report


def train_adapters(
    path: Path, text: dict, held_out: dict, budget: int, warmup_steps: int, target: Path, head_cache: Path
) -> dict:
    """The warmed head, then one language adapter per language for `budget` steps under it; held-out scores."""
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling, set_seed

    from hf_lowres import LowResForMaskedLM
    from hf_lowres.adapters import AdapterManager
    from hf_lowres.training import (
        CrossLingualTrainer,
        CrossLingualTrainingArguments,
        masked_token_accuracy,
        tokenize_text,
    )

    record_file = target / "curve.json"
    if record_file.is_file():
        return json.loads(record_file.read_text())
    s = transfer.SETTINGS
    set_seed(s["language_adapter_seed"])
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = LowResForMaskedLM.from_backbone(path, transfer.LANGUAGES)
    score = lambda: masked_token_accuracy(model, tokenizer, held_out, s["mlm_probability"], s["max_length"])  # noqa: E731
    started = time.time()
    record = {"budget": budget, "head_warmup_steps": warmup_steps, "held_out_before_warmup": score()}
    if warmup_steps:
        record["head_warmup"] = warm_head(model, tokenizer, text, warmup_steps, head_cache)
    record["held_out_after_warmup"] = score()
    with tempfile.TemporaryDirectory() as tmp:
        manager = AdapterManager(model)
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=s["mlm_probability"])
        record["adapters"] = {}
        for lang, texts in text.items():
            manager.add_language_adapter(lang, r=s["lora_r"], lora_alpha=s["lora_alpha"])
            manager.prepare_language_training(lang, train_lm_head=not warmup_steps, train_discriminator=False)
            rows = tokenize_text(Dataset.from_dict({"text": texts}), tokenizer, s["max_length"], language=lang)
            args = CrossLingualTrainingArguments(
                output_dir=os.path.join(tmp, lang), max_steps=budget,
                per_device_train_batch_size=s["language_batch_size"], learning_rate=s["language_learning_rate"],
                save_strategy="no", report_to="none", use_cpu=True, seed=s["language_adapter_seed"],
                logging_steps=max(1, budget // 10), disable_tqdm=True,
            )  # fmt: skip
            t0 = time.time()
            output = CrossLingualTrainer(manager.peft_model, args, data_collator=collator, train_dataset=rows,
                                         processing_class=tokenizer).train()  # fmt: skip
            entry = {"sentences": len(texts), "train_loss": output.training_loss, "seconds": time.time() - t0}
            if lang in held_out:
                with manager.using(language=lang):
                    entry["held_out"] = masked_token_accuracy(
                        manager.peft_model, tokenizer, {lang: held_out[lang]}, s["mlm_probability"], s["max_length"]
                    )[lang]
            record["adapters"][lang] = entry
            logger.info("adapter %s, %d steps: %s", lang, budget, entry)
    manager.save(target)
    record["seconds"] = time.time() - started
    record_file.write_text(json.dumps(record, indent=1))
    return record


def budget_runs(
    budget: int,
    adapters: Path,
    path: Path,
    seeds: list[int],
    data_dir: str,
    root: Path,
    arm: str = "B",
    model: str = MODEL,
) -> list[dict]:
    """`arm`'s task phase over this budget's adapters, one run per seed (cached by `nusax_transfer`)."""
    transfer.use_results_dir(root / f"budget{budget}")
    return [transfer.run_one(model, arm, seed, data_dir, adapters_dir=str(adapters), model_path=str(path))
            for seed in seeds]  # fmt: skip


# Each arm run on the curve's adapters and the arm of the main run cache it is compared with (the same arm without
# language adapters): the goal of issue 18 is B >= A and E >= D.
REFERENCE_ARMS = {"B": "A", "E": "D"}


def reference_runs(arm: str, seeds: list[int], model: str = MODEL) -> list[dict]:
    """`arm`'s runs of `seeds` from the main cache of `nusax_transfer.py` (empty if it has none)."""
    runs = [
        json.loads(p.read_text())
        for p in sorted((transfer.DEFAULT_RESULTS_DIR / "nusax_transfer_runs").glob(f"{model}__{arm}__seed*.json"))
    ]
    return [run for run in runs if run["seed"] in seeds]  # fmt: skip


def summarize(runs: list[dict], languages: list[str]) -> dict:
    selected = [transfer.select(run) for run in runs]
    english = [s["eng_valid"] for s in selected]
    per_language = {lang: [s["test"][lang]["accuracy"] for s in selected] for lang in languages}
    mean = statistics.fmean
    return {
        "seeds": [run["seed"] for run in runs],
        "english_valid": (mean(english), statistics.stdev(english) if len(english) > 1 else 0.0),
        "test": {lang: (mean(v), statistics.stdev(v) if len(v) > 1 else 0.0) for lang, v in per_language.items()},
        "test_mean": mean(mean(v) for v in per_language.values()),
        # Languages without a curve adapter are scored with none: the mean over all targets shows what that costs.
        "test_mean_all_targets": mean(mean(s["test"][t]["accuracy"] for s in selected) for t in transfer.TARGETS),
    }


def chosen_budget(rows: list[dict]) -> int:
    """The budget whose arm B has the best mean English valid accuracy: selection never reads a test set."""
    return max(rows, key=lambda row: row["B"]["english_valid"][0])["budget"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(transfer.DEFAULT_DATA_DIR))
    parser.add_argument("--languages", nargs="+", default=["jav", "sun", "min"])
    parser.add_argument("--budgets", nargs="+", type=int, default=[30, 300, 3000])
    parser.add_argument("--seeds", nargs="+", type=int, default=transfer.SEEDS)
    parser.add_argument("--head_warmup_steps", type=int, default=SETTINGS["head_warmup_steps"])
    parser.add_argument(
        "--chosen_budget_arms",
        nargs="*",
        default=["E"],
        choices=sorted(REFERENCE_ARMS),
        help="arms also run on the chosen budget's adapters, beside the arm without them",
    )
    parser.add_argument("--model", default=MODEL, choices=["me5-small", "minilm-en"])
    parser.add_argument("--output_dir", default=None, help="default: results/language_adapter_curve[_<model>]")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    default_root = RESULTS_DIR if args.model == MODEL else RESULTS_DIR.with_name(f"{RESULTS_DIR.name}_{args.model}")
    root = Path(args.output_dir) if args.output_dir else default_root
    data = transfer.protocol_data(args.data_dir)
    text, held_out, dropped = adapter_text(data, args.data_dir, args.languages, seed=0)
    overlap = check_overlap(data, text, held_out)
    path = trimmed_model(
        args.data_dir, [t for texts in (*text.values(), *held_out.values()) for t in texts], args.model
    )
    adapters_root = ADAPTERS_DIR / args.model if root == default_root else root / "adapters"
    rows = []
    for budget in args.budgets:
        adapters = adapters_root / f"budget{budget}-warmup{args.head_warmup_steps}"
        head_cache = adapters_root / f"head-warmup{args.head_warmup_steps}"
        curve = train_adapters(path, text, held_out, budget, args.head_warmup_steps, adapters, head_cache)
        runs = budget_runs(budget, adapters, path, args.seeds, args.data_dir, root, model=args.model)
        rows.append({"budget": budget, "adapters": curve, "B": summarize(runs, args.languages)})
    baseline_runs = reference_runs("A", args.seeds, args.model)
    baseline = summarize(baseline_runs, args.languages) if baseline_runs else None
    chosen = chosen_budget(rows)
    chosen_adapters = adapters_root / f"budget{chosen}-warmup{args.head_warmup_steps}"
    arms = {"B": {"runs": rows[[r["budget"] for r in rows].index(chosen)]["B"], "reference": "A",
                  "reference_runs": baseline}}  # fmt: skip
    for arm in args.chosen_budget_arms:
        runs = budget_runs(chosen, chosen_adapters, path, args.seeds, args.data_dir, root, arm, args.model)
        reference = reference_runs(REFERENCE_ARMS[arm], args.seeds, args.model)
        arms[arm] = {"runs": summarize(runs, args.languages), "reference": REFERENCE_ARMS[arm],
                     "reference_runs": summarize(reference, args.languages) if reference else None}  # fmt: skip

    print("| budget | held-out masked-token acc. (" + ", ".join(args.languages) + ") | English valid | "
          + " | ".join(args.languages) + " | mean |")  # fmt: skip
    print("|---:|---|---:|" + "---:|" * (len(args.languages) + 1))
    for row in rows:
        held = ", ".join(
            f"{100 * row['adapters']['adapters'][lang]['held_out']['accuracy']:.1f}" for lang in args.languages
        )
        b = row["B"]
        cells = " | ".join(
            f"{100 * b['test'][lang][0]:.1f} ± {100 * b['test'][lang][1]:.1f}" for lang in args.languages
        )
        mark = " (chosen on English valid)" if row["budget"] == chosen else ""
        english = 100 * b["english_valid"][0]
        print(f"| {row['budget']}{mark} | {held} | {english:.1f} | {cells} | {100 * b['test_mean']:.1f} |")
    if baseline:
        cells = " | ".join(f"{100 * baseline['test'][lang][0]:.1f}" for lang in args.languages)
        print(f"| A (no language adapter) | | {100 * baseline['english_valid'][0]:.1f} | {cells} | "
              f"{100 * baseline['test_mean']:.1f} |")  # fmt: skip
    print(
        f"\nAt the chosen budget ({chosen} steps), against the same arm without language adapters "
        f"(mean ± std over seeds {args.seeds}):\n"
    )
    print("| arm | English valid | " + " | ".join(args.languages) + " | mean | mean, 11 targets |")
    print("|---|---:|" + "---:|" * (len(args.languages) + 2))
    for arm, entry in arms.items():
        for name, summary in ((arm, entry["runs"]), (entry["reference"], entry["reference_runs"])):
            if summary is None:
                continue
            cells = " | ".join(f"{100 * summary['test'][lang][0]:.1f} ± {100 * summary['test'][lang][1]:.1f}"
                               for lang in args.languages)  # fmt: skip
            print(f"| {name} | {100 * summary['english_valid'][0]:.1f} | {cells} | {100 * summary['test_mean']:.1f} "
                  f"| {100 * summary['test_mean_all_targets']:.1f} |")  # fmt: skip
    result = {
        "benchmark": "language_adapter_curve",
        "command": "python benchmarks/language_adapter_curve.py " + " ".join(argv or sys.argv[1:]),
        "model": args.model,
        "languages": args.languages,
        "settings": {**SETTINGS, "head_warmup_steps": args.head_warmup_steps, "nusax_transfer": transfer.SETTINGS},
        "native_sentences_dropped": dropped,
        "overlap": overlap,
        "rows": rows,
        "baseline_A": baseline,
        "chosen_budget_on_english_valid": chosen,
        "arms_at_chosen_budget": arms,
        "hardware": transfer.hardware(),
    }
    out = root.parent / f"{root.name}.json" if root == default_root else root / "language_adapter_curve.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
