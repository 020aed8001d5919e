"""The lexicon arms of `nusax_transfer.py` in one table per model (issue 16): per language, beside LexC-Gen's figures.

Reads `results/nusax_transfer.json` (written by `nusax_transfer.py` after every run) and writes
`results/nusax_lexicon.md`: the 7 LexC-Gen languages (those GATITOS covers) with the published XLM-R base figures
per language beside ours, then the 4 targets without a GATITOS lexicon (ind, jav, nij, sun: G and H reach them only
through related languages) apart, each group with its mean and the relative gain over A. The GATITOS arms (G, H,
G+D) and the NusaX-lexicon arm (G_nusax, whose lexicon's provenance is unknown) stand side by side.

    python benchmarks/lexicon_table.py
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASELINE_ARM = "A"
LEXICON_ARMS = ["G", "H", "G+D", "G_nusax"]
CONTROL_ARMS = ["A_steps"]  # A for as many steps as G: what G gains beyond training longer
# BatsResearch/LexC-Gen, paper_results/cleaned_nusax4pub.tsv (Yong et al., Findings of EMNLP 2024): XLM-R base, NusaX
# sentiment from English, mean of 5 runs per language. Another backbone and other training data: context, not a
# comparison under the same conditions.
PUBLISHED_XLMR_BASE = {
    "zero-shot": {"ace": 54.3, "ban": 55.4, "bbc": 40.0, "bjn": 66.1, "bug": 38.0, "mad": 50.0, "min": 68.9},
    "word translation + English": {
        "ace": 68.0, "ban": 72.7, "bbc": 63.4, "bjn": 80.5, "bug": 59.1, "mad": 73.8, "min": 81.2,
    },
}  # fmt: skip


def group_mean(arm: dict, languages: list[str]) -> float:
    """The mean over `languages` of the arm's per-language seed means (in %)."""
    return 100 * statistics.fmean(arm["per_language"][t]["selected"][0] for t in languages)


def model_table(model: str, arms: dict, lexc_gen: list[str], others: list[str]) -> list[str]:
    shown = [a for a in [BASELINE_ARM, *CONTROL_ARMS, *LEXICON_ARMS] if a in arms]
    published = list(PUBLISHED_XLMR_BASE)
    seeds = {a: len(arms[a]["seeds"]) for a in shown}
    header = [f"{a} ({seeds[a]} seed{'s' * (seeds[a] != 1)})" for a in shown]
    header += [f"XLM-R base, {p} (pub.)" for p in published]
    lines = [f"## {model}", "", "| language | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]

    def cell(arm, language):
        mean, std = arms[arm]["per_language"][language]["selected"]
        return f"{100 * mean:.1f} ± {100 * std:.1f}"

    def gain(arm, languages):
        if arm == BASELINE_ARM or BASELINE_ARM not in arms:
            return ""
        base = group_mean(arms[BASELINE_ARM], languages)
        return f" ({(group_mean(arms[arm], languages) - base) / base * 100:+.1f}%)"

    for label, languages, with_published in (("LexC-Gen 7", lexc_gen, True), ("without GATITOS", others, False)):
        for t in languages:
            row = [cell(a, t) for a in shown]
            row += [f"{PUBLISHED_XLMR_BASE[p][t]:.1f}" if with_published else "" for p in published]
            lines.append(f"| {t} | " + " | ".join(row) + " |")
        row = [f"{group_mean(arms[a], languages):.1f}{gain(a, languages)}" for a in shown]
        row += [f"{statistics.fmean(PUBLISHED_XLMR_BASE[p][t] for t in languages):.1f}" if with_published else ""
                for p in published]  # fmt: skip
        lines.append(f"| **mean, {label}** | " + " | ".join(f"**{c}**" if c else "" for c in row) + " |")
    every = [*lexc_gen, *others]
    row = [f"{group_mean(arms[a], every):.1f}{gain(a, every)}" for a in shown] + [""] * len(published)
    lines.append(f"| **mean, all {len(every)}** | " + " | ".join(f"**{c}**" if c else "" for c in row) + " |")
    english = "; ".join(f"{a} {100 * arms[a]['eng_valid'][0]:.1f}" for a in shown)
    lines += ["", f"English valid accuracy (the selection signal): {english}.", ""]
    return lines


def write(summary: dict, results_dir: Path = RESULTS_DIR) -> Path:
    """Writes `nusax_lexicon.md` from a `nusax_transfer.json` summary and returns its path."""
    lexc_gen = summary["lexc_gen_languages"]
    others = [t for t in summary["targets"] if t not in lexc_gen]
    lines = [
        "# NusaX zero-shot sentiment: the lexicon arms per language",
        "",
        f"Generated from `nusax_transfer.json` ({summary['date']}; protocol {summary['protocol']}) by "
        "`benchmarks/lexicon_table.py`. Accuracy in %, test (400 sentences per language) at the epoch with the best "
        "English valid accuracy, mean ± std over seeds; group rows average the per-language means, with the "
        "relative gain over A in brackets. A: task adapter on L (250 English rows); A_steps: A on L repeated 8 "
        "times (G's rows and optimizer steps, no lexicon); G: + one GATITOS word-by-word translation of L into each "
        "of the 7 languages GATITOS covers; H: + L code-switched with GATITOS anew each epoch (CoSDA-ML); G+D: G + "
        "the alignment loss; G_nusax: G with the NusaX lexicon (10 targets; provenance unknown, it may hold "
        "test-sentence words, so only beside G).",
        "",
        "Published columns (pub.): XLM-R base, Yong et al., Findings of EMNLP 2024 (LexC-Gen, "
        "paper_results/cleaned_nusax4pub.tsv), 5 runs, trained on the NusaX English train set (ours: 250 of its "
        "rows): another backbone and data, placed beside ours for context only.",
        "",
    ]
    for model, entry in summary["models"].items():
        arms = entry["arms"]
        if any(a in arms for a in LEXICON_ARMS):
            lines += model_table(model, arms, lexc_gen, others)
    path = Path(results_dir) / "nusax_lexicon.md"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR
    print(write(json.loads((results / "nusax_transfer.json").read_text()), results).read_text())
