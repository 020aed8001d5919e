"""Deterministic, seeded input perturbations for robustness evaluation of cross-lingual transfer.

Noise of the kinds low-resource text carries (typos, missing diacritics, inconsistent casing and punctuation,
code-switching), following Manafi & Krishnaswamy (2024), "Cross-Lingual Transfer Robustness to Lower-Resource
Languages on Adversarial Datasets". Every perturbation works word by word: each word is perturbed with probability
`rate`, from a random stream seeded by ``(seed, kind, text)``, so the same input always gives the same output.
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence


PERTURBATION_KINDS = (
    "char_swap",
    "char_delete",
    "char_insert",
    "strip_diacritics",
    "lowercase",
    "uppercase",
    "random_case",
    "remove_punctuation",
    "code_switch",
)

# Whole-text conventions apply to every word unless a rate is given; typos and code-switching touch a few words.
DEFAULT_RATES = {
    "char_swap": 0.1,
    "char_delete": 0.1,
    "char_insert": 0.1,
    "strip_diacritics": 1.0,
    "lowercase": 1.0,
    "uppercase": 1.0,
    "random_case": 0.5,
    "remove_punctuation": 1.0,
    "code_switch": 0.3,
}

_WHITESPACE = re.compile(r"(\s+)")


def _rng(seed: int, kind: str, text: str) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED: reproducible across runs.
    return random.Random(f"{seed}\x1f{kind}\x1f{text}")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _strip_diacritics(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _letter_positions(word: str) -> list[int]:
    return [i for i, c in enumerate(word) if c.isalpha()]


def _perturb_word(
    word: str, kind: str, rng: random.Random, alphabet: str, lexicon: Mapping | None, keep_nonempty: bool
) -> str:
    """One perturbation of one word. With `keep_nonempty`, a word is never reduced to nothing."""
    letters = _letter_positions(word)
    if kind == "char_swap":
        pairs = [
            i for i in range(len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha() and word[i] != word[i + 1]
        ]
        if not pairs:
            return word
        i = rng.choice(pairs)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "char_delete":
        if not letters or (keep_nonempty and len(word) < 2):
            return word
        i = rng.choice(letters)
        return word[:i] + word[i + 1 :]
    if kind == "char_insert":
        i = rng.randint(0, len(word))
        return word[:i] + rng.choice(alphabet) + word[i:]
    if kind == "strip_diacritics":
        return _strip_diacritics(word)
    if kind == "lowercase":
        return word.lower()
    if kind == "uppercase":
        return word.upper()
    if kind == "random_case":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
    if kind == "remove_punctuation":
        stripped = "".join(c for c in word if not _is_punctuation(c))
        return word if keep_nonempty and not stripped else stripped
    if kind == "code_switch":
        if not lexicon:
            raise ValueError("code_switch needs a `lexicon` (see `load_bilingual_lexicon`)")
        # Punctuation around the word stays where it was: "tidak," -> "ora,".
        match = re.fullmatch(r"(\W*)(.*?)(\W*)", word)
        prefix, core, suffix = match.groups()
        translations = lexicon.get(core.lower())
        if translations is None:
            return word
        if isinstance(translations, str):
            translations = [translations]
        if keep_nonempty:
            # A token must stay one token: multi-word translations would shift the labels.
            translations = [t for t in translations if not _WHITESPACE.search(t)]
        if not translations:
            return word
        return prefix + _match_case(core, rng.choice(sorted(translations))) + suffix
    raise ValueError(f"unknown perturbation {kind!r}; expected one of {PERTURBATION_KINDS}")


def _alphabet(text: str) -> str:
    """Insertions draw from the letters of the text itself, so they stay in its script."""
    letters = sorted({c.lower() for c in text if c.isalpha()})
    return "".join(letters) or string.ascii_lowercase


def _check(kind: str, rate: float | None) -> float:
    if kind not in PERTURBATION_KINDS:
        raise ValueError(f"unknown perturbation {kind!r}; expected one of {PERTURBATION_KINDS}")
    rate = DEFAULT_RATES[kind] if rate is None else rate
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"`rate` must be in [0, 1], got {rate}")
    return rate


def perturb(
    text: str, kind: str, rate: float | None = None, seed: int = 0, lexicon: Mapping[str, Sequence[str]] | None = None
) -> str:
    """Perturbs a sentence deterministically.

    Args:
        text (`str`): the input sentence.
        kind (`str`): one of `PERTURBATION_KINDS`: ``"char_swap"`` (two adjacent letters), ``"char_delete"``,
            ``"char_insert"`` (a letter of the text's own alphabet), ``"strip_diacritics"``, ``"lowercase"``,
            ``"uppercase"``, ``"random_case"``, ``"remove_punctuation"``, ``"code_switch"`` (a word replaced by a
            translation from `lexicon`).
        rate (`float`, *optional*): probability that each word is perturbed (one edit per word); defaults to
            ``DEFAULT_RATES[kind]``.
        seed (`int`, defaults to 0): seed; the random stream also depends on `kind` and `text`.
        lexicon (`Mapping[str, Sequence[str]]`, *optional*): lowercase word -> translations, for ``"code_switch"``
            (see `load_bilingual_lexicon`).

    Returns:
        `str`: the perturbed sentence; whitespace between words is kept.

    Example:

    ```python
    >>> perturb("Makanan ini sangat enak!", "remove_punctuation")
    'Makanan ini sangat enak'
    >>> perturb("saya tidak suka", "code_switch", rate=1.0, lexicon={"tidak": ["ora"]})
    'saya ora suka'
    ```
    """
    rate = _check(kind, rate)
    rng = _rng(seed, kind, text)
    alphabet = _alphabet(text)
    pieces = _WHITESPACE.split(text)
    emptied = []
    for i in range(0, len(pieces), 2):  # even pieces are words, odd ones the whitespace between them
        if pieces[i] and rng.random() < rate:
            pieces[i] = _perturb_word(pieces[i], kind, rng, alphabet, lexicon, keep_nonempty=False)
            if not pieces[i]:
                emptied.append(i)
    # A word emptied by the perturbation (a lone "!") takes one neighbouring whitespace along: no doubled spaces.
    dropped = set()
    for i in emptied:
        dropped.update((i, i - 1) if i > 0 else (i, i + 1))
    return "".join(piece for j, piece in enumerate(pieces) if j not in dropped)


def perturb_tokens(
    tokens: Sequence[str],
    labels: Sequence | None = None,
    kind: str = "char_swap",
    rate: float | None = None,
    seed: int = 0,
    lexicon: Mapping[str, Sequence[str]] | None = None,
) -> tuple[list[str], list | None]:
    """Perturbs a pre-tokenized sentence for token classification, keeping one label per token.

    Perturbations act within tokens and never change their number: a token is never emptied (a punctuation
    token stays as it is under ``"remove_punctuation"``, a one-letter token is not deleted) and code-switching
    only uses single-word translations. The labels therefore stay aligned and are returned unchanged.

    Args:
        tokens (`Sequence[str]`): the words of the sentence.
        labels (`Sequence`, *optional*): one label per token (ids or tags).
        kind, rate, seed, lexicon: see `perturb`.

    Returns:
        `tuple[list[str], list | None]`: the perturbed tokens and a copy of the labels.
    """
    if labels is not None and len(labels) != len(tokens):
        raise ValueError(f"{len(labels)} labels for {len(tokens)} tokens")
    rate = _check(kind, rate)
    rng = _rng(seed, kind, "\x1e".join(tokens))
    alphabet = _alphabet("".join(tokens))
    perturbed = [
        _perturb_word(token, kind, rng, alphabet, lexicon, keep_nonempty=True)
        if token and rng.random() < rate
        else token
        for token in tokens
    ]
    return perturbed, (list(labels) if labels is not None else None)
