"""Noising of synthetic sources for noised back-translation (Edunov et al., 2018)."""

from __future__ import annotations

import random


def add_noise(
    text: str,
    rng: random.Random,
    drop_prob: float = 0.1,
    blank_prob: float = 0.1,
    blank_token: str = "<BLANK>",
    max_shift: int = 3,
) -> str:
    """Deletes words, replaces words by a filler token and shuffles words locally.

    This is the noise of Edunov et al. (2018), "Understanding Back-Translation at Scale" (after Lample et al.,
    2018): each word is deleted with probability `drop_prob` or replaced by `blank_token` with probability
    `blank_prob`, then words are permuted so that none moves more than `max_shift` positions.

    Args:
        text (`str`): a sentence; words are whitespace-separated.
        rng (`random.Random`): the random generator (seed it for reproducible noise).
        drop_prob (`float`, defaults to 0.1): probability of deleting a word.
        blank_prob (`float`, defaults to 0.1): probability of replacing a word by `blank_token`.
        blank_token (`str`, defaults to `"<BLANK>"`): the filler.
        max_shift (`int`, defaults to 3): the largest distance a word may move.

    Returns:
        `str`: the noised sentence (possibly empty when every word was deleted).
    """
    words = []
    for word in text.split():
        r = rng.random()
        if r < drop_prob:
            continue
        words.append(blank_token if r < drop_prob + blank_prob else word)
    if max_shift > 0 and len(words) > 1:
        # Sorting i + U(0, max_shift + 1) moves no word more than max_shift positions (Lample et al., 2018).
        keys = [i + rng.uniform(0, max_shift + 1) for i in range(len(words))]
        words = [w for _, w in sorted(zip(keys, words), key=lambda kw: kw[0])]
    return " ".join(words)
