"""The MLM head warm-up on me5-small: masked-token accuracy on held-out native text per language, before and after.

multilingual-e5-small ships as a plain `BertModel`: under `AutoModelForMaskedLM` its MLM head (transform + output
bias; the output projection is tied to the input embeddings) is new and random, and every language adapter of the
MAD-X recipe trained through it (arm B of `nusax_transfer.py`). `hf_lowres.training.warm_up_lm_head` trains the head
alone on the frozen backbone, once, over text in every language; this script measures what that buys.

Data: NusaParagraph (`../shared/data/nusawrites/`, paragraphs written by native speakers), train split only, split
into sentences, for the 7 languages with >= 1,000 train paragraphs (bew btk jav mad mak min sun). Per language, 60
paragraphs drawn with the seed are held out: their sentences are the evaluation text, never trained on (no
paragraph's sentences are on both sides). No NusaParagraph valid or test paragraph is read.

Model: me5-small (`hf_lowres.pretrained`), its vocabulary trimmed to the tokens of this text (Ushio et al., 2023;
outputs unchanged, checked by `trim_vocabulary`'s users) so the MLM logits fit in memory on CPU: accuracy is over
that vocabulary (~the tokens these 7 languages use), not the 250k of the full one.

Measured: masked-token accuracy and loss (15% of tokens, every one replaced by the mask token, the same seeded masks
before and after) per language; the warm-up's trained parameters, steps and wall time.

    .venv/bin/python benchmarks/mlm_head_warmup.py --data_dir ../shared/data [--steps 300] [--seed 0]

Prints a table and writes ``benchmarks/results/mlm_head_warmup.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import random
import shutil
import tempfile
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import datasets  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

from hf_lowres import LowResForMaskedLM  # noqa: E402
from hf_lowres.data import load_nusa_paragraph, split_sentences  # noqa: E402
from hf_lowres.training import CrossLingualTrainingArguments, masked_token_accuracy, warm_up_lm_head  # noqa: E402
from hf_lowres.vocabulary import trim_vocabulary  # noqa: E402


BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULT_PATH = BENCHMARKS_DIR / "results" / "mlm_head_warmup.json"
LANGUAGES = ["bew", "btk", "jav", "mad", "mak", "min", "sun"]
HELD_OUT_PARAGRAPHS = 60
SETTINGS = {
    "steps": 300,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "warmup_share": 0.06,
    "mlm_probability": 0.15,
    "max_length": 64,
    "eval_batch_size": 32,
}
logger = logging.getLogger("mlm_head_warmup")


def native_text(
    data_dir: str, seed: int, languages: list[str] = LANGUAGES
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per NusaParagraph language, the training sentences and the held-out sentences (those of
    `HELD_OUT_PARAGRAPHS` paragraphs drawn with `seed`; no paragraph is on both sides)."""
    train, held_out = {}, {}
    for lang in languages:
        paragraphs = load_nusa_paragraph(data_dir, lang, "train")
        ids = sorted(paragraphs["id"])
        held = set(random.Random(f"{seed}-{lang}").sample(ids, HELD_OUT_PARAGRAPHS))
        train[lang], held_out[lang] = [], []
        for row in paragraphs:
            (held_out if row["id"] in held else train)[lang].extend(split_sentences(row["text"]))
        overlap = set(train[lang]) & set(held_out[lang])
        # A sentence repeated in two paragraphs would be on both sides: drop it from the training side.
        train[lang] = [s for s in train[lang] if s not in overlap]
    return train, held_out


def trimmed_model(texts: list[str]) -> Path:
    """me5-small with its vocabulary trimmed to `texts`' tokens, cached under benchmarks/cache."""
    import sys

    sys.path.insert(0, str(BENCHMARKS_DIR))
    from real_models import materialize

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    target = BENCHMARKS_DIR / "cache" / "me5-small-nusaparagraph-trimmed"
    marker = target / "trimming.json"
    if marker.is_file() and json.loads(marker.read_text()).get("texts_sha256") == digest:
        return target
    source = materialize("me5-small")
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source)
    trimming = trim_vocabulary(model, tokenizer, texts)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent))
    model.save_pretrained(staging)
    trimming.tokenizer.save_pretrained(staging)
    (staging / "trimming.json").write_text(json.dumps({**trimming.to_dict(), "texts_sha256": digest}, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    staging.replace(target)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(BENCHMARKS_DIR.parent.parent / "shared" / "data"))
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(RESULT_PATH))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    datasets.disable_progress_bars()
    torch.manual_seed(args.seed)
    settings = {**SETTINGS, "steps": args.steps}

    train, held_out = native_text(args.data_dir, args.seed)
    path = trimmed_model([s for texts in (train, held_out) for lang in LANGUAGES for s in texts[lang]])
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = LowResForMaskedLM.from_backbone(path, LANGUAGES)
    score = lambda: masked_token_accuracy(  # noqa: E731
        model, tokenizer, held_out, settings["mlm_probability"], settings["max_length"], settings["eval_batch_size"],
        seed=args.seed,
    )  # fmt: skip
    before = score()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        training_args = CrossLingualTrainingArguments(
            output_dir=tmp, max_steps=settings["steps"], per_device_train_batch_size=settings["batch_size"],
            learning_rate=settings["learning_rate"], seed=args.seed,
            warmup_steps=max(1, round(settings["warmup_share"] * settings["steps"])),
            save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, logging_steps=50,
        )  # fmt: skip
        report = warm_up_lm_head(model, tokenizer, train, training_args, settings["mlm_probability"],
                                 settings["max_length"])  # fmt: skip
    seconds = time.perf_counter() - started
    after = score()

    rows = []
    print("| language | train sentences | held-out sentences | masked tokens | accuracy before | accuracy after | "
          "loss before | loss after |\n|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for lang in LANGUAGES:
        row = {"language": lang, "train_sentences": len(train[lang]), "held_out_sentences": len(held_out[lang]),
               "masked_tokens": after[lang]["masked_tokens"], "accuracy_before": before[lang]["accuracy"],
               "accuracy_after": after[lang]["accuracy"], "loss_before": before[lang]["loss"],
               "loss_after": after[lang]["loss"]}  # fmt: skip
        rows.append(row)
        print(f"| {lang} | {row['train_sentences']:,} | {row['held_out_sentences']:,} | {row['masked_tokens']:,} | "
              f"{100 * row['accuracy_before']:.1f} | {100 * row['accuracy_after']:.1f} | {row['loss_before']:.2f} | "
              f"{row['loss_after']:.2f} |")  # fmt: skip
    mean = {key: sum(r[key] for r in rows) / len(rows) for key in ("accuracy_before", "accuracy_after")}
    print(f"| **mean** | | | | {100 * mean['accuracy_before']:.1f} | {100 * mean['accuracy_after']:.1f} | | |")
    print(f"warm-up: {report['trained_parameters']:,} head parameters, {report['steps']} steps, {seconds:.0f} s")
    trimming = json.loads((path / "trimming.json").read_text())
    result = {
        "benchmark": "mlm_head_warmup",
        "command": f"python benchmarks/mlm_head_warmup.py --steps {args.steps} --seed {args.seed}",
        "model": "me5-small (hf_lowres.pretrained), vocabulary trimmed to this text",
        "vocabulary": {k: trimming[k] for k in ("vocab_size_before", "vocab_size_after") if k in trimming},
        "data": "NusaParagraph train paragraphs split into sentences; 60 paragraphs per language held out (seeded)",
        "settings": settings,
        "seed": args.seed,
        "warmup": {**report, "seconds": seconds},
        "rows": rows,
        "mean": mean,
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },  # fmt: skip
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
