"""Tokenizer fertility (tokens per word) before and after a vocabulary change, per language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from transformers import PreTrainedTokenizerBase


def count_tokens_and_words(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> tuple[int, int]:
    """`(tokens, words)` over `texts`: subword tokens without special tokens, and whitespace-separated words."""
    texts = list(texts)
    if not texts:
        return 0, 0
    tokens = sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    words = sum(len(text.split()) for text in texts)
    return tokens, words


def fertility(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> float:
    """Tokens per whitespace-separated word (Rust et al., 2021, "How Good is Your Tokenizer?")."""
    tokens, words = count_tokens_and_words(tokenizer, texts)
    return tokens / words if words else 0.0


@dataclass
class FertilityRow:
    """One language of a `FertilityReport`."""

    language: str
    words: int
    tokens_before: int
    tokens_after: int

    @property
    def fertility_before(self) -> float:
        return self.tokens_before / self.words if self.words else 0.0

    @property
    def fertility_after(self) -> float:
        return self.tokens_after / self.words if self.words else 0.0

    @property
    def tokens_saved_percent(self) -> float:
        """Fewer tokens, in percent: the share of encoder positions (and decoding steps) saved on this text."""
        return 100.0 * (1 - self.tokens_after / self.tokens_before) if self.tokens_before else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {
            "fertility_before": round(self.fertility_before, 4),
            "fertility_after": round(self.fertility_after, 4),
            "tokens_saved_percent": round(self.tokens_saved_percent, 2),
        }


@dataclass
class FertilityReport:
    """Fertility per language before and after, with the share of tokens (inference steps) saved.

    Sequence length is what an encoder's cost and a decoder's number of steps scale with, so the percentage of
    tokens saved is the percentage of inference steps saved for the same text.
    """

    rows: list[FertilityRow]
    name: str = ""

    @property
    def total(self) -> FertilityRow:
        return FertilityRow(
            "all",
            sum(r.words for r in self.rows),
            sum(r.tokens_before for r in self.rows),
            sum(r.tokens_after for r in self.rows),
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "languages": [r.to_dict() for r in self.rows],
            "total": self.total.to_dict(),
        }

    def to_markdown(self) -> str:
        """The report as a Markdown table, one row per language and a total row."""
        lines = [
            "| language | words | tokens before | tokens after | fertility before | fertility after | tokens saved |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in [*self.rows, self.total]:
            lines.append(
                f"| {row.language} | {row.words} | {row.tokens_before} | {row.tokens_after} | "
                f"{row.fertility_before:.3f} | {row.fertility_after:.3f} | {row.tokens_saved_percent:.1f}% |"
            )
        return "\n".join(lines)


def fertility_report(
    tokenizer_before: PreTrainedTokenizerBase,
    tokenizer_after: PreTrainedTokenizerBase,
    texts_by_language: Mapping[str, Sequence[str]],
    name: str = "",
) -> FertilityReport:
    """Compares two tokenizers on the same texts, language by language (e.g. before and after `expand_vocabulary`).

    Args:
        tokenizer_before (`PreTrainedTokenizerBase`): the base tokenizer.
        tokenizer_after (`PreTrainedTokenizerBase`): the expanded (or otherwise changed) tokenizer.
        texts_by_language (`Mapping[str, Sequence[str]]`): language code -> texts.
        name (`str`, *optional*): a label for the report (e.g. the model name).
    """
    rows = []
    for language, texts in texts_by_language.items():
        before, words = count_tokens_and_words(tokenizer_before, texts)
        after, _ = count_tokens_and_words(tokenizer_after, texts)
        rows.append(FertilityRow(language, words, before, after))
    return FertilityReport(rows=rows, name=name)
