"""Recipe arguments for the auxiliary step sources: unlabeled text for the discriminator, pairs for alignment."""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets import Dataset, concatenate_datasets

from .data_preparation import (
    load_monolingual_text,
    load_parallel_pairs,
    parse_language_files,
    tokenize_pairs,
    tokenize_text,
)
from .input_checks import InputChecks, check_range


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
        if not self.parallel_file and (self.parallel_source_lang or self.parallel_target_langs):
            raise ValueError("--parallel_source_lang and --parallel_target_langs need --parallel_file (the pairs).")
        if len(set(self.parallel_target_langs)) != len(self.parallel_target_langs):
            raise ValueError(f"`parallel_target_langs` names a language twice: {self.parallel_target_langs}.")
        if self.parallel_source_lang and self.parallel_source_lang in self.parallel_target_langs:
            raise ValueError(f"`parallel_target_langs` holds the source language {self.parallel_source_lang!r}.")
        parse_language_files(self.unlabeled_files, "--unlabeled_files")
        for name in ("max_unlabeled_per_language", "max_pairs_per_language"):
            check_range(name, getattr(self, name), minimum=1, integer=True, allow_none=True)

    def read_unlabeled(self, checks: InputChecks | None = None) -> list[Dataset]:
        """The unlabeled text of each language (`text`, `lang`), capped, not tokenized.

        Args:
            checks (`InputChecks`, *optional*): record the problems there (a recipe's up-front checks) instead of
                raising them.

        Raises:
            InputError: without `checks`, listing every file that is missing, malformed or empty, each under its
                `--unlabeled_files` entry.
        """
        own = checks is None
        checks = InputChecks() if own else checks
        parts = []
        for language, path in parse_language_files(self.unlabeled_files, "--unlabeled_files").items():
            text = checks.run(f"--unlabeled_files ({language})", load_monolingual_text, path, language,
                              self.unlabeled_column)  # fmt: skip
            if text is not None:
                if self.max_unlabeled_per_language is not None:
                    text = text.select(range(min(self.max_unlabeled_per_language, len(text))))
                parts.append(text)
        if own:
            checks.raise_if_any()
        return parts

    def read_pairs(self, checks: InputChecks | None = None) -> list[Dataset]:
        """The parallel pairs of each target language (the corpus schema), capped, not tokenized.

        Args:
            checks (`InputChecks`, *optional*): record the problems there instead of raising them.

        Raises:
            InputError: without `checks`, when `--parallel_file` is missing or malformed, or holds no pairs of a
                language.
        """
        if not self.parallel_file:
            return []
        own = checks is None
        checks = InputChecks() if own else checks
        parts = []
        for target in self.parallel_target_langs:
            argument = f"--parallel_file ({self.parallel_source_lang}-{target})"
            pairs = checks.run(argument, load_parallel_pairs, self.parallel_file, self.parallel_source_lang, target)
            if pairs is not None:
                if self.max_pairs_per_language is not None:
                    pairs = pairs.select(range(min(self.max_pairs_per_language, len(pairs))))
                parts.append(pairs)
        if own:
            checks.raise_if_any()
        return parts

    def describe(self, unlabeled: list[Dataset], pairs: list[Dataset]) -> list:
        """The model card's record (`hf_lowres.hub.DatasetSummary`) of the unlabeled text and pairs a run read.

        Args:
            unlabeled (`list[datasets.Dataset]`): `read_unlabeled()`'s datasets, one per `--unlabeled_files` entry.
            pairs (`list[datasets.Dataset]`): `read_pairs()`'s datasets, one per target language.
        """
        from ..hub import DatasetSummary  # the card's types; training itself does not need them

        files = parse_language_files(self.unlabeled_files, "--unlabeled_files").values()
        summaries = [DatasetSummary.from_rows(rows, path, role="unlabeled") for rows, path in zip(unlabeled, files)]
        if pairs:
            all_pairs = concatenate_datasets(pairs)
            summaries.append(DatasetSummary.from_rows(all_pairs, self.parallel_file, role="parallel"))
        return summaries

    def load_unlabeled(self, tokenizer, max_length: int, texts: list[Dataset] | None = None) -> Dataset | None:
        """The unlabeled text of every language, tokenized, with its `lang` column (None when there is none).

        `texts` are `read_unlabeled()`'s datasets, when the files were already read (and checked).
        """
        parts = self.read_unlabeled() if texts is None else texts
        return concatenate_datasets([tokenize_text(t, tokenizer, max_length) for t in parts]) if parts else None

    def load_pairs(self, tokenizer, max_length: int, pairs: list[Dataset] | None = None) -> Dataset | None:
        """The parallel pairs, tokenized into `source_*`/`target_*` columns (None when there are none).

        `pairs` are `read_pairs()`'s datasets, when the file was already read (and checked).
        """
        parts = self.read_pairs() if pairs is None else pairs
        return concatenate_datasets([tokenize_pairs(p, tokenizer, max_length) for p in parts]) if parts else None
