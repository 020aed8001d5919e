"""Back-translation for low-resource translation on NusaX-MT (issue 8, part 3): English -> Javanese, with and without
back-translated data, seeds, BLEU and chrF on the NusaX-MT test split.

Setup, the same for every seed (nothing tuned on test data):

- Model: a BERT2BERT `EncoderDecoderModel` (Rothe et al., 2020, "Leveraging Pre-trained Checkpoints for Sequence
  Generation Tasks") warm-started from the first `layers` layers of all-MiniLM-L6-v2 (`minilm-en`) for both the
  encoder and the decoder (the decoder's cross-attention and LM-head transform are new); its English WordPiece
  vocabulary is shared by both sides. Full fine-tuning, AdamW, linear schedule with 10% warm-up.
- Real data: the first `real_pairs` English-Javanese pairs of NusaX-MT train.
- Back-translation (Sennrich et al., 2016): a reverse Javanese -> English model is trained on the same real pairs and
  translates the Javanese side of the remaining NusaX-MT train rows (their English sides are discarded); the
  synthetic pairs (synthetic English -> real Javanese) are filtered with hf_lowres' corpus filters and mixed with the
  real pairs, the real ones repeated so that real and synthetic rows are equally many.
- Both forward systems (real only; real + BT) train for the same number of steps with the same batch size.
- Test: all 400 NusaX-MT test pairs, greedy decoding; BLEU and chrF through hf_lowres' shipped sacrebleu metrics.

Each seed's result is cached in `benchmarks/results/nusax_backtranslation_runs/seed<k>.json` (a rerun skips it);
`--report` only aggregates them into `benchmarks/results/nusax_backtranslation.{json,md}`.

    python benchmarks/nusax_backtranslation.py --seeds 0 1 2
    python benchmarks/nusax_backtranslation.py --report
"""

from __future__ import annotations

import os


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


BENCHMARKS_DIR = Path(__file__).resolve().parent
ROOT = BENCHMARKS_DIR.parent
RESULTS_DIR = BENCHMARKS_DIR / "results"
RUNS_DIR = RESULTS_DIR / "nusax_backtranslation_runs"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"

SETTINGS = {
    "source": "eng",
    "target": "jav",
    "backbone": "minilm-en",
    "layers": 3,
    "real_pairs": 100,
    "max_length": 48,
    "batch_size": 16,
    "steps": 150,
    "learning_rate": 2e-4,
    "max_new_tokens": 48,
    "decoding": "greedy",
}

logger = logging.getLogger("nusax_backtranslation")
SMOKE = False


def build_model(path: str, layers: int):
    """BERT2BERT from the first `layers` layers of a BERT checkpoint."""
    from transformers import BertConfig, EncoderDecoderModel

    config = BertConfig.from_pretrained(path)
    config.num_hidden_layers = layers
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(
        path, path, encoder_config=config, decoder_config=BertConfig.from_dict(
            {**config.to_dict(), "is_decoder": True, "add_cross_attention": True}
        ),
    )  # fmt: skip
    return model


def train_translator(path, tokenizer, sources: list[str], targets: list[str], seed: int):
    import torch
    from transformers import get_linear_schedule_with_warmup, set_seed

    s = SETTINGS
    set_seed(seed)
    model = build_model(path, s["layers"])
    model.config.decoder_start_token_id = tokenizer.cls_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.sep_token_id
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.sep_token_id
    optimizer = torch.optim.AdamW(model.parameters(), lr=s["learning_rate"], weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * s["steps"]), s["steps"])
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses = []
    order: list[int] = []
    for _ in range(s["steps"]):
        if len(order) < s["batch_size"]:
            order += torch.randperm(len(sources), generator=generator).tolist()
        batch, order = order[: s["batch_size"]], order[s["batch_size"] :]
        enc = tokenizer([sources[i] for i in batch], padding=True, truncation=True, max_length=s["max_length"],
                        return_tensors="pt")  # fmt: skip
        labels = tokenizer([targets[i] for i in batch], padding=True, truncation=True, max_length=s["max_length"],
                           return_tensors="pt")["input_ids"]  # fmt: skip
        labels[labels == tokenizer.pad_token_id] = -100
        # BERT tokenization starts each target with [CLS], the decoder start token: predict from the next one.
        labels = labels[:, 1:].contiguous()
        loss = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    logger.info("trained %d steps on %d pairs: loss %.3f -> %.3f", s["steps"], len(sources),
                statistics.fmean(losses[:10]), statistics.fmean(losses[-10:]))  # fmt: skip
    return model, {"first_loss": statistics.fmean(losses[:10]), "last_loss": statistics.fmean(losses[-10:])}


