"""Cross-lingual retrieval per NusaX language for two real models, and a PCA picture of their representations.

Real models (materialized offline by `benchmarks/real_models.py`), real data (NusaX-MT test split): English
sentences retrieve their translations and back, mean-pooled last layer, cosine scoring, P@1 averaged over both
directions. `minilm-en` (English-only) is the baseline for `me5-small` (multilingual). No training happens here:
it shows the evaluation API on real inputs and what a multilingual backbone brings before any adaptation.

    python benchmarks/representation_snapshot.py [--data_dir ../shared/data] [--n 200]

Writes `benchmarks/results/representation_snapshot.{json,md}` and `docs/images/nusax_representations_pca.png`.
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import time


os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import torch  # noqa: E402
from real_models import materialize  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

from hf_lowres.data import NUSAX_LANGUAGES, load_nusax_mt  # noqa: E402
from hf_lowres.evaluation import PerLanguageReport, encode_texts, plot_representations, retrieval_scores  # noqa: E402


ROOT = pathlib.Path(__file__).resolve().parents[1]
PICTURE_LANGUAGES = ["eng", "ind", "jav", "sun", "bbc"]


def main(data_dir: str, n: int) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    targets = [code for code in NUSAX_LANGUAGES.values() if code != "eng"]
    pairs = {lang: load_nusax_mt(data_dir, "eng", lang, split="test").select(range(n)) for lang in targets}
    scores, pooled, started = {}, {}, time.time()
    for name in ("minilm-en", "me5-small"):
        path = materialize(name)
        tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
        english = encode_texts(model, tokenizer, pairs[targets[0]]["source_text"], batch_size=32, max_length=128)
        scores[name], pooled[name] = {}, {"eng": english}
        for lang in targets:
            local = encode_texts(model, tokenizer, pairs[lang]["target_text"], batch_size=32, max_length=128)
            pooled[name][lang] = local
            result = retrieval_scores(english, local)
            scores[name][lang] = {"p_at_1": result.mean}
        print(f"{name}: mean P@1 {sum(s['p_at_1'] for s in scores[name].values()) / len(targets):.3f}", flush=True)

    rows = []
    for lang in targets:
        value, base = scores["me5-small"][lang]["p_at_1"], scores["minilm-en"][lang]["p_at_1"]
        rows.append({"language": lang, "n": n, "p_at_1": value, "delta_p_at_1": value - base})
    macro = {key: sum(r[key] for r in rows) / len(rows) for key in ("p_at_1", "delta_p_at_1")}
    report = PerLanguageReport(
        rows=rows, metric_names=["p_at_1"], macro_average=macro, name="me5-small", has_baseline=True
    )

    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    table = report.to_markdown()
    (results / "representation_snapshot.md").write_text(
        f"English <-> X retrieval P@1 on NusaX-MT test (first {n} pairs), me5-small with the delta against "
        f"minilm-en.\n\nCommand: `python benchmarks/representation_snapshot.py --n {n}`\n\n{table}\n"
    )
    (results / "representation_snapshot.json").write_text(
        json.dumps(
            {
                "command": f"python benchmarks/representation_snapshot.py --n {n}",
                "data": "NusaX-MT test split, first n rows",
                "pooling": "mean over the last layer, cosine, P@1 averaged over both directions",
                "scores": scores,
                "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, CPU only",
                "seconds": round(time.time() - started, 1),
            },
            indent=2,
        )
    )
    before = torch.cat([pooled["minilm-en"][lang][:100] for lang in PICTURE_LANGUAGES])
    after = torch.cat([pooled["me5-small"][lang][:100] for lang in PICTURE_LANGUAGES])
    labels = [lang for lang in PICTURE_LANGUAGES for _ in range(100)]
    picture = ROOT / "docs" / "images" / "nusax_representations_pca.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    plot_representations(
        before, labels, picture, after=after, titles=("minilm-en (English)", "me5-small (multilingual)")
    )
    print(table)
    print(f"wrote {results / 'representation_snapshot.md'} and {picture} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data_dir", default=os.environ.get("HF_LOWRES_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    )
    parser.add_argument("--n", type=int, default=200, help="parallel pairs per language")
    args = parser.parse_args()
    main(args.data_dir, args.n)
