"""Speed of word translation and code-switching with a bilingual lexicon: 100k sentences, a 5k-entry lexicon.

Cases (each on the same sentences, timed once after a warm-up on 1,000 sentences):

| case | what runs |
|---|---|
| `naive lookup` | the floor: ``str.split()``, a dict lookup of each lowercased word (no phrases, no punctuation) |
| `translate_text` | `translate_text` in a loop: longest match, punctuation and case kept, seeded choice |
| `translate_dataset` | `translate_dataset` on a `datasets.Dataset` (batched `map`, provenance columns) |
| `code-switching` | one epoch of `CodeSwitchingTransform` (3 languages, word ratio 0.5), 1,000-row batches |
| `gatitos translate_dataset` | GATITOS English-Acehnese on NusaX English sentences repeated (with ``--data_dir``) |

The synthetic lexicon has 5,000 entries (10% of two or three words, 1.3 translations per entry on average) over a
Zipf-distributed vocabulary of 20,000 words; the sentences have 8-24 words with punctuation, so about 60% of the words
are covered. The lexicon is written as a GATITOS-style TSV and read with `load_lexicon` (its loading time is reported
too). Timings are wall-clock seconds on this machine; the ratio column is each case's time over the naive lookup's,
measured in the same run.

    .venv/bin/python benchmarks/lexicon_translation_speed.py --data_dir ../shared/data

Prints a table and writes ``benchmarks/results/lexicon_translation_speed.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets  # noqa: E402
from datasets import Dataset  # noqa: E402

from hf_lowres.data import (  # noqa: E402
    CodeSwitchingTransform,
    load_lexicon,
    translate_dataset,
    translate_text,
)


RESULT_PATH = Path(__file__).parent / "results" / "lexicon_translation_speed.json"
LETTERS = "abcdeghiklmnoprstuy"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9)))


def synthetic_data(n_sentences: int, n_entries: int, seed: int):
    """A vocabulary, a lexicon file's pairs for 3 target languages, and sentences."""
    rng = random.Random(seed)
    vocabulary = list(dict.fromkeys(_word(rng) for _ in range(30_000)))[:20_000]
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    # Lexicon entries: the most frequent words, skipping every fourth so that frequent words also go untranslated.
    singles = [w for i, w in enumerate(vocabulary[: int(n_entries * 1.2)]) if i % 4 != 3][: int(n_entries * 0.9)]
    phrases = set()
    while len(phrases) < n_entries - len(singles):
        phrases.add(" ".join(rng.choices(vocabulary[:300], k=rng.choice((2, 3)))))
    entries = singles + sorted(phrases)
    lexicons = {}
    for language in ("aaa", "bbb", "ccc"):
        pairs = []
        for entry in entries:
            for _ in range(1 if rng.random() < 0.75 else rng.choice((2, 3))):
                pairs.append((entry, " ".join(_word(rng) for _ in range(rng.choice((1, 1, 1, 2))))))
        lexicons[language] = pairs
    sentences = []
    for _ in range(n_sentences):
        words = rng.choices(vocabulary, weights=weights, k=rng.randint(8, 24))
        words[0] = words[0].capitalize()
        if rng.random() < 0.5:
            words[rng.randrange(len(words))] += ","
        sentences.append(" ".join(words) + rng.choice(".!?"))
    return lexicons, sentences


