"""A translation model from what is here (issue 17, part 1): Indonesian <-> Javanese on NusaTranslation with the
`train_translation` recipe on a BERT2BERT warm start from me5-small, beside the copy baseline.

Setup, fixed before any test set is scored (selection reads the valid split only):

- Model: me5-small, its vocabulary trimmed to this benchmark's text (outputs unchanged, checked), warm-started as
  an `EncoderDecoderModel` (Rothe et al., TACL 2020; `hf_lowres.models.warm_start_encoder_decoder`): the 12-layer
  encoder, a decoder from its first `decoder_layers` layers with new cross-attention and a new LM-head transform.
- Training: `train_translation` (LoRA r=16 on every linear layer, the new modules trained in full), `epochs` epochs
  on the first `real_pairs` NusaTranslation train pairs, greedy decoding.
- Data: NusaTranslation train pairs that share a sentence (either side, normalized exact match) with a valid or test
  set of this benchmark are dropped before training and counted; the rest is checked again (`find_overlaps`) and
  the count printed.
- Scores: sacrebleu BLEU and chrF (hf_lowres' shipped metrics) on NusaTranslation valid (849) and test (2,000) and,
  for ind -> jav, NusaX-MT ind -> jav test (400, another domain); the copy baseline (output = input; Indonesian and
  Javanese share many words) beside each.

One JSON per direction, N and seed in `benchmarks/results/nusa_translation_runs/` (a rerun skips it); `--report`
aggregates them into `benchmarks/results/nusa_translation.{json,md}`.

    python benchmarks/nusa_translation.py --directions ind-jav --real_pairs 6400 --seeds 0
    python benchmarks/nusa_translation.py --smoke        # the pipeline on a few rows, scratch folder
"""

from __future__ import annotations

import os


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


BENCHMARKS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS_DIR))

import nusax_transfer as transfer  # noqa: E402  (light at import: paths, settings, the trimming helper)
from nusax_backtranslation import scores  # noqa: E402  (BLEU and chrF through the shipped metrics)


RESULTS_DIR = BENCHMARKS_DIR / "results"
RUNS_DIR = RESULTS_DIR / "nusa_translation_runs"
# Each run's trained adapter is kept here (not committed): the back-translation benchmark translates with them.
ADAPTERS_DIR = BENCHMARKS_DIR / "cache" / "nusa_translation_adapters"
SETTINGS = {
    "backbone": "me5-small",
    "decoder_layers": 4,
    "max_length": 128,  # 20% of NusaTranslation's Javanese sentences are longer than 64 tokens, 0.2% than 128
    "epochs": 3,
    "batch_size": 16,
    "learning_rate": 5e-4,
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_target_modules": ["query", "key", "value", "dense"],
    "num_beams": 1,
    "max_new_tokens": 128,
    # Batches of similar length (the Trainer's length-grouped sampler): less padding, the same rows per epoch.
    "train_sampling_strategy": "group_by_length",
}
SMOKE_ROWS = 16
# "All" the real pairs, the same N in every language: NusaTranslation has 6,600 train pairs per language, of which
# 6,506 (jav), 6,496 (sun) and 6,504 (min) remain once those sharing a sentence with a valid or test set are dropped.
FULL_REAL_PAIRS = 6400
logger = logging.getLogger("nusa_translation")


