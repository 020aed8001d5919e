"""A tiny NusaX + NusaTranslation + lexicon folder for the protocol v2 tests of ``benchmarks/`` (built in the test,
never the real data)."""

import csv
from pathlib import Path


NUSAX_NAMES = {
    "ind": "indonesian", "ace": "acehnese", "bjn": "banjarese", "eng": "english", "mad": "madurese", "nij": "ngaju",
    "sun": "sundanese", "ban": "balinese", "bug": "buginese", "jav": "javanese", "min": "minangkabau",
    "bbc": "toba_batak",
}  # fmt: skip
LABELS = ["negative"] * 8 + ["neutral"] * 5 + ["positive"] * 7  # 20 train ids


def write_csv(path: Path, header: list, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def build_data(root: Path, transfer) -> tuple[Path, str]:
    """A NusaX folder (20 train / 3 valid / 3 test ids, 12 languages) and NusaTranslation files for btk, jav, mad,
    min, sun and bew. One P id's Buginese sentence is a NusaX test sentence (returned: that id); NusaTranslation btk
    train repeats a pair and holds a pair whose target is a jav test sentence and one whose Indonesian is a NusaX
    labeled sentence. Lexicons: GATITOS en_ace / en_bug ("train", "sentence") and a NusaX lexicon (ind -> eng, ace)."""
    ids = [str(100 + k) for k in range(20)]
    labeled, parallel = transfer.split_labeled_parallel(
        ids, [transfer.CLASS_NAMES.index(label) for label in LABELS], 0, 10
    )
    shared_id = parallel[0]
    splits = {
        "train": (ids, LABELS),
        "valid": (["v0", "v1", "v2"], LABELS[::7]),
        "test": (["t0", "t1", "t2"], LABELS[::7]),
    }

    def text(lang, split, i):
        if lang == "bug" and split == "train" and i == shared_id:
            return "ind test sentence t1"  # a P sentence that is also a test sentence (of another language)
        return f"{lang} {split} sentence {i}"

    for split, (split_ids, labels) in splits.items():
        for lang, name in NUSAX_NAMES.items():
            rows = [(i, text(lang, split, i), label) for i, label in zip(split_ids, labels)]
            write_csv(root / "nusax" / "sentiment" / name / f"{split}.csv", ["id", "text", "label"], rows)
        header = ["", *NUSAX_NAMES.values()]
        rows = [[k, *(text(lang, split, i) for lang in NUSAX_NAMES)] for k, i in enumerate(split_ids)]
        write_csv(root / "nusax" / "mt" / f"{split}.csv", header, rows)
    for code in ("btk", "jav", "mad", "min", "sun", "bew"):
        for split, n in (("train", 12), ("valid", 2), ("test", 2)):
            rows = [(f"indolem-{split}-{k}", f"tweet {split} {k}", f"{code} tweet {split} {k}") for k in range(n)]
            if code == "btk" and split == "train":
                rows += [
                    rows[0],
                    ("x1", "tweet x1", "jav tweet test 1"),
                    ("x2", f"eng train sentence {labeled[0]}", "y"),
                ]
            write_csv(
                root / "nusawrites" / f"nusa_kalimat-mt-{code}-{split}.csv", ["id", "ind_text", "tgt_text"], rows
            )
    for target, words in (("ace", ("kreta", "ayat")), ("bug", ("kereta", "ada"))):
        lines = [f"train\t{words[0]}", f"sentence\t{words[1]}"]
        (root / "gatitos").mkdir(exist_ok=True)
        (root / "gatitos" / f"en_{target}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_csv(root / "nusax" / "lexicon" / "english.csv", ["", "indonesian", "english"], [[0, "kereta", "train"]])
    write_csv(root / "nusax" / "lexicon" / "acehnese.csv", ["", "indonesian", "acehnese"], [[0, "kereta", "kreta"]])
    return root, shared_id
