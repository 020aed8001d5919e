"""Vocabulary expansion: new target-language tokens in the tokenizer and well-initialized rows in the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .embedding_init import INIT_METHODS, initialize_new_embeddings, resize_for_new_tokens
from .focus import focus_weights
from .target_tokenizer import train_target_tokenizer
from .token_selection import NewToken, select_new_tokens
from .tokenizer_extension import extend_tokenizer


@dataclass
class VocabularyExpansion:
    """What `expand_vocabulary` did.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the extended tokenizer (save it beside the model or adapter).
        new_tokens (`list[NewToken]`): the added tokens, in id order.
        new_token_ids (`list[int]`): their ids; pass them to `trainable_token_indices` to train only these rows.
        init (`str`): the initialization used.
        vocab_size_before (`int`) / vocab_size_after (`int`): tokenizer sizes.
    """

    tokenizer: PreTrainedTokenizerBase
    new_tokens: list[NewToken]
    new_token_ids: list[int]
    init: str
    vocab_size_before: int
    vocab_size_after: int
    languages: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-friendly summary (no tokenizer object)."""
        return {
            "init": self.init,
            "vocab_size_before": self.vocab_size_before,
            "vocab_size_after": self.vocab_size_after,
            "num_new_tokens": len(self.new_tokens),
            "new_tokens_per_language": dict(self.languages),
            "new_tokens": [t.to_dict() | {"id": i} for t, i in zip(self.new_tokens, self.new_token_ids)],
        }


def expand_vocabulary(
    model: PreTrainedModel | None,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str] | Mapping[str, Sequence[str]],
    num_new_tokens: int = 1000,
    init: str = "mean",
    target_vocab_size: int = 8000,
    min_count: int = 2,
    seed: int = 0,
) -> VocabularyExpansion:
    """Adds target-language tokens to `tokenizer` and matching, initialized embedding rows to `model` (in place).

    Steps: train a tokenizer of the base's model type on `texts` (`train_target_tokenizer`); keep the
    `num_new_tokens` tokens absent from the base vocabulary that save the most tokens (`select_new_tokens`); add them
    to the subword model (`extend_tokenizer`); resize the input (and tied output) embeddings; initialize the new rows
    (`initialize_new_embeddings`). Rows of old ids are untouched, so inputs whose segmentation does not change give
    the same outputs as before. The same arguments give the same tokens, ids and `tokenizer.json` in every process:
    target tokenizers are trained reproducibly (`train_target_tokenizer`) and candidates are ranked by
    (gain, count, token).

    Mean initialization is the default: Yamaguchi et al. (2024, "Vocabulary Expansion for Low-resource Cross-lingual
    Transfer") find it robust with little target data; `focus` follows Dobler & de Melo (2023, "FOCUS") and WECHSEL
    (Minixhofer et al., 2022); `random` is the baseline.

    Args:
        model (`PreTrainedModel`, *optional*): the model to resize (a hf_lowres model or any transformers model);
            `None` extends the tokenizer only.
        tokenizer (`PreTrainedTokenizerBase`): the model's fast tokenizer (WordPiece, Unigram or BPE).
        texts (`Sequence[str]` or `Mapping[str, Sequence[str]]`): target-language text. A mapping from language code to
            texts trains one target tokenizer per language and adds up to `num_new_tokens` tokens *per language*
            (tokens chosen for an earlier language are not counted again).
        num_new_tokens (`int`, defaults to 1000): the budget (per language when `texts` is a mapping).
        init (`str`, defaults to `"mean"`): `mean`, `focus` or `random`.
        target_vocab_size (`int`, defaults to 8000): vocabulary size of each target tokenizer.
        min_count (`int`, defaults to 2): a new token must occur this often in the segmented corpus.
        seed (`int`, defaults to 0): seed of the `random` initialization.

    Returns:
        `VocabularyExpansion`: the new tokenizer, the new tokens and their ids.

    Example:

    ```python
    >>> expansion = expand_vocabulary(model, tokenizer, {"jav": jav_texts, "sun": sun_texts}, num_new_tokens=500)
    >>> tokenizer = expansion.tokenizer  # model's embeddings now have len(tokenizer) rows or more
    ```
    """
    if init not in INIT_METHODS:
        raise ValueError(f"unknown initialization {init!r}; expected one of {INIT_METHODS}.")
    corpora = dict(texts) if isinstance(texts, Mapping) else {"": list(texts)}
    selected: list[NewToken] = []
    weights: list[dict[int, float] | None] = []
    per_language: dict[str, int] = {}
    chosen: set[str] = set()
    for language, language_texts in corpora.items():
        language_texts = list(language_texts)
        target = train_target_tokenizer(tokenizer, language_texts, vocab_size=target_vocab_size)
        tokens = select_new_tokens(tokenizer, target, language_texts, num_new_tokens, min_count, exclude=chosen)
        for token in tokens:
            if language:
                token.extra["language"] = language
        if init == "focus":
            weights.extend(focus_weights(tokenizer, target, language_texts, tokens))
        chosen.update(t.token for t in tokens)
        selected.extend(tokens)
        if language:
            per_language[language] = len(tokens)
    weight_of = dict(zip((t.token for t in selected), weights)) if init == "focus" else {}
    extended, added = extend_tokenizer(tokenizer, selected)
    new_ids = extended.convert_tokens_to_ids([t.token for t in added])
    if model is not None:
        resize_for_new_tokens(model, len(extended))
        initialize_new_embeddings(
            model,
            added,
            new_ids,
            method=init,
            weights=[weight_of.get(t.token) for t in added] if init == "focus" else None,
            seed=seed,
        )
    return VocabularyExpansion(
        tokenizer=extended,
        new_tokens=added,
        new_token_ids=list(new_ids),
        init=init,
        vocab_size_before=len(tokenizer),
        vocab_size_after=len(extended),
        languages=per_language,
    )