def direction_data(data_dir: str, direction: str, real_pairs: int, smoke: bool = False) -> dict:
    """The training pairs (the first `real_pairs` kept), the evaluation sets, and what was dropped and why."""
    from hf_lowres.data import load_nusax_mt
    from hf_lowres.data.nusawrites import load_nusa_translation
    from hf_lowres.data.overlap import find_overlaps, normalize_sentence

    source, target = direction.split("-")
    language = target if source == "ind" else source
    reverse = source != "ind"

    def split(name, **kwargs):
        return load_nusa_translation(data_dir, language, name, reverse=reverse, **kwargs)

    whole = {"drop_duplicates": False, "drop_empty": False}  # every reference row is scored
    evaluation = {
        "NusaTranslation valid": split("validation", **whole),
        "NusaTranslation test": split("test", **whole),
    }
    if {source, target} == {"ind", "jav"}:
        evaluation["NusaX-MT test"] = load_nusax_mt(data_dir, source, target, split="test", **whole)
    references = {f"{name} {side}": list(rows[column]) for name, rows in evaluation.items()
                  for side, column in (("source", "source_text"), ("target", "target_text"))}  # fmt: skip
    forbidden = {normalize_sentence(t) for texts in references.values() for t in texts} - {""}
    train = split("train")
    clean = train.filter(
        lambda row: (
            normalize_sentence(row["source_text"]) not in forbidden
            and normalize_sentence(row["target_text"]) not in forbidden
        )
    )
    dropped = len(train) - len(clean)
    if real_pairs > len(clean):
        raise ValueError(f"--real_pairs {real_pairs}: {direction} has {len(clean)} train pairs once {dropped} "
                         "shared with a valid or test set are dropped.")  # fmt: skip
    # The target side of the train rows not used as real pairs: back-translation's monolingual text at small N.
    other_targets = list(clean.select(range(real_pairs, len(clean)))["target_text"])
    clean = clean.select(range(real_pairs))
    if smoke:
        clean = clean.select(range(SMOKE_ROWS))
        evaluation = {name: rows.select(range(SMOKE_ROWS // 2)) for name, rows in evaluation.items()}
        other_targets = other_targets[:SMOKE_ROWS]
    report = find_overlaps({"train source": clean["source_text"], "train target": clean["target_text"]}, references)
    print(f"[nusa_translation {direction}] {report.summary()}", flush=True)
    report.raise_if_any(f"{direction} training pairs")
    # Sorted and deduplicated: both directions of a language read the same text, so they share one trimmed model.
    texts = {t for rows in (train, *evaluation.values()) for c in ("source_text", "target_text") for t in rows[c]}
    texts = sorted(texts | set(native_sentences(data_dir, language)))
    return {"train": clean, "evaluation": evaluation, "dropped_shared": dropped, "overlap": report.to_dict(),
            "other_targets": other_targets, "forbidden": forbidden,
            "texts": texts}  # fmt: skip


def native_sentences(data_dir: str, language: str) -> list[str]:
    """NusaParagraph's train paragraphs in `language`, split into sentences (none if it has no such file):
    back-translation's monolingual text at full N, and part of the text the vocabulary is trimmed to."""
    from hf_lowres.data import load_nusa_paragraph, split_sentences

    if not (Path(data_dir) / "nusawrites" / f"nusa_alinea-topic-{language}-train.csv").is_file():
        return []
    return [s for text in load_nusa_paragraph(data_dir, language, "train")["text"] for s in split_sentences(text)]


def warm_started_model(texts: list[str], language: str) -> Path:
    """me5-small trimmed to `texts`, warm-started as BERT2BERT; cached by the digest of the texts."""
    from real_models import materialize, resolve_cache_dir

    from hf_lowres.models import warm_start_encoder_decoder

    digest = transfer.text_digest(texts)
    trimmed = resolve_cache_dir() / f"{SETTINGS['backbone']}-nusatranslation-{language}-trimmed"
    summary = trimmed / "trimming.json"
    if not summary.is_file() or json.loads(summary.read_text()).get("texts_sha256") != digest:
        transfer.trim_to_benchmark_text(materialize(SETTINGS["backbone"]), trimmed, tuple(texts))
    warm = trimmed.with_name(f"{trimmed.name}-bert2bert-d{SETTINGS['decoder_layers']}")
    marker = warm / "warm_start.json"
    if not marker.is_file() or json.loads(marker.read_text()).get("texts_sha256") != digest:
        report = warm_start_encoder_decoder(trimmed, warm, decoder_layers=SETTINGS["decoder_layers"])
        marker.write_text(json.dumps({**report, "texts_sha256": digest}, indent=1) + "\n")
    return warm


def run_name(direction: str, real_pairs: int, seed: int, system: str = "real") -> str:
    """``ind-jav__n1000__e3__seed0`` (real pairs only) or ``ind-jav__n1000__e3__bt_tagged__seed0``."""
    middle = "" if system == "real" else f"__{system}"
    return f"{direction}__n{real_pairs}__e{SETTINGS['epochs']}{middle}__seed{seed}"


def run_folder(name: str, smoke: bool = False) -> Path:
    """Where the run `name` trains and keeps its adapter (`<folder>/adapters`)."""
    return (RESULTS_DIR / "adapters" if smoke else ADAPTERS_DIR) / name


def load_trained_system(
    direction: str,
    real_pairs: int,
    seed: int,
    data_dir: str,
    system: str = "real",
    smoke: bool = False,
    texts: list[str] | None = None,
):
    """The system `run_one` trained for (`direction`, `real_pairs`, `seed`, `system`): its adapter on the warm-started
    model, activated and in eval mode, as an `AdapterManager`, and the model's tokenizer. `texts` (`direction_data`'s,
    the same for both directions of a language) names the warm-started model; read again when not given.

    Raises:
        FileNotFoundError: that run has no kept adapter (it has not run here; `run_one` trains it).
    """
    from transformers import AutoTokenizer

    from hf_lowres import LowResForSeq2SeqLM
    from hf_lowres.adapters import AdapterManager

    adapters = run_folder(run_name(direction, real_pairs, seed, system), smoke) / "adapters"
    if not adapters.is_dir():
        raise FileNotFoundError(f"{adapters}: no trained adapter for {direction} N={real_pairs} seed {seed} "
                                f"({system}); run nusa_translation.py (run_one) first.")  # fmt: skip
    source, target = direction.split("-")
    language = target if source == "ind" else source
    if texts is None:
        texts = direction_data(data_dir, direction, real_pairs, smoke)["texts"]
    path = warm_started_model(texts, language)
    manager = AdapterManager.from_pretrained(
        str(adapters), model=LowResForSeq2SeqLM.from_backbone(str(path), [source, target])
    )
    manager.activate(task="translation")
    manager.model.eval()
    return manager, AutoTokenizer.from_pretrained(path)


def run_one(
    direction: str,
    real_pairs: int,
    seed: int,
    data_dir: str,
    smoke: bool = False,
    system: str = "real",
    synthetic_corpus: str | None = None,
    tag_synthetic: bool = False,
) -> dict:
    """Trains one direction on `real_pairs` pairs with `seed`, scores it and the copy baseline; cached.

    With `synthetic_corpus` (a saved corpus of back-translated pairs, `system` naming it) every synthetic pair is
    mixed in once, `<BT>`-tagged with `tag_synthetic`. The trained adapter stays in `ADAPTERS_DIR/<run name>`.
    """
    name = run_name(direction, real_pairs, seed, system)
    out = RUNS_DIR / f"{name}.json"
    if out.is_file():
        return json.loads(out.read_text())
    import torch
    from datasets import load_from_disk

    import hf_lowres.recipes.train_translation as recipe
    from hf_lowres.training import CrossLingualTrainingArguments

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    started = time.time()
    source, target = direction.split("-")
    data = direction_data(data_dir, direction, real_pairs, smoke)
    path = warm_started_model(data["texts"], target if source == "ind" else source)
    s = SETTINGS
    synthetic_pairs = len(load_from_disk(synthetic_corpus)) if synthetic_corpus else 0
    run_dir = run_folder(name, smoke)
    with tempfile.TemporaryDirectory() as tmp:
        data["train"].save_to_disk(os.path.join(tmp, "train"))
        data["evaluation"]["NusaTranslation valid"].save_to_disk(os.path.join(tmp, "valid"))
        script_args = recipe.TrainTranslationArguments(
            model_name_or_path=str(path), source_lang=source, target_lang=target,
            train_file=os.path.join(tmp, "train"), test_file=os.path.join(tmp, "valid"), max_length=s["max_length"],
            num_beams=s["num_beams"], max_new_tokens=s["max_new_tokens"], lora_r=s["lora_r"],
            lora_alpha=s["lora_alpha"], lora_target_modules=s["lora_target_modules"],
            synthetic_corpus=synthetic_corpus, synthetic_ratio=synthetic_pairs / len(data["train"]),
            tag_synthetic=tag_synthetic,
        )  # fmt: skip
        training_args = CrossLingualTrainingArguments(
            output_dir=str(run_dir), num_train_epochs=1 if smoke else s["epochs"],
            max_steps=2 if smoke else -1, per_device_train_batch_size=s["batch_size"],
            learning_rate=s["learning_rate"], warmup_steps=0.1, save_strategy="no", report_to="none",
            use_cpu=True, seed=seed, disable_tqdm=True, logging_steps=50,
            train_sampling_strategy=s["train_sampling_strategy"],
        )  # fmt: skip
        t0 = time.time()
        valid = recipe.main(script_args, training_args)[direction]  # the recipe scores its --test_file: valid
        train_seconds = time.time() - t0

        manager, tokenizer = load_trained_system(direction, real_pairs, seed, data_dir, system, smoke, data["texts"])
        valid_rows = data["evaluation"]["NusaTranslation valid"]
        results = {"NusaTranslation valid": {
            "pairs": len(valid_rows), "model": {"bleu": float(valid["bleu"]), "chrf": float(valid["chrf"])},
            "copy": scores(list(valid_rows["source_text"]), list(valid_rows["target_text"])),
        }}  # fmt: skip
        examples = {}
        t0 = time.time()
        for name, rows in data["evaluation"].items():
            if name == "NusaTranslation valid":
                continue
            hypotheses = recipe.translate(manager, tokenizer, list(rows["source_text"]), script_args)
            results[name] = {
                "pairs": len(rows),
                "model": scores(hypotheses, list(rows["target_text"])),
                "copy": scores(list(rows["source_text"]), list(rows["target_text"])),
            }
            first = zip(rows["source_text"][:5], hypotheses[:5], rows["target_text"][:5])
            examples[name] = [{"source": a, "hypothesis": h, "reference": r} for a, h, r in first]
            logger.info("%s %s: %s", direction, name, results[name])
    result = {
        "direction": direction,
        "real_pairs": real_pairs,
        "seed": seed,
        "system": system,
        "settings": SETTINGS,
        "train_pairs": len(data["train"]),
        "synthetic_pairs": synthetic_pairs,
        "tag_synthetic": tag_synthetic,
        "dropped_shared_with_valid_or_test": data["dropped_shared"],
        "overlap": data["overlap"],
        "scores": results,
        "examples": examples,
        "seconds": {"total": time.time() - started, "training_and_valid": train_seconds, "test": time.time() - t0},
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "hardware": transfer.hardware(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(result, indent=1) + "\n")
    partial.replace(out)
    return result


def report(command: str | None = None) -> dict:
    """Mean ± std over seeds per (direction, N) and evaluation set, model beside copy, as Markdown and JSON."""
    runs = [json.loads(p.read_text()) for p in sorted(RUNS_DIR.glob("*.json"))]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        key = (run["direction"], run["real_pairs"], run["settings"]["epochs"], run.get("system", "real"))
        groups.setdefault(key, []).append(run)
    lines = [
        "# NusaTranslation: a BERT2BERT warm start from me5-small with `train_translation`",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`{command or 'python benchmarks/nusa_translation.py --report'}`. sacrebleu BLEU / chrF, greedy decoding, "
        "mean ± sample std over seeds; copy = the source sentence as the translation. Settings: "
        + ", ".join(f"{k}={v}" for k, v in SETTINGS.items()),
        "",
        "| direction | real pairs | system | epochs | seeds | set | BLEU | chrF | copy BLEU | copy chrF | train min |",
        "|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    summary = {"settings": SETTINGS, "command": command, "systems": []}

    def stat(values):
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0

    for (direction, n, epochs, system), group in sorted(groups.items()):
        for name in group[0]["scores"]:
            model = {m: stat([r["scores"][name]["model"][m] for r in group]) for m in ("bleu", "chrf")}
            copy = group[0]["scores"][name]["copy"]
            minutes = statistics.fmean(r["seconds"]["training_and_valid"] for r in group) / 60
            seeds = ",".join(str(r["seed"]) for r in group)
            lines.append(
                f"| {direction} | {n} | {system} | {epochs} | {seeds} | {name} | "
                f"{model['bleu'][0]:.2f} ± {model['bleu'][1]:.2f} | "
                f"{model['chrf'][0]:.2f} ± {model['chrf'][1]:.2f} | {copy['bleu']:.2f} | {copy['chrf']:.2f} | "
                f"{minutes:.0f} |"
            )
            summary["systems"].append(
                {"direction": direction, "real_pairs": n, "system": system, "epochs": epochs,
                 "seeds": [r["seed"] for r in group],
                 "set": name, "bleu": model["bleu"], "chrf": model["chrf"], "copy": copy}
            )  # fmt: skip
    if runs:
        ex = runs[0]
        lines += ["", f"Examples ({ex['direction']}, N={ex['real_pairs']}, seed {ex['seed']}):", ""]
        for e in ex["examples"]["NusaTranslation test"][:3]:
            lines.append(f"- src: {e['source']}\n  - hyp: {e['hypothesis']}\n  - ref: {e['reference']}")
        lines += ["", "Train pairs dropped for sharing a sentence with a valid or test set: " + "; ".join(
            f"{r['direction']} {r['dropped_shared_with_valid_or_test']}" for r in runs[:1])]  # fmt: skip
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "nusa_translation.json").write_text(json.dumps(summary, indent=1) + "\n")
    (RESULTS_DIR / "nusa_translation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return summary


def main(argv=None) -> None:
    global RESULTS_DIR, RUNS_DIR
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(transfer.DEFAULT_DATA_DIR))
    parser.add_argument("--directions", nargs="+", default=["ind-jav"])
    parser.add_argument("--real_pairs", nargs="+", type=int, default=[FULL_REAL_PAIRS])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"], help="training epochs (in the run's name)")
    parser.add_argument("--report", action="store_true", help="only aggregate the run files")
    parser.add_argument("--command", default=None)
    parser.add_argument("--smoke", action="store_true", help="the pipeline on a few rows, into a scratch folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stdout)
    for name in ("transformers", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    SETTINGS["epochs"] = args.epochs
    if args.smoke:
        RESULTS_DIR = Path(tempfile.mkdtemp(prefix="nusa_translation_smoke_"))
        RUNS_DIR = RESULTS_DIR / "runs"
    if not args.report:
        for direction in args.directions:
            for n in args.real_pairs:
                for seed in args.seeds:
                    run_one(direction, n, seed, args.data_dir, smoke=args.smoke)
                    report(args.command)
    report(args.command)


if __name__ == "__main__":
    main()
