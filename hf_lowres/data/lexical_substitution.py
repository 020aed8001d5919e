"""Cutting a sentence into words and putting it back together with some words replaced.

Word translation (`word_translation.py`) and code-switching (`code_switching.py`) both replace words, or runs of
words, by their translation from a bilingual lexicon, and must leave everything else (whitespace, punctuation,
untranslated words, labels) where it was. This module is the shared part:

- `parse_text` cuts a string into words: whitespace-separated chunks with the punctuation and symbols at their
  ends peeled off (``"(Rumah,"`` -> ``"("`` + ``"Rumah"`` + ``","``). The text between two words is kept verbatim.
- `parse_tokens` does the same for a pre-tokenized sentence (token classification), one token per word.
- Two neighbouring words may be replaced together (a multi-word lexicon entry such as ``"a lot of"``) only when
  nothing but whitespace separates them, and, for tagged tokens, when their BIO tags make one unit (``O O`` or
  ``B-X I-X``): a replacement never swallows punctuation nor merges two entities.
- `Sentence.rewrite` builds the new text (or tokens and aligned BIO tags) from a set of replacements.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


_CHUNK = re.compile(r"\S+")


def _is_punctuation(char: str) -> bool:
    # Unicode punctuation (P*) and symbols (S*); combining marks (M*) belong to the word, whatever the script.
    return unicodedata.category(char)[0] in "PS"


def peel(chunk: str) -> tuple[str, str, str]:
    """Splits a whitespace-free chunk into leading punctuation, the word, trailing punctuation.

    ``"(rumah,"`` -> ``("(", "rumah", ",")``; ``"don't"`` and ``"rumah-rumah"`` keep their inner punctuation;
    a chunk made only of punctuation gives an empty word.
    """
    if chunk[:1].isalnum() and chunk[-1:].isalnum():
        return "", chunk, ""  # the common case, without a Unicode category lookup
    start, end = 0, len(chunk)
    while start < end and _is_punctuation(chunk[start]):
        start += 1
    while end > start and _is_punctuation(chunk[end - 1]):
        end -= 1
    return chunk[:start], chunk[start:end], chunk[end:]


def match_case(source: str, translation: str) -> str:
    """The translation in the case pattern of the source word: ``"Rumah"`` -> ``"Rumoh"``, ``"UN"`` -> upper."""
    if not source or not translation or not source[0].isupper():
        return translation
    if len(source) > 1 and source.isupper():
        return translation.upper()
    return translation[0].upper() + translation[1:]


def bio_entity(tag: str) -> str | None:
    """The entity type of a BIO tag (``"B-PER"`` -> ``"PER"``), `None` for ``"O"``.

    Raises:
        ValueError: the tag is neither ``O`` nor ``B-<type>`` / ``I-<type>`` (another scheme such as IOBES).
    """
    if tag == "O":
        return None
    if len(tag) > 2 and tag[:2] in ("B-", "I-"):
        return tag[2:]
    raise ValueError(f"tag {tag!r} is not a BIO tag; expected 'O', 'B-<type>' or 'I-<type>'.")


@dataclass
class Sentence:
    """A sentence cut into words, ready for lexical substitution.

    Args:
        words (`list[str]`): the words, in their original case.
        breaks (`list[bool]`): ``breaks[i]`` is True when words ``i`` and ``i + 1`` may not be replaced together
            (punctuation between them, or tags of two different units); one shorter than `words`.
        gaps (`list[str]`, *optional*): for a text, what lies before, between and after the words (one longer than
            `words`), kept verbatim.
        tokens (`list[str]`, *optional*): for a token sentence, the tokens; words are the tokens with a non-empty
            word part.
        token_parts (`list[tuple[str, str, str]]`, *optional*): each token peeled (see `peel`).
        word_tokens (`list[int]`, *optional*): the token index of each word.
        tags (`list[str]`, *optional*): the BIO tag of each token.
    """

    words: list[str]
    breaks: list[bool]
    gaps: list[str] | None = None
    tokens: list[str] | None = None
    token_parts: list[tuple[str, str, str]] | None = None
    word_tokens: list[int] | None = None
    tags: list[str] | None = None

    def __len__(self) -> int:
        return len(self.words)

    def keys(self, lowercase: bool) -> list[str]:
        """The words as lexicon keys: NFC, lowercased when the lexicon is."""
        keys = [w if w.isascii() else unicodedata.normalize("NFC", w) for w in self.words]
        return [k.lower() for k in keys] if lowercase else keys

    def rewrite(self, replacements: Mapping[int, tuple[int, str]], preserve_case: bool = True):
        """The sentence with word runs replaced.

        Args:
            replacements (`Mapping[int, tuple[int, str]]`): first word index -> (number of words replaced, the
                replacement). Runs must not overlap and must not cross a break.
            preserve_case (`bool`, defaults to `True`): give the replacement the case pattern of the first word
                replaced (`match_case`).

        Returns:
            `str` for a text; ``(tokens, tags)`` for a token sentence (``tags`` is `None` when it had none). A word
            that becomes several tokens keeps its tag on the first, the others get ``I-<type>`` (``O`` stays ``O``);
            several words that become one token take the first word's tag.
        """
        if self.gaps is not None:
            return self._rewrite_text(replacements, preserve_case)
        return self._rewrite_tokens(replacements, preserve_case)

    def _check_run(self, start: int, length: int) -> None:
        if length < 1 or start + length > len(self.words) or any(self.breaks[start : start + length - 1]):
            raise ValueError(f"replacement of words [{start}, {start + length}) crosses a break or the sentence end.")

    def _rewrite_text(self, replacements, preserve_case: bool) -> str:
        pieces = [self.gaps[0]]
        i, n = 0, len(self.words)
        while i < n:
            if i in replacements:
                length, replacement = replacements[i]
                self._check_run(i, length)
                pieces.append(match_case(self.words[i], replacement) if preserve_case else replacement)
                i += length
            else:
                pieces.append(self.words[i])
                i += 1
            pieces.append(self.gaps[i])
        return "".join(pieces)

    def _rewrite_tokens(self, replacements, preserve_case: bool):
        starts = {self.word_tokens[start]: (start, length, text) for start, (length, text) in replacements.items()}
        tokens: list[str] = []
        tags: list[str] | None = [] if self.tags is not None else None
        t, n = 0, len(self.tokens)
        while t < n:
            if t not in starts:
                tokens.append(self.tokens[t])
                if tags is not None:
                    tags.append(self.tags[t])
                t += 1
                continue
            start, length, text = starts[t]
            self._check_run(start, length)
            last = self.word_tokens[start + length - 1]
            prefix = self.token_parts[t][0]
            suffix = self.token_parts[last][2]
            new = (match_case(self.words[start], text) if preserve_case else text).split()
            if not new:
                raise ValueError(f"the replacement of token {t} is empty.")
            new[0] = prefix + new[0]
            new[-1] = new[-1] + suffix
            tokens.extend(new)
            if tags is not None:
                first = self.tags[t]
                entity = bio_entity(first)
                tags.extend([first] + ["O" if entity is None else f"I-{entity}"] * (len(new) - 1))
            t = last + 1
        return tokens, tags


def parse_text(text: str) -> Sentence:
    """Cuts a text into words (see the module docstring); the text between words is kept for `Sentence.rewrite`."""
    gaps, words = [], []
    last_end = 0
    for match in _CHUNK.finditer(text):
        prefix, word, suffix = peel(match.group())
        if not word:
            continue  # punctuation only: part of the gap
        start = match.start() + len(prefix)
        gaps.append(text[last_end:start])
        words.append(word)
        last_end = match.end() - len(suffix)
    gaps.append(text[last_end:])
    # Two words may be replaced together only when whitespace alone separates them.
    breaks = [bool(gaps[i + 1].strip()) for i in range(len(words) - 1)]
    return Sentence(words=words, breaks=breaks, gaps=gaps)


def parse_tokens(tokens: Sequence[str], tags: Sequence[str] | None = None) -> Sentence:
    """Cuts a pre-tokenized sentence into words, one per token that is not punctuation only.

    Args:
        tokens (`Sequence[str]`): the tokens.
        tags (`Sequence[str]`, *optional*): their BIO tags (names such as ``"B-PER"``), one per token.

    Raises:
        ValueError: `tags` has another length than `tokens`, or holds a tag that is not BIO.
    """
    tokens = [str(token) for token in tokens]
    if tags is not None:
        tags = list(tags)
        if len(tags) != len(tokens):
            raise ValueError(f"{len(tags)} tags for {len(tokens)} tokens; expected one tag per token.")
        entities = [bio_entity(tag) for tag in tags]
    parts = [peel(token) for token in tokens]
    word_tokens = [t for t, (_, word, _) in enumerate(parts) if word]
    words = [parts[t][1] for t in word_tokens]
    breaks = []
    for a, b in zip(word_tokens, word_tokens[1:]):
        blocked = b != a + 1 or bool(parts[a][2]) or bool(parts[b][0])
        if tags is not None and not blocked:
            # One unit: O followed by O, or an entity continued by I- of the same type.
            same_unit = tags[b] == "O" if entities[a] is None else tags[b] == f"I-{entities[a]}"
            blocked = not same_unit
        breaks.append(blocked)
    return Sentence(words=words, breaks=breaks, tokens=tokens, token_parts=parts, word_tokens=word_tokens, tags=tags)


__all__ = ["Sentence", "bio_entity", "match_case", "parse_text", "parse_tokens", "peel"]
