"""Adding new tokens to the subword model of a tokenizer (not as "added tokens")."""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from .token_selection import NewToken, describe_token
from .tokenizer_json import SUPPORTED_MODEL_TYPES, rebuild_tokenizer, tokenizer_json


UNIGRAM_SCORE_MARGIN = 0.01
"""A new Unigram piece scores at least this much above the base pieces that spell it, so that it wins over them."""


def extend_tokenizer(
    base_tokenizer: PreTrainedTokenizerBase, new_tokens: Sequence[NewToken | str]
) -> tuple[PreTrainedTokenizerBase, list[NewToken]]:
    """Adds `new_tokens` to the vocabulary of the tokenizer's subword model, after every existing id.

    The new tokens take part in ordinary segmentation, unlike `tokenizer.add_tokens`, whose "added tokens" are cut
    out of the text before the subword model runs and so split words around them:

    - WordPiece: the entries (`word` and `##piece` forms) join the vocabulary; greedy longest-match uses them.
    - Unigram (SentencePiece): the pieces join the piece list with the target model's log-probability, raised when
      needed to just above the summed scores of the base pieces that spell the same string, so the Viterbi
      segmentation of that string is the new piece.
    - BPE: the token joins the vocabulary with a chain of merges over its base segmentation (`p1 p2`, `p1p2 p3`,
      ...), appended after the base merges; the intermediate tokens are added too and returned. The base merges keep
      their priority, so a new token is produced when the base merges leave exactly its base pieces (always for the
      token's own string; inside a longer word only when base merges do not cross its boundary).

    Existing ids never change, so old inputs whose segmentation does not involve a new token encode as before.

    Args:
        base_tokenizer (`PreTrainedTokenizerBase`): a fast tokenizer whose ids are all ids of its subword model.
        new_tokens (`Sequence[NewToken | str]`): tokens in the subword model's form (see `NewToken.token`); strings
            are described against the base tokenizer.

    Returns:
        `(tokenizer, added)`: the extended tokenizer (same class and settings) and the tokens added, in id order
        (for BPE this includes intermediate tokens).
    """
    data = tokenizer_json(base_tokenizer)
    model = data["model"]
    model_type = model["type"]
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(f"unsupported tokenizer model {model_type!r}; expected one of {SUPPORTED_MODEL_TYPES}.")
    backend = base_tokenizer.backend_tokenizer
    next_id = backend.get_vocab_size(with_added_tokens=False)
    if backend.get_vocab_size(with_added_tokens=True) != next_id:
        raise ValueError(
            "the tokenizer has added tokens outside its subword model's vocabulary; new model tokens would need ids "
            "after them. Extend the tokenizer before calling `add_tokens`."
        )
    base_vocab = backend.get_vocab(with_added_tokens=False)
    tokens = [t if isinstance(t, NewToken) else describe_token(base_tokenizer, t, base_vocab) for t in new_tokens]
    added: list[NewToken] = []
    seen = set(base_vocab)

    if model_type == "WordPiece":
        for token in tokens:
            if token.token not in seen:
                model["vocab"][token.token] = next_id + len(added)
                seen.add(token.token)
                added.append(token)
    elif model_type == "Unigram":
        base_scores = {piece: score for piece, score in model["vocab"]}
        lowest = min(base_scores.values())
        for token in tokens:
            if token.token in seen:
                continue
            floor = sum(base_scores.get(p, lowest) for p in token.base_pieces)
            floor += UNIGRAM_SCORE_MARGIN
            score = floor if token.score is None else max(token.score, floor)
            token.extra["unigram_score"] = score
            model["vocab"].append([token.token, score])
            seen.add(token.token)
            added.append(token)
    else:
        merges = model["merges"]
        as_strings = bool(merges) and isinstance(merges[0], str)
        for token in tokens:
            if token.token in seen:
                continue
            current = token.base_pieces[0]
            for piece in token.base_pieces[1:]:
                merged = current + piece
                if merged not in seen:
                    model["vocab"][merged] = next_id + len(added)
                    merges.append(f"{current} {piece}" if as_strings else [current, piece])
                    seen.add(merged)
                    added.append(
                        token if merged == token.token else describe_token(base_tokenizer, merged, base_vocab)
                    )
                current = merged
    return rebuild_tokenizer(base_tokenizer, data), added
