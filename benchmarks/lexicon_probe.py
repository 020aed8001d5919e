"""The lexicon floor to beat (issue 16): a frozen me5-small and a logistic regression, with and without GATITOS word
translations of the labeled English rows, on protocol v2's data.

No encoder weight is trained: the sentence embeddings are e5's ("query: " prefix, mean-pooled last layer, L2-normed),
and a scikit-learn logistic regression (fixed settings, chosen before any test set was scored) is fitted on

- `probe_A`: L, the 250 labeled English sentences of protocol v2 (`nusax_transfer.py`);
- `probe_G`: L plus one GATITOS word translation of each L sentence into each of the 7 LexC-Gen languages it covers
  (`translate_train`: longest match, a seeded choice among translations, unknown words kept; LexC-Gen's "word
  translation + English data" setting, Yong et al., Findings of EMNLP 2024).

Translations of labeled sentences are labeled data, so they are checked against every valid and test set only
(the overlap count is printed and recorded). Seeds 0-2 change the choice among translations; the regression itself
is deterministic.

    python benchmarks/lexicon_probe.py            # writes results/lexicon_probe.{json,md}
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import nusax_transfer as nt


LEXC_GEN_7 = ["ace", "ban", "bbc", "bjn", "bug", "mad", "min"]
SEEDS = [0, 1, 2]
REGRESSION = {"C": 1.0, "max_iter": 2000}  # scikit-learn defaults, more iterations to converge; fixed in advance


def embed(texts: list[str], model, tokenizer) -> np.ndarray:
    from real_models import embed_e5

    return np.asarray(embed_e5(model, tokenizer, texts, batch_size=64))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", default=str(nt.DEFAULT_DATA_DIR))
    parser.add_argument("--results_dir", default=str(nt.RESULTS_DIR))
    args = parser.parse_args(argv)
    nt.set_threads()
    start = time.perf_counter()

    from real_models import materialize
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel, AutoTokenizer

    from hf_lowres.data import load_lexicon_directory, translate_train
    from hf_lowres.data.overlap import find_overlaps

    data = nt.protocol_data(args.data_dir)
    lexicons = load_lexicon_directory(Path(args.data_dir) / "gatitos", source_lang="eng", languages=LEXC_GEN_7)
    # The full vocabulary (not the benchmark's trimmed copy): translated words need not be in the benchmark's text.
    path = materialize("me5-small")
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()

    labeled = data.labeled.select_columns(["text", "label"])
    tests = {lang: data.sentiment[lang]["test"] for lang in nt.TARGETS}
    test_embeddings = {lang: embed(list(ds["text"]), model, tokenizer) for lang, ds in tests.items()}
    valid = data.sentiment[nt.SOURCE]["validation"]
    valid_embeddings = embed(list(valid["text"]), model, tokenizer)
    english = embed(list(labeled["text"]), model, tokenizer)

    def score(train_x, train_y) -> dict:
        classifier = LogisticRegression(**REGRESSION).fit(train_x, train_y)
        per_language = {
            lang: float((classifier.predict(x) == np.array(tests[lang]["label"])).mean())
            for lang, x in test_embeddings.items()
        }
        return {
            "english_valid": float((classifier.predict(valid_embeddings) == np.array(valid["label"])).mean()),
            "per_language": per_language,
            "mean_11": float(np.mean(list(per_language.values()))),
            "mean_lexc_gen_7": float(np.mean([per_language[lang] for lang in LEXC_GEN_7])),
        }

    runs = {"probe_A": [score(english, list(labeled["label"]))], "probe_G": []}
    overlaps, shares = [], []
    for seed in SEEDS:
        translated = translate_train(labeled, lexicons, seed=seed)
        synthetic = translated.filter(lambda row: row["origin"] == "synthetic")
        shares.append(float(np.mean(synthetic["translated_share"])))
        references = {name: texts for name, texts in data.references.items() if not name.startswith("L ")}
        overlap = find_overlaps({"word translations of L": synthetic["text"]}, references)
        print(f"[probe_G seed {seed}] {overlap.summary()}", flush=True)
        overlap.raise_if_any(f"probe_G seed {seed}")
        overlaps.append(overlap.total)
        x = np.concatenate([english, embed(list(synthetic["text"]), model, tokenizer)])
        runs["probe_G"].append(score(x, list(labeled["label"]) + list(synthetic["label"])))

    result = {
        "protocol": nt.PROTOCOL,
        "model": "me5-small (frozen, full vocabulary)",
        "lexicon": {lang: {"entries": len(lex), "direction": lex.direction} for lang, lex in lexicons.items()},
        "regression": REGRESSION,
        "seeds": SEEDS,
        "translated_share_mean": float(np.mean(shares)),
        "overlap_with_valid_or_test": overlaps,
        "arms": {
            arm: {
                "seeds": rs,
                "mean_11": nt.mean_std([r["mean_11"] for r in rs]),
                "mean_lexc_gen_7": nt.mean_std([r["mean_lexc_gen_7"] for r in rs]),
                "english_valid": nt.mean_std([r["english_valid"] for r in rs]),
            }
            for arm, rs in runs.items()
        },
        "seconds": time.perf_counter() - start,
        "hardware": nt.hardware(),
    }
    write(result, Path(args.results_dir))
    return result


def write(result: dict, results_dir: Path) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "lexicon_probe.json").write_text(json.dumps(result, indent=2) + "\n")
    arms = result["arms"]

    def pct(pair) -> str:
        mean, std = pair
        return f"{100 * mean:.1f} ± {100 * std:.1f}"

    lines = [
        "# Lexicon floor: frozen me5-small + logistic regression (protocol v2, L = 250 English rows)",
        "",
        f"Translations: GATITOS, {len(result['lexicon'])} languages, mean share of words translated "
        f"{100 * result['translated_share_mean']:.1f}%; overlap with valid/test sets per seed: "
        f"{result['overlap_with_valid_or_test']}.",
        "",
        "| arm | seeds | English valid | 11 lang. | LexC-Gen 7 |",
        "|---|---:|---:|---:|---:|",
    ]
    for arm, r in arms.items():
        lines.append(f"| {arm} | {len(r['seeds'])} | {pct(r['english_valid'])} | {pct(r['mean_11'])} | "
                     f"{pct(r['mean_lexc_gen_7'])} |")  # fmt: skip
    lines += ["", "| language | probe_A | probe_G |", "|---|---:|---:|"]
    for lang in nt.TARGETS:
        values = [nt.mean_std([s["per_language"][lang] for s in arms[arm]["seeds"]]) for arm in arms]
        lines.append(f"| {lang}{'*' if lang in LEXC_GEN_7 else ''} | " + " | ".join(pct(v) for v in values) + " |")
    lines += [
        "",
        "\\* a LexC-Gen language with a GATITOS lexicon. Published context (other models, fine-tuned): "
        "LexC-Gen XLM-R base 53.2 zero-shot / 71.2 word translation + English (7 languages, 5 runs).",
    ]
    (results_dir / "lexicon_probe.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