def translate(model, tokenizer, texts: list[str], batch_size: int = 64) -> list[str]:
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[str | None] = [None] * len(texts)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                            max_length=SETTINGS["max_length"], return_tensors="pt")  # fmt: skip
            generated = model.generate(**enc, max_new_tokens=SETTINGS["max_new_tokens"], num_beams=1, do_sample=False)
            for i, text in zip(idx, tokenizer.batch_decode(generated, skip_special_tokens=True)):
                out[i] = text
    return out


def scores(predictions: list[str], references: list[str]) -> dict:
    import evaluate

    from hf_lowres.evaluation import metric_path

    bleu = evaluate.load(metric_path("bleu")).compute(predictions=predictions, references=references)
    chrf = evaluate.load(metric_path("chrf")).compute(predictions=predictions, references=references)
    return {"bleu": float(bleu["bleu"]), "chrf": float(chrf["chrf"])}


def run_seed(seed: int, data_dir: str) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer

    from hf_lowres.data import (
        CopyFilter,
        DuplicateFilter,
        EmptyFilter,
        LengthRatioFilter,
        filter_corpus,
        load_nusax_mt,
    )

    out = RUNS_DIR / f"seed{seed}.json"
    if out.is_file():
        return json.loads(out.read_text())
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    sys.path.insert(0, str(BENCHMARKS_DIR))
    from real_models import materialize

    s = SETTINGS
    started = time.time()
    path = str(materialize(s["backbone"]))
    tokenizer = AutoTokenizer.from_pretrained(path)
    train = load_nusax_mt(data_dir, s["source"], s["target"], split="train")
    test = load_nusax_mt(data_dir, s["source"], s["target"], split="test", drop_duplicates=False, drop_empty=False)
    n = s["real_pairs"]
    real_src, real_tgt = list(train["source_text"][:n]), list(train["target_text"][:n])
    mono_tgt = list(train["target_text"][n:])  # their English sides are never read
    test_src, test_ref = list(test["source_text"]), list(test["target_text"])
    if SMOKE:
        mono_tgt, test_src, test_ref = mono_tgt[:8], test_src[:8], test_ref[:8]
    timings = {}

    t0 = time.time()
    reverse, reverse_log = train_translator(path, tokenizer, real_tgt, real_src, seed)
    synthetic_src = translate(reverse, tokenizer, mono_tgt)
    del reverse
    timings["reverse_model_and_back_translation"] = time.time() - t0
    synthetic = Dataset.from_dict({
        "source_text": synthetic_src, "target_text": mono_tgt, "source_lang": [s["source"]] * len(mono_tgt),
        "target_lang": [s["target"]] * len(mono_tgt), "origin": ["back-translated"] * len(mono_tgt),
    })  # fmt: skip
    synthetic, filter_report = filter_corpus(
        synthetic, [EmptyFilter(), DuplicateFilter(), CopyFilter(), LengthRatioFilter()]
    )
    kept_src, kept_tgt = list(synthetic["source_text"]), list(synthetic["target_text"])
    repeat = max(1, round(len(kept_src) / n))

    systems = {}
    for name, (src, tgt) in {
        "real_only": (real_src, real_tgt),
        "real_plus_bt": (real_src * repeat + kept_src, real_tgt * repeat + kept_tgt),
    }.items():
        t0 = time.time()
        model, log = train_translator(path, tokenizer, src, tgt, seed)
        hypotheses = translate(model, tokenizer, test_src)
        systems[name] = {**scores(hypotheses, test_ref), "train_pairs": len(src), "train_log": log,
                         "examples": [{"source": a, "hypothesis": h, "reference": r}
                                      for a, h, r in list(zip(test_src, hypotheses, test_ref))[:5]],
                         "seconds": time.time() - t0}  # fmt: skip
        logger.info("seed %d %s: BLEU %.2f chrF %.2f", seed, name, systems[name]["bleu"], systems[name]["chrf"])
        del model
    result = {
        "seed": seed,
        "settings": SETTINGS,
        "systems": systems,
        "reverse_model": reverse_log,
        "synthetic_pairs_generated": len(mono_tgt),
        "synthetic_pairs_kept": len(kept_src),
        "filter_report": str(filter_report),
        "real_repeat": repeat,
        "back_translation_examples": [
            {"real_jav": t, "synthetic_eng": s_} for s_, t in zip(synthetic_src[:5], mono_tgt)
        ],
        "seconds": {"total": time.time() - started, **timings},
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "hardware": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch threads 2, no GPU",
    }
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(result, indent=1))
    partial.replace(out)
    return result