def write_tsv(path: Path, pairs) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def count_words(sentences) -> int:
    return sum(len(s.split()) for s in sentences)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data_dir", default=None, help="folder holding gatitos/ and nusax/ (optional)")
    parser.add_argument("--output", default=str(RESULT_PATH))
    args = parser.parse_args()
    datasets.disable_progress_bars()

    pairs, sentences = synthetic_data(args.sentences, args.entries, args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {lang: write_tsv(Path(tmp) / f"en_{lang}.tsv", p) for lang, p in pairs.items()}
        load_seconds, lexicon = timed(lambda: load_lexicon(paths["aaa"], "eng", "aaa", name="synthetic/en_aaa.tsv"))
        others = [load_lexicon(paths[lang], "eng", lang, name=f"synthetic/en_{lang}.tsv") for lang in ("bbb", "ccc")]
    print(f"lexicon: {lexicon!r}, loaded in {load_seconds:.2f} s; {lexicon.statistics()}")
    n_words = count_words(sentences)
    dataset = Dataset.from_dict({"text": sentences, "label": [i % 3 for i in range(len(sentences))]})
    warm = sentences[:1000]

    plain = {source: translations[0] for source, translations in lexicon.items() if " " not in source}

    def naive():
        out = []
        for sentence in sentences:
            out.append(" ".join(plain.get(word.lower(), word) for word in sentence.split()))
        return out

    def loop():
        rng = random.Random(0)
        translated = total = 0
        for sentence in sentences:
            _, t, w = translate_text(sentence, lexicon, rng)
            translated += t
            total += w
        return translated / total

    def as_dataset():
        out = translate_dataset(dataset, lexicon, seed=0, date="2026-01-01")
        shares = out["translated_share"][:]
        return sum(shares) / len(shares)

    switch = CodeSwitchingTransform([lexicon, *others], word_ratio=0.5, sentence_ratio=1.0, seed=0)

    def code_switch():
        switched = 0
        for start in range(0, len(dataset), 1000):
            batch = dataset[start : start + 1000]
            out = switch(batch)
            switched += sum(a != b for a, b in zip(out["text"], batch["text"]))
        return switched / len(dataset)

    for sentence in warm:
        translate_text(sentence, lexicon)
        switch.switch_text(sentence)
    cases = [
        ("naive lookup", naive, None),
        ("translate_text", loop, "share of words translated"),
        ("translate_dataset", as_dataset, "mean translated_share"),
        ("code-switching (3 languages)", code_switch, "share of sentences switched"),
    ]
    for name, function, what in cases:
        seconds, value = timed(function)
        rows.append(
            {
                "case": name,
                "sentences": len(sentences),
                "words": n_words,
                "seconds": seconds,
                "sentences_per_second": len(sentences) / seconds,
                "words_per_second": n_words / seconds,
                "measure": what,
                "value": value if what else None,
            }
        )
    gatitos = Path(args.data_dir or "") / "gatitos" / "en_ace.tsv"
    english = Path(args.data_dir or "") / "nusax" / "sentiment" / "english" / "train.csv"
    if args.data_dir and gatitos.is_file() and english.is_file():
        import csv

        with open(english, encoding="utf-8", newline="") as f:
            nusax = [row["text"] for row in csv.DictReader(f)]
        real = list(itertools.islice(itertools.cycle(nusax), len(sentences)))
        real_dataset = Dataset.from_dict({"text": real})
        real_load, ace = timed(lambda: load_lexicon(gatitos))
        seconds, out = timed(lambda: translate_dataset(real_dataset, ace, seed=0, date="2026-01-01"))
        shares = out["translated_share"][:]
        words = count_words(real)
        rows.append(
            {
                "case": f"gatitos translate_dataset ({len(ace)} entries, NusaX English x{len(real) // len(nusax)})",
                "sentences": len(real),
                "words": words,
                "seconds": seconds,
                "sentences_per_second": len(real) / seconds,
                "words_per_second": words / seconds,
                "measure": "mean translated_share",
                "value": sum(shares) / len(shares),
                "lexicon_load_seconds": real_load,
            }
        )
    floor = rows[0]["seconds"]
    print()
    print("| case | sentences | words | seconds | sentences/s | words/s | x naive | measure |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        row["ratio_to_naive"] = row["seconds"] / floor
        measure = f"{row['measure']}: {row['value']:.3f}" if row["measure"] else ""
        print(
            f"| {row['case']} | {row['sentences']:,} | {row['words']:,} | {row['seconds']:.2f} | "
            f"{row['sentences_per_second']:,.0f} | {row['words_per_second']:,.0f} | {row['ratio_to_naive']:.1f} | "
            f"{measure} |"
        )
    result = {
        "benchmark": "lexicon_translation_speed",
        "settings": {"sentences": args.sentences, "entries": args.entries, "seed": args.seed},
        "lexicon": {**lexicon.statistics(), "load_seconds": load_seconds},
        "rows": rows,
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "datasets": datasets.__version__,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
