"""Throughput of `BackTranslator` (length-sorted batches) against a straightforward unsorted loop.

Both run the same model, the same sentences, batch size, decoding and per-batch output cap (``ceil(1.5 * longest
input) + 10`` tokens, as fairseq's max_len_a/b). The model is either

- a small Marian built from a config in code, with random weights (the default): translations are meaningless, and a
  random model rarely emits EOS, so every batch runs to its cap; or
- with ``--trained ind-jav`` (a direction), the BERT2BERT system that ``nusa_translation.py`` trained on
  ``--real_pairs`` NusaTranslation pairs with ``--trained_seed`` (its kept adapter on the warm-started me5-small): a
  model that stops when its sentence is done, so a batch ends when its longest translation does.

The sentences are NusaX-MT's side in the model's input language (Javanese for the random model) when ``--data_dir``
holds NusaX, otherwise generated sentences of varied lengths. The runs alternate and the best of ``--repeats`` is
kept for each.

    .venv/bin/python benchmarks/backtranslation_throughput.py --data_dir ../shared/data
    .venv/bin/python benchmarks/backtranslation_throughput.py --trained ind-jav --real_pairs 6400 --threads 2

Prints a table and writes ``benchmarks/results/backtranslation_throughput.json`` (``..._trained.json`` with
``--trained``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

from hf_lowres.data import BackTranslationConfig, BackTranslator, load_nusax_mt


RESULT_PATH = Path(__file__).parent / "results" / "backtranslation_throughput.json"


def load_sentences(data_dir: str | None, n: int, seed: int, language: str = "jav") -> tuple[list[str], str]:
    """`n` shuffled NusaX-MT sentences in `language` (ind or jav), or generated ones where NusaX is absent."""
    if data_dir and (Path(data_dir) / "nusax" / "mt" / "train.csv").exists():
        splits = load_nusax_mt(data_dir, "ind", "jav")
        column = "source_text" if language == "ind" else "target_text"
        sentences = [text for split in splits.values() for text in split[column]]
        source = f"NusaX-MT {language} ({len(sentences)} sentences, {data_dir})"
    else:
        rng = random.Random(seed)
        words = "aku seneng banget film iki apik ala lan ora panganan enak kuwi omah banyu geni abang ijo".split()
        # Lengths roughly like real sentences: mostly short, a long tail.
        sentences = [" ".join(rng.choices(words, k=max(2, int(rng.lognormvariate(2.6, 0.6))))) for _ in range(2000)]
        source = "generated sentences (no NusaX under --data_dir)"
    rng = random.Random(seed)
    rng.shuffle(sentences)
    return sentences[:n], source


def build_tokenizer(sentences: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.normalizer = normalizers.NFKC()
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<pad>", "<unk>", "</s>"], show_progress=False
    )
    backend.train_from_iterator(sentences, trainer)
    backend.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", eos_token="</s>")


def build_model(vocab_size: int, seed: int) -> MarianMTModel:
    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=vocab_size,
        d_model=256,
        encoder_layers=3,
        decoder_layers=3,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=1024,
        decoder_ffn_dim=1024,
        max_position_embeddings=512,
        pad_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=0,
        forced_eos_token_id=2,
    )
    return MarianMTModel(config).eval()


def trained_system(direction: str, real_pairs: int, seed: int, data_dir: str):
    """`nusa_translation.py`'s trained system for `direction`: a generating model, its tokenizer, a description."""
    import nusa_translation  # a sibling script (benchmarks/ is on sys.path when this file runs)

    manager, tokenizer = nusa_translation.load_trained_system(direction, real_pairs, seed, data_dir)
    name = nusa_translation.run_name(direction, real_pairs, seed)
    description = {
        "class": type(manager.model.backbone).__name__,
        "weights": f"trained: nusa_translation {name} (BERT2BERT from me5-small + its LoRA adapter)",
        "vocab_size": len(tokenizer),
    }
    return manager.peft_model, tokenizer, description


def baseline(model, tokenizer, sentences, batch_size, num_beams, ratio, offset, max_input_length) -> dict:
    """The straightforward loop: batches in input order, padded to their longest sentence."""
    start = time.perf_counter()
    input_tokens = input_positions = output_tokens = output_positions = 0
    outputs = []
    with torch.no_grad():
        for begin in range(0, len(sentences), batch_size):
            batch = tokenizer(
                sentences[begin : begin + batch_size],
                padding=True,
                truncation=True,
                max_length=max_input_length,
                return_tensors="pt",
            )
            longest = batch["input_ids"].shape[1]
            generated = model.generate(
                **batch, num_beams=num_beams, do_sample=False, max_new_tokens=math.ceil(ratio * longest) + offset
            )
            input_tokens += int(batch["attention_mask"].sum())
            input_positions += batch["attention_mask"].numel()
            output_positions += generated.numel()
            output_tokens += int((generated != tokenizer.pad_token_id).sum())
            outputs.extend(tokenizer.batch_decode(generated, skip_special_tokens=True))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "sentences_per_second": len(sentences) / seconds,
        "input_padding_fraction": 1 - input_tokens / input_positions,
        "output_padding_fraction": 1 - output_tokens / output_positions,
        "outputs": outputs,
    }


