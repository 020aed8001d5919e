"""Recipe arguments for the auxiliary step sources: unlabeled text for the discriminator, pairs for alignment."""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets import Dataset, concatenate_datasets

from .data_preparation import load_parallel_file, parse_language_files, tokenize_pairs, tokenize_text


@dataclass
class CrossLingualDataArguments:
    """Where the discriminator's unlabeled text and the alignment loss's parallel pairs come from."""

    unlabeled_files: list[str] = field(
        default_factory=list,
        metadata={"help": "Unlabeled text per language for the discriminator, as LANG=PATH (txt, csv, jsonl...)."},
    )
    unlabeled_column: str | None = field(default=None, metadata={"help": "Text column of csv/jsonl unlabeled files."})
    max_unlabeled_per_language: int | None = field(default=None, metadata={"help": "Cap on rows per language."})
    parallel_file: str | None = field(
        default=None,
        metadata={"help": "Parallel pairs for the alignment loss: a multi-way csv/tsv, a saved corpus, or a repo."},
    )
    parallel_source_lang: str | None = field(default=None, metadata={"help": "Source language of the pairs."})
    parallel_target_langs: list[str] = field(
        default_factory=list, metadata={"help": "Target languages of the pairs (one pair set per language)."}
    )
    max_pairs_per_language: int | None = field(default=None, metadata={"help": "Cap on pairs per target language."})

    def __post_init__(self):
        if self.parallel_file and (not self.parallel_source_lang or not self.parallel_target_langs):
            raise ValueError("--parallel_file needs --parallel_source_lang and --parallel_target_langs.")

    def load_unlabeled(self, tokenizer, max_length: int) -> Dataset | None:
        """The unlabeled text of every language, tokenized, with its `lang` column (None when there is none)."""
        from ..data import load_monolingual

        parts = []
        for language, path in parse_language_files(self.unlabeled_files, "--unlabeled_files").items():
            text = load_monolingual(path, language, column=self.unlabeled_column)
            if self.max_unlabeled_per_language is not None:
                text = text.select(range(min(self.max_unlabeled_per_language, len(text))))
            parts.append(tokenize_text(text, tokenizer, max_length))
        return concatenate_datasets(parts) if parts else None

    def load_pairs(self, tokenizer, max_length: int) -> Dataset | None:
        """The parallel pairs, tokenized into `source_*`/`target_*` columns (None when there are none)."""
        if not self.parallel_file:
            return None
        parts = []
        for target in self.parallel_target_langs:
            pairs = load_parallel_file(self.parallel_file, self.parallel_source_lang, target)
            if self.max_pairs_per_language is not None:
                pairs = pairs.select(range(min(self.max_pairs_per_language, len(pairs))))
            parts.append(tokenize_pairs(pairs, tokenizer, max_length))
        return concatenate_datasets(parts)
