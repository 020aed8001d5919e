"""Bilingual lexicons: source words and phrases with their translations, normalized, matched and composed.

A `Lexicon` maps a normalized source entry (a word or a phrase such as ``"a lot of"``) to all its translations,
in the order they were first seen. Entries are normalized once, when the lexicon is built (`normalize_entry`):
Unicode NFC, whitespace collapsed to single spaces, translators' notes in brackets removed (GATITOS has
``"ayuda (verb)"``, NusaX ``"gedok (raih, sampai)"``), and lowercase unless asked otherwise; what each step changed
is counted in `Lexicon.report`. `Lexicon.longest_match` finds the longest entry that starts at a word of a sentence,
which is what word translation and code-switching replace.

`compose_lexicons` builds a lexicon through a pivot language (English -> Indonesian from the NusaX English lexicon
inverted, then Indonesian -> Acehnese): the result records the pivot in `Lexicon.languages` and in
`Lexicon.direction` (``"eng->ind->ace"``), which is what provenance columns report.

Files are read by `hf_lowres.data.load_lexicon` (GATITOS, NusaX, MUSE, CSV/TSV with named columns, `datasets`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from .language_names import resolve_language
from .lexical_substitution import Sentence, parse_text, parse_tokens


logger = logging.getLogger(__name__)

# A note in round or square brackets, innermost first: "pike (verb)", "фамили(я)", "[formal]".
_NOTE = re.compile(r"\s*(?:\([^()\[\]]*\)|\[[^()\[\]]*\])")


@dataclass
class LexiconReport:
    """What building a lexicon read, changed and left out; every count is of (source, translation) pairs.

    Args:
        pairs_read (`int`): pairs with both sides given, handed to normalization.
        pairs_kept (`int`): distinct pairs in the lexicon.
        duplicates (`int`): pairs that were already there once normalized (dropped).
        notes_removed (`int`): pairs with a bracketed note removed from a side.
        lowercased (`int`): pairs whose case changed.
        whitespace_normalized (`int`): pairs whose whitespace or Unicode form (NFC) changed.
        empty_after_normalization (`int`): pairs dropped because a side was a note and nothing else.
        long_translations (`int`): pairs dropped for a translation longer than `max_translation_words`.
        blank_lines (`int`): blank lines skipped by the file reader.
        empty_pairs (`int`): lines or rows with an empty side (an entry nobody translated), dropped.
        malformed_skipped (`int`): malformed lines skipped (only with ``skip_malformed=True``).
        malformed_lines (`list[int]`): the first of those line (or row) numbers.
        pivot_misses (`int`): for a composed lexicon, source entries none of whose translations is an entry of
            the second lexicon (left out).
    """

    pairs_read: int = 0
    pairs_kept: int = 0
    duplicates: int = 0
    notes_removed: int = 0
    lowercased: int = 0
    whitespace_normalized: int = 0
    empty_after_normalization: int = 0
    long_translations: int = 0
    blank_lines: int = 0
    empty_pairs: int = 0
    malformed_skipped: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    pivot_misses: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LexiconCoverage:
    """How much of a text collection a lexicon covers, counting words as `longest_match` sees them.

    Args:
        words (`int`): words in the texts.
        covered_words (`int`): words inside a matched entry.
        types (`int`): distinct words (lexicon keys).
        covered_types (`int`): distinct words that were covered at least once.
        matches (`int`): matched entries.
        multi_word_matches (`int`): matched entries of more than one word.
    """

    words: int
    covered_words: int
    types: int
    covered_types: int
    matches: int
    multi_word_matches: int

    @property
    def word_coverage(self) -> float:
        """Share of the words (tokens) covered."""
        return self.covered_words / self.words if self.words else 0.0

    @property
    def type_coverage(self) -> float:
        """Share of the distinct words covered."""
        return self.covered_types / self.types if self.types else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "word_coverage": self.word_coverage, "type_coverage": self.type_coverage}


def normalize_entry(text: str, lowercase: bool = True, strip_notes: bool = True) -> tuple[str, set[str]]:
    """Normalizes one side of a lexicon pair.

    Args:
        text (`str`): the word or phrase.
        lowercase (`bool`, defaults to `True`): lowercase it.
        strip_notes (`bool`, defaults to `True`): remove bracketed translators' notes (``"pike (verb)"`` ->
            ``"pike"``).

    Returns:
        `tuple[str, set[str]]`: the normalized text (empty when only a note was there) and which of
        ``"whitespace"``, ``"notes"``, ``"case"`` changed it.
    """
    changes = set()
    normalized = " ".join(unicodedata.normalize("NFC", text).split())
    if normalized != text:
        changes.add("whitespace")
    if strip_notes:
        stripped = normalized
        while True:
            again = _NOTE.sub("", stripped)
            if again == stripped:
                break
            stripped = again
        stripped = " ".join(stripped.split())
        if stripped != normalized:
            changes.add("notes")
            normalized = stripped
    if lowercase:
        lowered = normalized.lower()
        if lowered != normalized:
            changes.add("case")
            normalized = lowered
    return normalized, changes


class Lexicon(Mapping):
    """A bilingual lexicon: normalized source entry -> its translations (a tuple, first-seen order).

    Build one with `Lexicon.from_pairs` / `Lexicon.from_dict` (which normalize) or `hf_lowres.data.load_lexicon`.
    As a `Mapping`, ``lexicon["house"]`` looks the entry up (the key is normalized the same way first).

    Args:
        entries (`Mapping[str, Sequence[str]]`): already normalized entries and translations.
        source_lang (`str`): the language code of the entries (ISO 639-3 preferred, e.g. ``"eng"``).
        target_lang (`str`): the language code of the translations.
        name (`str`, defaults to `"lexicon"`): how provenance refers to it (e.g. ``"gatitos/en_ace.tsv"``).
        pivots (`Sequence[str]`, defaults to `()`): the languages a composed lexicon went through.
        lowercase (`bool`, defaults to `True`): whether the entries were lowercased (lookups then are too).
        strip_notes (`bool`, defaults to `True`): whether bracketed notes were removed (lookups then are too).
        report (`LexiconReport`, *optional*): what building it counted.
    """

    def __init__(
        self,
        entries: Mapping[str, Sequence[str]],
        source_lang: str,
        target_lang: str,
        name: str = "lexicon",
        pivots: Sequence[str] = (),
        lowercase: bool = True,
        strip_notes: bool = True,
        report: LexiconReport | None = None,
    ):
        self.source_lang = resolve_language(source_lang, "source_lang")
        self.target_lang = resolve_language(target_lang, "target_lang")
        self.pivots = tuple(resolve_language(p, "pivot") for p in pivots)
        self.name = name
        self.lowercase = lowercase
        self.strip_notes = strip_notes
        self.report = report if report is not None else LexiconReport()
        self._entries: dict[str, tuple[str, ...]] = {}
        for source, translations in entries.items():
            translations = tuple(dict.fromkeys(translations))
            if not source or not translations or not all(translations):
                raise ValueError(
                    f"lexicon entry {source!r} -> {translations!r}: expected a non-empty source and non-empty "
                    "translations."
                )
            self._entries[source] = translations
        self._index: dict[str, tuple[str, ...]] | None = None
        self._lengths: dict[str, tuple[int, ...]] | None = None

    # ---- construction ----

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[str, str]],
        source_lang: str,
        target_lang: str,
        name: str = "lexicon",
        lowercase: bool = True,
        strip_notes: bool = True,
        max_translation_words: int | None = None,
        report: LexiconReport | None = None,
    ) -> Lexicon:
        """A lexicon from (source, translation) pairs, normalized (`normalize_entry`) and counted.

        Several translations of one source are kept (duplicates once normalized are dropped and counted).

        Args:
            pairs (`Iterable[tuple[str, str]]`): the pairs; a source may come several times.
            source_lang (`str`), target_lang (`str`): the languages.
            name (`str`, defaults to `"lexicon"`): the lexicon's name in provenance.
            lowercase (`bool`, defaults to `True`), strip_notes (`bool`, defaults to `True`): see `normalize_entry`.
            max_translation_words (`int`, *optional*): drop (and count) translations of more words than this:
                some translators give a definition instead of a translation (GATITOS' README names Tok Pisin's
                ``"wanpela liklik animal we i save stap long hol long graun"`` for *mole*).
            report (`LexiconReport`, *optional*): a report to add the counts to (a file reader's, with its blank
                and malformed lines); a new one by default.
        """
        if max_translation_words is not None and max_translation_words < 1:
            raise ValueError(f"`max_translation_words` must be >= 1 or None, got {max_translation_words}.")
        report = report if report is not None else LexiconReport()
        entries: dict[str, dict[str, None]] = {}
        for source, target in pairs:
            report.pairs_read += 1
            source_n, source_changes = normalize_entry(source, lowercase, strip_notes)
            target_n, target_changes = normalize_entry(target, lowercase, strip_notes)
            changes = source_changes | target_changes
            report.notes_removed += "notes" in changes
            report.lowercased += "case" in changes
            report.whitespace_normalized += "whitespace" in changes
            if not source_n or not target_n:
                report.empty_after_normalization += 1
                continue
            if max_translation_words is not None and len(target_n.split()) > max_translation_words:
                report.long_translations += 1
                continue
            translations = entries.setdefault(source_n, {})
            if target_n in translations:
                report.duplicates += 1
            else:
                translations[target_n] = None
        report.pairs_kept = sum(len(t) for t in entries.values())
        lexicon = cls(entries, source_lang, target_lang, name, (), lowercase, strip_notes, report)
        dropped = (
            report.empty_pairs + report.empty_after_normalization + report.long_translations + report.malformed_skipped
        )
        log = logger.warning if dropped else logger.info
        log(
            "Lexicon %s (%s): %d entries, %d pairs kept of %d read; %d duplicates, %d notes removed, %d lowercased, "
            "%d whitespace/NFC fixed; dropped: %d with an empty side, %d empty once normalized, %d longer than %s "
            "words, %d malformed.",
            name, lexicon.direction, len(lexicon), report.pairs_kept, report.pairs_read, report.duplicates,
            report.notes_removed, report.lowercased, report.whitespace_normalized, report.empty_pairs,
            report.empty_after_normalization, report.long_translations, max_translation_words,
            report.malformed_skipped,
        )  # fmt: skip
        return lexicon

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, str | Sequence[str]], source_lang: str, target_lang: str, **kwargs
    ) -> Lexicon:
        """A lexicon from ``{source: translation or [translations]}``, normalized (see `from_pairs` for kwargs)."""

        def pairs():
            for source, translations in mapping.items():
                for translation in [translations] if isinstance(translations, str) else translations:
                    yield source, translation

        return cls.from_pairs(pairs(), source_lang, target_lang, **kwargs)

    # ---- Mapping ----

    def normalize_key(self, text: str) -> str:
        """A lookup key normalized as the entries were."""
        return normalize_entry(text, self.lowercase, self.strip_notes)[0]

    def __getitem__(self, key: str) -> tuple[str, ...]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries.get(self.normalize_key(key))
        if entry is None:
            raise KeyError(key)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Lexicon({self.name!r}, {self.direction}, {len(self)} entries, {self.num_pairs} pairs)"

    def as_dict(self) -> dict[str, list[str]]:
        """``{source: [translations]}``, a plain copy."""
        return {source: list(translations) for source, translations in self._entries.items()}

    @property
    def languages(self) -> tuple[str, ...]:
        """``(source, *pivots, target)``."""
        return (self.source_lang, *self.pivots, self.target_lang)

    @property
    def direction(self) -> str:
        """``"eng->ace"``, or with the pivots of a composed lexicon ``"eng->ind->ace"``."""
        return "->".join(self.languages)

    @property
    def num_pairs(self) -> int:
        """Number of (entry, translation) pairs."""
        return sum(len(t) for t in self._entries.values())

    # ---- matching ----

    def _build_index(self) -> None:
        # Phrases keyed by their words as `parse_text` cuts them, so that a sentence's words match entries whatever
        # the punctuation inside the entry ("are you still there?" matches the words "are you still there").
        index: dict[str, dict[str, None]] = {}
        lengths: dict[str, set[int]] = {}
        for source, translations in self._entries.items():
            words = parse_text(source).keys(self.lowercase)
            if not words:
                continue
            key = " ".join(words)
            index.setdefault(key, {}).update(dict.fromkeys(translations))
            lengths.setdefault(words[0], set()).add(len(words))
        self._index = {key: tuple(t) for key, t in index.items()}
        self._lengths = {word: tuple(sorted(n, reverse=True)) for word, n in lengths.items()}

    @property
    def max_entry_words(self) -> int:
        """Words in the longest entry."""
        if self._lengths is None:
            self._build_index()
        return max((n[0] for n in self._lengths.values()), default=0)

    def longest_match(self, keys: Sequence[str], breaks: Sequence[bool], start: int) -> tuple[int, tuple] | None:
        """The longest entry that starts at word `start`.

        Args:
            keys (`Sequence[str]`): the sentence's words as keys (`Sentence.keys(lexicon.lowercase)`).
            breaks (`Sequence[bool]`): `Sentence.breaks`; an entry never spans a break.
            start (`int`): the word index.

        Returns:
            ``(number of words, translations)``, or `None` when no entry starts there.
        """
        if self._index is None:
            self._build_index()
        lengths = self._lengths.get(keys[start])
        if lengths is None:
            return None
        n = len(keys)
        for length in lengths:
            end = start + length
            if length == 1:
                translations = self._index.get(keys[start])
            elif end > n or any(breaks[start : end - 1]):
                continue
            else:
                translations = self._index.get(" ".join(keys[start:end]))
            if translations is not None:
                return length, translations
        return None

    def matches(self, sentence: Sentence) -> list[tuple[int, int, tuple[str, ...]]]:
        """Left-to-right longest matches in a sentence: ``(first word, number of words, translations)``."""
        keys = sentence.keys(self.lowercase)
        found, i = [], 0
        while i < len(keys):
            match = self.longest_match(keys, sentence.breaks, i)
            if match is None:
                i += 1
                continue
            found.append((i, match[0], match[1]))
            i += match[0]
        return found

    # ---- statistics ----

    def statistics(self) -> dict:
        """Size and shape: entries, pairs, translations per entry, multi-word entries and translations."""
        if self._index is None:
            self._build_index()
        n = len(self._entries)
        multi_source = sum(len(parse_text(s).words) > 1 for s in self._entries)
        multi_target = sum(len(t.split()) > 1 for ts in self._entries.values() for t in ts)
        return {
            "name": self.name,
            "direction": self.direction,
            "entries": n,
            "pairs": self.num_pairs,
            "translations_per_entry": self.num_pairs / n if n else 0.0,
            "entries_with_several_translations": sum(len(t) > 1 for t in self._entries.values()),
            "multi_word_entries": multi_source,
            "multi_word_translations": multi_target,
            "max_entry_words": self.max_entry_words,
            "unmatchable_entries": n - sum(1 for s in self._entries if parse_text(s).words),
        }

    def coverage(self, texts: Iterable[str | Sequence[str]]) -> LexiconCoverage:
        """How much of `texts` the lexicon covers (longest matches, as word translation uses them).

        Args:
            texts (`Iterable`): sentences, each a string or a list of tokens.
        """
        words = covered = matches = multi = 0
        types: set[str] = set()
        covered_types: set[str] = set()
        for text in texts:
            sentence = parse_text(text) if isinstance(text, str) else parse_tokens(text)
            keys = sentence.keys(self.lowercase)
            words += len(keys)
            types.update(keys)
            for start, length, _ in self.matches(sentence):
                covered += length
                matches += 1
                multi += length > 1
                covered_types.update(keys[start : start + length])
        return LexiconCoverage(words, covered, len(types), len(covered_types), matches, multi)

    # ---- algebra ----

    def invert(self, name: str | None = None) -> Lexicon:
        """The lexicon read the other way: each translation becomes an entry whose translations are its sources."""
        entries: dict[str, dict[str, None]] = {}
        for source, translations in self._entries.items():
            for translation in translations:
                entries.setdefault(translation, {})[source] = None
        report = LexiconReport(pairs_read=self.num_pairs, pairs_kept=self.num_pairs)
        return Lexicon(
            entries,
            self.target_lang,
            self.source_lang,
            name or f"inverse({self.name})",
            tuple(reversed(self.pivots)),
            self.lowercase,
            self.strip_notes,
            report,
        )

    def compose(self, other: Lexicon, name: str | None = None) -> Lexicon:
        """This lexicon followed by `other` through the pivot language (see `compose_lexicons`)."""
        return compose_lexicons(self, other, name)


def compose_lexicons(first: Lexicon, second: Lexicon, name: str | None = None) -> Lexicon:
    """A lexicon through a pivot: ``A -> B`` then ``B -> C`` gives ``A -> C`` (e.g. English -> Indonesian -> Acehnese).

    Each translation of an entry of `first` is looked up in `second` as a whole entry (normalized as `second`'s
    entries); the entry gets every translation found, in order. Entries with no translation in `second` are left
    out and counted (`report.pivot_misses`). The result's `pivots` and `direction` (``"eng->ind->ace"``) say that it
    went through a pivot, so that provenance reports it as such; pivoting compounds the ambiguity of both lexicons.

    Args:
        first (`Lexicon`): ``A -> B``.
        second (`Lexicon`): ``B -> C``.
        name (`str`, *optional*): the result's name; ``"<first> + <second>"`` by default.

    Raises:
        ValueError: `first`'s target language is not `second`'s source language.
    """
    if first.target_lang != second.source_lang:
        raise ValueError(
            f"cannot compose {first.direction} with {second.direction}: the first lexicon's target language "
            f"({first.target_lang!r}) must be the second's source language ({second.source_lang!r})."
        )
    if second._index is None:
        second._build_index()
    entries: dict[str, dict[str, None]] = {}
    misses = 0
    for source, pivots in first.items():
        found: dict[str, None] = {}
        for pivot in pivots:
            key = " ".join(parse_text(pivot).keys(second.lowercase))
            found.update(dict.fromkeys(second._index.get(key, ())))
        if found:
            entries[source] = found
        else:
            misses += 1
    pairs = sum(len(t) for t in entries.values())
    report = LexiconReport(pairs_read=first.num_pairs, pairs_kept=pairs, pivot_misses=misses)
    lexicon = Lexicon(
        entries,
        first.source_lang,
        second.target_lang,
        name or f"{first.name} + {second.name}",
        (*first.pivots, first.target_lang, *second.pivots),
        first.lowercase,
        first.strip_notes,
        report,
    )
    logger.info(
        "Composed %s: %d of %d entries of %s reach %s through %s (%d left out).",
        lexicon.direction, len(lexicon), len(first), first.name, second.name, first.target_lang, misses,
    )  # fmt: skip
    return lexicon


__all__ = ["Lexicon", "LexiconCoverage", "LexiconReport", "compose_lexicons", "normalize_entry"]