def sorted_run(model, tokenizer, sentences, config: BackTranslationConfig) -> dict:
    translator = BackTranslator(model, tokenizer, config)
    outputs = translator.translate(sentences)
    stats = translator.stats
    return {
        "seconds": stats.seconds,
        "sentences_per_second": stats.sentences_per_second,
        "input_padding_fraction": stats.padding_fraction,
        "output_padding_fraction": stats.output_padding_fraction,
        "outputs": outputs,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.environ.get("HF_LOWRES_DATA_DIR", "../shared/data"))
    parser.add_argument("--num_sentences", type=int, default=384)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--num_beams", type=int, default=1)
    parser.add_argument("--vocab_size", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trained", default=None, help="a direction (ind-jav): nusa_translation.py's trained system")
    parser.add_argument("--real_pairs", type=int, default=6400, help="with --trained: its number of real pairs")
    parser.add_argument("--trained_seed", type=int, default=0, help="with --trained: its training seed")
    parser.add_argument("--output", default=None, help="default: results/backtranslation_throughput[_trained].json")
    args = parser.parse_args()
    if args.output is None:
        args.output = str(RESULT_PATH.with_name(f"{RESULT_PATH.stem}_trained.json") if args.trained else RESULT_PATH)
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.trained:
        source_lang, target_lang = args.trained.split("-")
        sentences, data_source = load_sentences(args.data_dir, args.num_sentences, args.seed, source_lang)
        model, tokenizer, description = trained_system(args.trained, args.real_pairs, args.trained_seed, args.data_dir)
        convention = "single_pair"
    else:
        source_lang, target_lang = "jav", "ind"
        sentences, data_source = load_sentences(args.data_dir, args.num_sentences, args.seed)
        tokenizer = build_tokenizer(sentences, args.vocab_size)
        model = build_model(len(tokenizer), args.seed)
        description = {"class": "MarianMTModel", "weights": "random (built from config; throughput only)",
                       "d_model": 256, "layers": "3+3", "vocab_size": len(tokenizer)}  # fmt: skip
        convention = "marian"
    # BackTranslationConfig names the synthetic side `source_lang` and the monolingual input `target_lang`.
    config = BackTranslationConfig(
        source_lang=target_lang,
        target_lang=source_lang,
        convention=convention,
        batch_size=args.batch_size,
        num_beams=args.num_beams,
        max_length_ratio=1.5,
        max_length_offset=10,
        max_new_tokens=512,
        max_input_length=256,
    )
    lengths = [len(ids) for ids in tokenizer(sentences)["input_ids"]]
    # Warm-up (first calls allocate and pick kernels).
    sorted_run(model, tokenizer, sentences[:8], config)
    baseline(model, tokenizer, sentences[:8], 8, args.num_beams, 1.5, 10, 256)

    runs = {"baseline": [], "sorted": []}
    for _ in range(args.repeats):
        runs["baseline"].append(
            baseline(model, tokenizer, sentences, args.batch_size, args.num_beams, 1.5, 10, config.max_input_length)
        )
        runs["sorted"].append(sorted_run(model, tokenizer, sentences, config))
    best = {name: max(results, key=lambda r: r["sentences_per_second"]) for name, results in runs.items()}
    speedup = best["sorted"]["sentences_per_second"] / best["baseline"]["sentences_per_second"]

    print(f"Back-translation throughput, {len(sentences)} sentences from {data_source}")
    print(f"Model: {description['class']}, {description['weights']}, vocab {description['vocab_size']}.")
    print(
        f"Batch size {args.batch_size}, num_beams {args.num_beams}, output cap ceil(1.5*longest)+10, "
        f"torch threads {torch.get_num_threads()}, input length {min(lengths)}-{max(lengths)} tokens "
        f"(mean {sum(lengths) / len(lengths):.1f}); best of {args.repeats} alternating runs."
    )
    print()
    header = f"| {'method':<34} | {'sent/s':>8} | {'seconds':>8} | {'input padding':>13} | {'output padding':>14} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    labels = {"baseline": "unsorted loop (baseline)", "sorted": "BackTranslator (sorted by length)"}
    for name in ("baseline", "sorted"):
        r = best[name]
        print(
            f"| {labels[name]:<34} | {r['sentences_per_second']:>8.1f} | {r['seconds']:>8.2f} | "
            f"{r['input_padding_fraction']:>13.1%} | {r['output_padding_fraction']:>14.1%} |"
        )
    print(f"\nSpeed-up (sorted / baseline sentences per second): {speedup:.2f}x (target: at least 1.5x)")

    result = {
        "benchmark": "backtranslation_throughput",
        "data": data_source,
        "num_sentences": len(sentences),
        "model": description,
        "direction": f"{source_lang}-{target_lang}",
        "batch_size": args.batch_size,
        "num_beams": args.num_beams,
        "output_cap": "ceil(1.5 * longest input) + 10",
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "repeats": args.repeats,
        "results": {
            name: {k: v for k, v in r.items() if k != "outputs"}
            | {"all_runs_sentences_per_second": [x["sentences_per_second"] for x in runs[name]]}
            for name, r in best.items()
        },
        "speedup": speedup,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {output}")


if __name__ == "__main__":
    main()
