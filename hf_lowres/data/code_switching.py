"""Code-switching augmentation with bilingual lexicons (CoSDA-ML, Qin et al., 2020), drawn anew every epoch.

A chosen share of the training sentences (`sentence_ratio`) has a share of its words (`word_ratio`) replaced by
their translation into a language drawn at random for each word, so one sentence mixes several target languages
(``"I like this rumoh, it is meuhai"``). The words and languages are drawn again at each epoch, so the model sees
other mixes every time: the augmentation is a `datasets` transform applied when rows are read
(`Dataset.with_transform`), never a frozen copy. Its randomness is a function of ``(seed, epoch, sentence)`` only,
so an epoch reads the same rows whatever the batching, the order or the number of dataloader workers.

Use with `CrossLingualTrainer` (or any `Trainer`) as it is:

```python
>>> switch = CodeSwitchingTransform(lexicons, word_ratio=0.5, sentence_ratio=1.0, seed=0, tokenizer=tokenizer)
>>> train = apply_code_switching(english_rows, switch)  # with_transform; tokenized columns declared
>>> trainer = CrossLingualTrainer(model, args, train_dataset=train, processing_class=tokenizer,
...                               callbacks=[CodeSwitchingCallback(switch)])  # moves the transform to each epoch
```

Differences from the paper: a word is switched only into languages whose lexicon has it (CoSDA-ML draws the
language first and leaves the word when that dictionary lacks it), so `word_ratio` is the share of the *switchable*
words that are switched; multi-word entries are switched as a unit (longest match); for token classification the
BIO tags follow the words (see `hf_lowres.data.lexical_substitution`).

References: Qin, Ni, Zhang, Che (2020), "CoSDA-ML: Multi-Lingual Code-Switching Data Augmentation for Zero-Shot
Cross-Lingual NLP", IJCAI 2020.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from datasets import Dataset
from transformers import TrainerCallback

from .lexical_substitution import Sentence, parse_text, parse_tokens
from .lexicon import Lexicon
from .word_translation import row_rng, tag_names_of


IGNORE_INDEX = -100
"""The label of sub-word pieces after the first and of special tokens (ignored by the loss)."""


def _check_ratio(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0):
        raise ValueError(f"`{name}` must be a number in [0, 1], got {value!r}.")
    return float(value)


class CodeSwitchingTransform:
    """A `datasets` transform that code-switches sentences, anew at each epoch (CoSDA-ML, Qin et al., 2020).

    Called on a batch (a dict of columns), it returns the batch with the text (or tokens and tags) code-switched
    and, when a tokenizer is given, the model inputs of the switched text: `input_ids`, `attention_mask` (and
    `token_type_ids` when the tokenizer makes them), plus `labels` aligned to the sub-words for token
    classification (the first piece of a word carries its tag, the others and special tokens `IGNORE_INDEX`). Every
    other column passes through.

    Args:
        lexicons (`Mapping[str, Lexicon]` or `Sequence[Lexicon]`): one lexicon per target language, all from the
            language of the training data.
        word_ratio (`float`, defaults to 0.5): probability that a switchable word (one some lexicon has) is
            switched.
        sentence_ratio (`float`, defaults to 1.0): probability that a sentence is code-switched at all.
        seed (`int`, defaults to 0): the seed; with the epoch and the sentence it decides every draw.
        text_column (`str`, defaults to `"text"`): the text of sequence-classification rows.
        tokens_column (`str`, *optional*): the tokens of token-classification rows (then `text_column` is unused).
        tags_column (`str`, *optional*): their BIO tags (ids; names through `tag_names`).
        tag_names (`Sequence[str]`, *optional*): the BIO tag of each id; `apply_code_switching` takes them from the
            dataset's `ClassLabel` when not given.
        tokenizer (`PreTrainedTokenizerBase`, *optional*): tokenize the switched text (a fast tokenizer for tokens).
        max_length (`int`, *optional*): truncate to this many tokens; the tokenizer's maximum by default.
        preserve_case (`bool`, defaults to `True`): a capitalized word gives a capitalized translation.
        language_column (`str`, *optional*, defaults to `"lang"`): when the rows have this column, only rows in the
            lexicons' source language are switched (others, e.g. word-translated copies, pass unchanged).

    Example:

    ```python
    >>> switch = CodeSwitchingTransform({"ace": eng_ace, "ban": eng_ban}, word_ratio=1.0)
    >>> switch.switch_text("I like this house", epoch=0)
    'I like this rumoh'
    ```
    """

    def __init__(
        self,
        lexicons: Mapping[str, Lexicon] | Sequence[Lexicon],
        word_ratio: float = 0.5,
        sentence_ratio: float = 1.0,
        seed: int = 0,
        text_column: str = "text",
        tokens_column: str | None = None,
        tags_column: str | None = None,
        tag_names: Sequence[str] | None = None,
        tokenizer=None,
        max_length: int | None = None,
        preserve_case: bool = True,
        language_column: str | None = "lang",
    ):
        lexicons = list(lexicons.values()) if isinstance(lexicons, Mapping) else list(lexicons)
        if not lexicons:
            raise ValueError("`lexicons` is empty: give at least one lexicon.")
        sources = sorted({lexicon.source_lang for lexicon in lexicons})
        if len(sources) > 1:
            raise ValueError(f"the lexicons translate from several languages {sources}; expected one.")
        # Sorted by target language so that the draws do not depend on the order the lexicons were given in.
        self.lexicons = sorted(lexicons, key=lambda lexicon: (lexicon.target_lang, lexicon.name))
        self.source_lang = sources[0]
        self.word_ratio = _check_ratio("word_ratio", word_ratio)
        self.sentence_ratio = _check_ratio("sentence_ratio", sentence_ratio)
        self.seed = int(seed)
        self.text_column = text_column
        self.tokens_column = tokens_column
        self.tags_column = tags_column
        if tags_column is not None and tokens_column is None:
            raise ValueError("`tags_column` needs `tokens_column` (the tokens the tags belong to).")
        self.tag_names = list(tag_names) if tag_names is not None else None
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.preserve_case = preserve_case
        self.language_column = language_column
        if tokenizer is not None and tokens_column is not None and not getattr(tokenizer, "is_fast", False):
            raise ValueError("token classification needs a fast tokenizer (for `word_ids()`) to align the labels.")
        self.epoch = 0

    @property
    def languages(self) -> list[str]:
        """The target languages words are switched into."""
        return [lexicon.target_lang for lexicon in self.lexicons]

    def set_epoch(self, epoch: int) -> None:
        """Draws the next reads for `epoch` (`CodeSwitchingCallback` calls it at the start of every epoch)."""
        self.epoch = int(epoch)

    # ---- one sentence ----

    def _replacements(self, sentence: Sentence, rng) -> dict[int, tuple[int, str]]:
        if not len(sentence) or rng.random() >= self.sentence_ratio:
            return {}
        keys = {True: None, False: None}
        replacements, i = {}, 0
        while i < len(sentence):
            candidates = []
            for lexicon in self.lexicons:
                if keys[lexicon.lowercase] is None:
                    keys[lexicon.lowercase] = sentence.keys(lexicon.lowercase)
                match = lexicon.longest_match(keys[lexicon.lowercase], sentence.breaks, i)
                if match is not None:
                    candidates.append(match)
            if candidates and rng.random() < self.word_ratio:
                length, translations = candidates[rng.randrange(len(candidates))]
                replacements[i] = (length, translations[rng.randrange(len(translations))])
                i += length
            else:
                i += 1
        return replacements

    def switch_text(self, text: str, epoch: int | None = None) -> str:
        """The text code-switched as it is read in `epoch` (the current epoch by default)."""
        epoch = self.epoch if epoch is None else epoch
        sentence = parse_text(text)
        replacements = self._replacements(sentence, row_rng(self.seed, epoch, text))
        return sentence.rewrite(replacements, self.preserve_case) if replacements else text

    def switch_tokens(
        self, tokens: Sequence[str], tags: Sequence[str] | None = None, epoch: int | None = None
    ) -> tuple[list[str], list[str] | None]:
        """Tokens (and BIO tag names) code-switched as they are read in `epoch` (the current epoch by default)."""
        epoch = self.epoch if epoch is None else epoch
        sentence = parse_tokens(tokens, tags)
        replacements = self._replacements(sentence, row_rng(self.seed, epoch, "\x1f".join(sentence.tokens)))
        if not replacements:
            return list(sentence.tokens), None if tags is None else list(tags)
        return sentence.rewrite(replacements, self.preserve_case)

    # ---- a batch ----

    def _missing(self, batch: Mapping) -> None:
        needed = [self.tokens_column, self.tags_column] if self.tokens_column else [self.text_column]
        missing = [c for c in needed if c is not None and c not in batch]
        if missing:
            raise ValueError(
                f"the code-switching transform reads the column(s) {missing}, absent from the rows (columns: "
                f"{sorted(batch)}). Keep them in the dataset (with a Trainer: `remove_unused_columns=False`, the "
                "default of CrossLingualTrainingArguments)."
            )

    def __call__(self, batch: Mapping, switch: bool = True) -> dict:
        """The batch code-switched (``switch=False``: only encoded, as `apply_code_switching` declares columns)."""
        self._missing(batch)
        out = dict(batch)
        first = self.tokens_column or self.text_column
        rows = len(batch[first])
        if not switch:
            switched = [False] * rows
        elif self.language_column is not None and self.language_column in batch:
            switched = [lang == self.source_lang for lang in batch[self.language_column]]
        else:
            switched = [True] * rows
        if self.tokens_column is None:
            texts = [self.switch_text(t) if s else t for t, s in zip(batch[self.text_column], switched)]
            out[self.text_column] = texts
            if self.tokenizer is not None:
                encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
                out.update({k: encoded[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded})
            return out
        names = self.tag_names
        all_tokens, all_tags = [], []
        for row, tokens in enumerate(batch[self.tokens_column]):
            tags = None
            if self.tags_column is not None:
                tags = list(batch[self.tags_column][row])
                if names is not None:
                    tags = [names[t] for t in tags]
            if switched[row]:
                tokens, tags = self.switch_tokens(tokens, tags)
            all_tokens.append(list(tokens))
            all_tags.append(tags)
        out[self.tokens_column] = all_tokens
        if self.tags_column is not None:
            ids = {name: i for i, name in enumerate(names)} if names is not None else None
            out[self.tags_column] = [[ids[t] for t in tags] if ids is not None else tags for tags in all_tags]
        if self.tokenizer is not None:
            encoded = self.tokenizer(all_tokens, is_split_into_words=True, truncation=True, max_length=self.max_length)
            out.update({k: encoded[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded})
            if self.tags_column is not None:
                if names is None:
                    raise ValueError("labels need tag ids: pass `tag_names` (or use `apply_code_switching`).")
                out["labels"] = [
                    _align_labels(encoded.word_ids(row), out[self.tags_column][row]) for row in range(len(all_tokens))
                ]
        return out


def _align_labels(word_ids: Sequence[int | None], tags: Sequence[int]) -> list[int]:
    labels, previous = [], None
    for word in word_ids:
        labels.append(IGNORE_INDEX if word is None or word == previous else int(tags[word]))
        previous = word
    return labels


def apply_code_switching(dataset: Dataset, transform: CodeSwitchingTransform) -> Dataset:
    """The dataset with `transform` applied on every read (`Dataset.with_transform`): code-switched anew each epoch.

    With a tokenizer in the transform, the columns it produces (`input_ids`, `attention_mask`, ... and `labels` for
    tokens) are first stored for the original text, so that the dataset declares them in `column_names`, which
    `CrossLingualTrainer` checks before training; every read replaces them with those of the switched text.
    The tag names of a `ClassLabel` tags column are given to the transform when it has none.

    Raises:
        ValueError: the dataset lacks a column the transform reads, or holds integer tags without names.
    """
    transform._missing({name: None for name in dataset.column_names})
    if transform.tags_column is not None and transform.tag_names is None:
        transform.tag_names = tag_names_of(dataset, transform.tags_column)
    if transform.tokenizer is not None:
        dataset = dataset.map(lambda batch: transform(batch, switch=False), batched=True, desc="encoding")
    return dataset.with_transform(transform)


def _epoch_of(state) -> int:
    # `state.epoch` is a float (e.g. 1.9999999 at the end of epoch 1 with many steps, or 1.5 after a resume).
    epoch = float(state.epoch or 0.0)
    nearest = round(epoch)
    return nearest if abs(epoch - nearest) < 1e-4 else math.floor(epoch)


class CodeSwitchingCallback(TrainerCallback):
    """Moves a `CodeSwitchingTransform` to the trainer's epoch at the start of each epoch (and of training).

    Raises (at the start of training):
        ValueError: with persistent dataloader workers, which would keep reading the first epoch's mixes.
    """

    def __init__(self, transform: CodeSwitchingTransform):
        self.transform = transform

    def on_train_begin(self, args, state, control, **kwargs):
        if getattr(args, "dataloader_persistent_workers", False) and getattr(args, "dataloader_num_workers", 0) > 0:
            raise ValueError(
                "code-switching draws new mixes each epoch, which persistent dataloader workers never see (they keep "
                "their copy of the transform): set `dataloader_persistent_workers=False`."
            )
        self.transform.set_epoch(_epoch_of(state))

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.transform.set_epoch(_epoch_of(state))


__all__ = ["IGNORE_INDEX", "CodeSwitchingCallback", "CodeSwitchingTransform", "apply_code_switching"]