def report(command: str | None = None) -> dict:
    runs = [json.loads(p.read_text()) for p in sorted(RUNS_DIR.glob("seed*.json"))]
    lines = [
        "# NusaX-MT back-translation (English -> Javanese, low-resource)",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`{command or 'python benchmarks/nusax_backtranslation.py --report'}`. Test: all 400 NusaX-MT test pairs, "
        "greedy decoding, sacrebleu BLEU and chrF (hf_lowres' shipped metrics). Mean ± sample std over seeds. "
        "Settings: " + ", ".join(f"{k}={v}" for k, v in SETTINGS.items()),
        "",
        "| system | seeds | train pairs | BLEU | chrF | rel. gain BLEU | rel. gain chrF |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    summary = {"settings": SETTINGS, "command": command, "systems": {}}
    if runs:
        base = {m: statistics.fmean(r["systems"]["real_only"][m] for r in runs) for m in ("bleu", "chrf")}
        for name in ("real_only", "real_plus_bt"):
            values = {m: [r["systems"][name][m] for r in runs] for m in ("bleu", "chrf")}
            stats = {m: (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0) for m, v in values.items()}
            gain = {m: (stats[m][0] - base[m]) / base[m] if base[m] else None for m in stats}
            summary["systems"][name] = {"seeds": [r["seed"] for r in runs], **stats, "relative_gain": gain,
                                        "per_seed": values}  # fmt: skip
            gains = [f"{gain[m] * 100:+.1f}%" if name != "real_only" and gain[m] is not None else "" for m in stats]
            pairs = "/".join(str(r["systems"][name]["train_pairs"]) for r in runs)
            lines.append(
                f"| {name} | {','.join(str(r['seed']) for r in runs)} | {pairs} | "
                f"{stats['bleu'][0]:.2f} ± {stats['bleu'][1]:.2f} | {stats['chrf'][0]:.2f} ± {stats['chrf'][1]:.2f} | "
                f"{gains[0]} | {gains[1]} |"
            )
        lines += ["", "Per seed (BLEU / chrF): " + "; ".join(
            f"seed {r['seed']}: real {r['systems']['real_only']['bleu']:.2f} / "
            f"{r['systems']['real_only']['chrf']:.2f}, "
            f"+BT {r['systems']['real_plus_bt']['bleu']:.2f} / {r['systems']['real_plus_bt']['chrf']:.2f} "
            f"({r['synthetic_pairs_kept']}/{r['synthetic_pairs_generated']} synthetic pairs kept, "
            f"{r['seconds']['total']:.0f} s)" for r in runs)]  # fmt: skip
        ex = runs[0]
        lines += ["", f"Examples (seed {ex['seed']}):", ""]
        for e in ex["systems"]["real_plus_bt"]["examples"][:3]:
            lines.append(f"- src: {e['source']}\n  - hyp (+BT): {e['hypothesis']}\n  - ref: {e['reference']}")
        for e in ex["back_translation_examples"][:3]:
            lines.append(f"- BT input (jav): {e['real_jav']}\n  - synthetic eng: {e['synthetic_eng']}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "nusax_backtranslation.json").write_text(json.dumps(summary, indent=1))
    (RESULTS_DIR / "nusax_backtranslation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--command", default=None)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long check of the pipeline (not a result)")
    args = parser.parse_args()
    if args.smoke:
        global RUNS_DIR, RESULTS_DIR, SMOKE
        import tempfile

        RESULTS_DIR = Path(tempfile.mkdtemp())
        RUNS_DIR = RESULTS_DIR / "runs"
        SETTINGS.update(steps=3, max_new_tokens=8)
        SMOKE = True
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stdout)
    for name in ("transformers", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if not args.report:
        for seed in args.seeds:
            run_seed(seed, args.data_dir)
            report(args.command)
    report(args.command)


if __name__ == "__main__":
    main()
