"""Choosing the new tokens worth adding to a base vocabulary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from tokenizers import Tokenizer
from transformers import PreTrainedTokenizerBase

from .tokenizer_json import model_vocab, tokenizer_model_type


@dataclass
class NewToken:
    """A token to add to a base vocabulary.

    Args:
        token (`str`): the vocabulary entry, in the subword model's own form (`##nya` for a WordPiece continuation,
            `▁kata` for a word-initial SentencePiece piece).
        base_pieces (`list[str]`): the base tokenizer's segmentation of the same string; `mean` initialization
            averages their embeddings.
        base_piece_ids (`list[int]`): the ids of `base_pieces` in the base vocabulary.
        count (`int`): occurrences in the target tokenizer's segmentation of the corpus.
        gain (`int`): tokens saved on the corpus by this token alone, `count * (len(base_pieces) - 1)`.
        score (`float`, *optional*): the target Unigram model's log-probability of the piece.
    """

    token: str
    base_pieces: list[str]
    base_piece_ids: list[int]
    count: int = 0
    gain: int = 0
    score: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _greedy_wordpiece(word: str, vocab: dict[str, int], prefix: str, continuation: bool, unk: str) -> list[str]:
    # WordPiece is greedy longest-match-first; a continuation token is spelled with continuation pieces only.
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end]
            if start > 0 or continuation:
                piece = prefix + piece
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def base_segmentation(
    base_tokenizer: PreTrainedTokenizerBase, token: str, vocab: dict[str, int] | None = None
) -> list[str]:
    """The base tokenizer's subword model's segmentation of a vocabulary entry of the same model type.

    The entry is already normalized and pre-tokenized (it comes from a tokenizer that shares the base's normalizer
    and pre-tokenizer), so only the subword model is run. Pass `vocab` (`model_vocab(base_tokenizer)`) when calling
    this in a loop: building it for a 250k vocabulary takes a fraction of a second.
    """
    model_type = tokenizer_model_type(base_tokenizer)
    backend = base_tokenizer.backend_tokenizer
    if model_type == "WordPiece":
        prefix = backend.model.continuing_subword_prefix
        continuation = token.startswith(prefix) and len(token) > len(prefix)
        word = token[len(prefix) :] if continuation else token
        vocab = model_vocab(base_tokenizer) if vocab is None else vocab
        return _greedy_wordpiece(word, vocab, prefix, continuation, base_tokenizer.unk_token)
    return [piece.value for piece in backend.model.tokenize(token)]


def describe_token(
    base_tokenizer: PreTrainedTokenizerBase, token: str, vocab: dict[str, int] | None = None, **fields
) -> NewToken:
    """A `NewToken` for `token` with its base segmentation filled in (`vocab` as in `base_segmentation`)."""
    vocab = model_vocab(base_tokenizer) if vocab is None else vocab
    pieces = base_segmentation(base_tokenizer, token, vocab)
    unk_id = base_tokenizer.unk_token_id
    return NewToken(token=token, base_pieces=pieces, base_piece_ids=[vocab.get(p, unk_id) for p in pieces], **fields)


def select_new_tokens(
    base_tokenizer: PreTrainedTokenizerBase,
    target_tokenizer: Tokenizer,
    texts: Sequence[str],
    num_tokens: int,
    min_count: int = 2,
    exclude: set[str] | None = None,
) -> list[NewToken]:
    """The `num_tokens` target-vocabulary tokens absent from the base vocabulary that save the most tokens.

    The corpus is segmented with the target tokenizer; a token absent from the base vocabulary that occurs `count`
    times and that the base tokenizer spells with `k` pieces saves `count * (k - 1)` tokens (its `gain`). Tokens are
    ranked by gain; those the base spells as one piece (gain 0) or seen fewer than `min_count` times are skipped.
    This frequency-times-fertility ranking follows the "most frequent target tokens" selection of Yamaguchi et al.
    (2024, "Vocabulary Expansion for Low-resource Cross-lingual Transfer"), weighted by what each token saves.

    Args:
        base_tokenizer (`PreTrainedTokenizerBase`): the tokenizer to extend.
        target_tokenizer (`tokenizers.Tokenizer`): a tokenizer trained on target text with
            `train_target_tokenizer` (same model type, normalizer and pre-tokenizer).
        texts (`Sequence[str]`): the target-language corpus.
        num_tokens (`int`): how many tokens to return at most.
        min_count (`int`, defaults to 2): minimum occurrences in the segmented corpus.
        exclude (`set[str]`, *optional*): tokens never to return (e.g. already chosen for another language).

    Returns:
        `list[NewToken]`, best first.
    """
    base_vocab = model_vocab(base_tokenizer)
    specials = {t["content"] for t in json.loads(target_tokenizer.to_str()).get("added_tokens") or []}
    specials |= set(base_tokenizer.all_special_tokens)
    exclude = (exclude or set()) | specials
    counts: Counter[str] = Counter()
    for encoding in target_tokenizer.encode_batch(list(texts), add_special_tokens=False):
        counts.update(encoding.tokens)
    target_scores = {}
    target_model = json.loads(target_tokenizer.to_str())["model"]
    if target_model["type"] == "Unigram":
        target_scores = {piece: score for piece, score in target_model["vocab"]}
    candidates = []
    for token, count in counts.items():
        if count < min_count or token in base_vocab or token in exclude:
            continue
        described = describe_token(base_tokenizer, token, base_vocab, count=count, score=target_scores.get(token))
        described.gain = count * (len(described.base_pieces) - 1)
        if described.gain > 0:
            candidates.append(described)
    candidates.sort(key=lambda t: (-t.gain, -t.count, t.token))
    return candidates[:num_tokens]
