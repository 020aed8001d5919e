"""FOCUS-style weights: a new token's embedding as a similarity-weighted mean of overlapping tokens."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer
from transformers import PreTrainedTokenizerBase

from .token_selection import NewToken
from .tokenizer_json import model_vocab


def sparsemax(scores: np.ndarray) -> np.ndarray:
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of `scores` onto the probability simplex.

    Unlike softmax it gives exactly zero weight to low scores, so each new token is built from a few close anchors.
    """
    z = np.sort(scores)[::-1]
    cumulative = np.cumsum(z)
    k = np.arange(1, len(z) + 1)
    support = 1 + k * z > cumulative
    k_max = k[support][-1]
    tau = (cumulative[k_max - 1] - 1) / k_max
    return np.maximum(scores - tau, 0.0)


def auxiliary_embeddings(
    target_tokenizer: Tokenizer, texts: Sequence[str], dim: int = 64, window: int = 2, num_contexts: int = 2000
) -> tuple[np.ndarray, dict[str, int]]:
    """Static embeddings of the target tokens: truncated SVD of the positive PMI matrix of token / context-token
    co-occurrences in the corpus segmented with `target_tokenizer` (a small, dependency-free stand-in for the fastText
    model FOCUS trains). Contexts are the `num_contexts` most frequent tokens, which bounds memory and time.

    Returns:
        `(vectors, index)`: unit-norm row vectors (all zero for a token never seen) and token -> row.
    """
    vocab = target_tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    sequences = [e.ids for e in target_tokenizer.encode_batch(list(texts), add_special_tokens=False)]
    frequency = np.bincount(
        np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences] or [[0]]), minlength=size
    )
    contexts = np.argsort(-frequency, kind="stable")[: min(num_contexts, size)]
    context_column = np.full(size, -1, dtype=np.int64)
    context_column[contexts] = np.arange(len(contexts))
    counts = np.zeros((size, len(contexts)), dtype=np.float64)
    for ids in sequences:
        ids = np.asarray(ids, dtype=np.int64)
        for offset in range(1, window + 1):
            if len(ids) <= offset:
                continue
            for words, neighbours in ((ids[:-offset], ids[offset:]), (ids[offset:], ids[:-offset])):
                columns = context_column[neighbours]
                known = columns >= 0
                np.add.at(counts, (words[known], columns[known]), 1.0)
    total = counts.sum()
    if total == 0:
        return np.zeros((size, 1)), vocab
    rows = counts.sum(axis=1, keepdims=True)
    cols = counts.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts * total / (rows * cols))
    ppmi = np.nan_to_num(np.maximum(pmi, 0.0), nan=0.0, posinf=0.0, neginf=0.0)
    # Truncated SVD through the small Gram matrix: ppmi = U S V^T, so U S = ppmi V.
    eigenvalues, eigenvectors = np.linalg.eigh(ppmi.T @ ppmi)
    order = np.argsort(eigenvalues)[::-1][: min(dim, len(eigenvalues))]
    singular = np.sqrt(np.maximum(eigenvalues[order], 0.0))
    vectors = (ppmi @ eigenvectors[:, order]) / np.sqrt(np.maximum(singular, 1e-12))  # U * sqrt(S)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0), vocab


def focus_weights(
    base_tokenizer: PreTrainedTokenizerBase,
    target_tokenizer: Tokenizer,
    texts: Sequence[str],
    new_tokens: Sequence[NewToken],
    dim: int = 64,
) -> list[dict[int, float] | None]:
    """For each new token, base ids and weights of the overlapping tokens its embedding is built from (FOCUS).

    FOCUS (Dobler & de Melo, 2023, "FOCUS: Effective Embedding Initialization for Monolingual Specialization of
    Multilingual Models") initializes a new token as the sparsemax-weighted mean of the embeddings of the *overlapping*
    tokens (in both the target and the base vocabulary), weighted by similarity in an auxiliary static embedding space
    trained on target text; WECHSEL (Minixhofer et al., 2022) does the same with aligned word embeddings. Here the
    auxiliary space is `auxiliary_embeddings` (PPMI + SVD). A new token without co-occurrence data, or a corpus without
    overlapping tokens, gives `None` (the caller falls back to the mean of the token's base pieces).
    """
    vectors, index = auxiliary_embeddings(target_tokenizer, texts, dim=dim)
    base_vocab = model_vocab(base_tokenizer)
    specials = set(base_tokenizer.all_special_tokens)
    anchors = [t for t in index if t in base_vocab and t not in specials and np.any(vectors[index[t]])]
    if not anchors:
        return [None] * len(new_tokens)
    anchor_vectors = vectors[[index[t] for t in anchors]]
    anchor_ids = np.array([base_vocab[t] for t in anchors])
    result: list[dict[int, float] | None] = []
    for token in new_tokens:
        row = index.get(token.token)
        if row is None or not np.any(vectors[row]):
            result.append(None)
            continue
        weights = sparsemax(anchor_vectors @ vectors[row])
        keep = np.nonzero(weights)[0]
        result.append({int(anchor_ids[i]): float(weights[i]) for i in keep})
    return result
