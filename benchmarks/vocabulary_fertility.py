"""Fertility before and after vocabulary expansion on NusaX, with both real models; vocabulary trimming sizes.

For each model (``minilm-en``: English WordPiece; ``me5-small``: XLM-R SentencePiece-Unigram 250k), a target tokenizer
of the base's type is trained per language on NusaX-Senti *train* text (the 10 local languages + Indonesian) and up to
``--per-language`` new tokens per language are added to the subword model (`hf_lowres.vocabulary.expand_vocabulary`).
Fertility (tokens per whitespace word) is measured per language on the *test* split (held out from token selection)
and on the train split, before and after; the share of tokens saved is the share of encoder positions saved.

It then trims ``me5-small`` to the tokens NusaX train text uses (12 languages) and reports the sizes saved and how
much of the test text stays inside the kept vocabulary (Ushio et al., 2023).

Usage::

    python benchmarks/vocabulary_fertility.py                     # 1000 new tokens per language
    python benchmarks/vocabulary_fertility.py --per-language 500

Writes ``benchmarks/results/vocabulary_fertility.json`` and ``.md``. The accuracy effect (arm F) belongs to the
classification benchmark.
"""

from __future__ import annotations

import os


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from real_models import DATA_DIR, materialize  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

from hf_lowres.data.nusax import load_nusax_sentiment  # noqa: E402
from hf_lowres.vocabulary import expand_vocabulary, fertility_report, trim_vocabulary, used_token_ids  # noqa: E402


RESULTS_DIR = Path(__file__).resolve().parent / "results"
LANGUAGES = ["ace", "ban", "bbc", "bjn", "bug", "jav", "mad", "min", "nij", "sun", "ind"]
MODELS = ["minilm-en", "me5-small"]


def load_texts(languages, split):
    return {lang: list(load_nusax_sentiment(DATA_DIR / "nusax", lang, split=split)["text"]) for lang in languages}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-language", type=int, default=1000, help="new tokens per language (budget)")
    parser.add_argument("--target-vocab-size", type=int, default=8000, help="size of each target tokenizer")
    parser.add_argument("--min-count", type=int, default=2, help="minimum occurrences of a new token")
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "vocabulary_fertility.json")
    args = parser.parse_args(argv)

    train, test = load_texts(LANGUAGES, "train"), load_texts(LANGUAGES, "test")
    results = {
        "data": "NusaX-Senti train (token selection) / test (held-out fertility)",
        "languages": LANGUAGES,
        "per_language_budget": args.per_language,
        "target_vocab_size": args.target_vocab_size,
        "min_count": args.min_count,
        "models": {},
    }
    markdown = [
        "# Vocabulary expansion: fertility on NusaX",
        "",
        f"Per-language target tokenizers (size {args.target_vocab_size}) trained on NusaX-Senti train; up to "
        f"{args.per_language} new tokens per language (min count {args.min_count}), mean initialization. "
        "Fertility = tokens per whitespace word; tokens saved = inference steps saved.",
    ]
    for name in args.models:
        tokenizer = AutoTokenizer.from_pretrained(materialize(name))
        start = time.perf_counter()
        expansion = expand_vocabulary(
            None,
            tokenizer,
            train,
            num_new_tokens=args.per_language,
            target_vocab_size=args.target_vocab_size,
            min_count=args.min_count,
        )
        seconds = time.perf_counter() - start
        reports = {
            split: fertility_report(tokenizer, expansion.tokenizer, texts, name=f"{name} ({split})")
            for split, texts in (("test", test), ("train", train))
        }
        rows = model_rows(materialize(name))
        hidden = rows[1]
        results["models"][name] = {
            "tokenizer_model": type(tokenizer.backend_tokenizer.model).__name__,
            "vocab_size_before": expansion.vocab_size_before,
            "vocab_size_after": expansion.vocab_size_after,
            "embedding_rows_before": rows[0],
            "new_embedding_parameters": max(0, expansion.vocab_size_after - rows[0]) * hidden,
            "new_tokens_per_language": expansion.languages,
            "expansion_seconds": round(seconds, 1),
            "fertility": {split: report.to_dict() for split, report in reports.items()},
            "example_new_tokens": {
                lang: [t.token for t in expansion.new_tokens if t.extra.get("language") == lang][:10]
                for lang in LANGUAGES
            },
        }
        for split, report in reports.items():
            title = f"## {name} ({results['models'][name]['tokenizer_model']}), NusaX {split}"
            if split == "test":
                title += f": {expansion.vocab_size_before} -> {expansion.vocab_size_after} tokens"
            markdown += ["", title, "", report.to_markdown()]
            print(f"\n{title}\n\n{report.to_markdown()}")

    if "me5-small" in args.models:
        trimming = trim_me5(train, test)
        results["trimming"] = trimming
        lines = [
            "",
            "## Vocabulary trimming of me5-small to NusaX train text (12 languages)",
            "",
            "| vocab before | vocab after | parameters before | parameters after | MB saved (fp32) "
            "| test tokens inside |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {trimming['vocab_size_before']} | {trimming['vocab_size_after']} | {trimming['parameters_before']} | "
            f"{trimming['parameters_after']} | {trimming['megabytes_saved']} | "
            f"{trimming['test_token_coverage_percent']}% |",
        ]
        markdown += lines
        print("\n".join(lines))

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    args.output.with_suffix(".md").write_text("\n".join(markdown) + "\n")
    print(f"\nwrote {args.output} and {args.output.with_suffix('.md')}")
    return 0


def model_rows(path) -> tuple[int, int]:
    config = json.loads((Path(path) / "config.json").read_text())
    return config["vocab_size"], config["hidden_size"]


def trim_me5(train, test) -> dict:
    """Trims me5-small to the tokens of NusaX train text (the 12 languages, English included)."""
    path = materialize("me5-small")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path)
    texts = [t for texts in train.values() for t in texts]
    texts += list(load_nusax_sentiment(DATA_DIR / "nusax", "eng", split="train")["text"])
    trimming = trim_vocabulary(model, tokenizer, texts)
    kept = set(trimming.old_to_new)
    test_ids = [
        i for texts in test.values() for ids in tokenizer(texts, add_special_tokens=False)["input_ids"] for i in ids
    ]
    coverage = 100 * sum(i in kept for i in test_ids) / len(test_ids)
    assert used_token_ids(tokenizer, texts) <= kept
    return trimming.to_dict() | {"test_token_coverage_percent": round(coverage, 2)}


if __name__ == "__main__":
    raise SystemExit(main())
