"""Multilingual instruction data built from labeled data with prompt templates, in the manner of xP3 (Muennighoff
et al., ACL 2023, "Crosslingual Generalization through Multitask Finetuning") and Aya (Üstün et al., 2024, "Aya
Model: An Instruction Finetuned Open-Access Multilingual Language Model").

Each labeled example of an existing dataset becomes one chat exchange: the user turn is a template's instruction
filled with the example's text, the assistant turn is the answer (a label's verbalization, or the translation).
xP3 wrote its prompts in English and, in xP3mt, machine-translated them into the data's language; Aya collected
prompts written by speakers. Here every task has templates in English and Indonesian (the pivot languages, used
for data in any language) and one template in Javanese and one in Sundanese, written for this module and used only
for data in that language.

| task | source (loader) | answers | data languages | template languages |
|---|---|---|---|---|
| ``sentiment`` | NusaX-Senti (`load_nusax_sentiment`) | 3 labels | `NUSAX_LANGUAGES` (12) | eng, ind, jav, sun |
| ``translation`` | NusaTranslation (`load_nusa_translation`) | ind <-> X | `NUSA_TRANSLATION_LANGUAGES` (11) | same |
| ``topic`` | NusaParagraph (`load_nusa_paragraph`) | 8 topics | `NUSA_PARAGRAPH_LANGUAGES` (10) | same |

Per task there are 3 English, 3 Indonesian, 1 Javanese and 1 Sundanese templates (`template_languages`).

Every split is built from that split's files only (train rows from the train files, and so on). One template is
chosen per example, deterministically from the seed and the example's id, so adding a language or capping another
does not change the choice for the rest. The classification templates carry their verbalizer (label -> answer): the
``choices`` column lists a template's answers in the task's label order, ready for scoring each label by
log-likelihood (`hf_lowres.evaluation.score_verbalizations`, Brown et al., 2020).

Example:

```python
from hf_lowres.data import InstructionDataConfig, build_instruction_dataset, tokenize_instruction_dataset

config = InstructionDataConfig(tasks=["sentiment", "translation"], translation_languages=["jav", "sun"],
                               instruction_languages=["eng", "ind", "jav", "sun"], max_examples_per_language=1000)
data = build_instruction_dataset("../shared/data", config)   # DatasetDict: train / validation / test
train = tokenize_instruction_dataset(data["train"], tokenizer, max_length=512)  # labels: -100 on prompt tokens
```
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import string
import types
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset, DatasetDict, Features, List, Value
from huggingface_hub import DatasetCard, DatasetCardData

from .errors import CorpusFormatError
from .language_names import resolve_language
from .nusawrites import (
    NUSA_PARAGRAPH_LANGUAGES,
    NUSA_PARAGRAPH_TOPICS,
    NUSA_TRANSLATION_LANGUAGES,
    load_nusa_paragraph,
    load_nusa_translation,
)
from .nusawrites import _folder as _nusawrites_folder  # the loader's own lookup of the folder, reused for the ids
from .nusax import NUSAX_LANGUAGES, SENTIMENT_LABELS, load_nusax_sentiment
from .publishing import _as_dict, size_category
from .split_names import SPLIT_FILE_STEMS
from .text_reading import column_position, iter_csv


logger = logging.getLogger(__name__)

CARD_TEMPLATE_PATH = Path(__file__).with_name("instruction_card_template.md")

INSTRUCTION_TASKS = ("sentiment", "translation", "topic")
"""The instruction tasks: NusaX sentiment, NusaTranslation ind <-> X translation, NusaParagraph topic."""

TASK_LABELS: dict[str, tuple[str, ...] | None] = {
    "sentiment": tuple(SENTIMENT_LABELS),
    "translation": None,
    "topic": tuple(NUSA_PARAGRAPH_TOPICS),
}
"""Task -> its class names, in the loaders' `ClassLabel` order (None for translation)."""

TASK_LANGUAGES: dict[str, tuple[str, ...]] = {
    "sentiment": tuple(NUSAX_LANGUAGES.values()),
    "translation": NUSA_TRANSLATION_LANGUAGES,
    "topic": NUSA_PARAGRAPH_LANGUAGES,
}
"""Task -> the data languages its loader offers (ISO 639-3; for translation the language paired with ``ind``)."""

PIVOT_INSTRUCTION_LANGUAGES = ("eng", "ind")
"""Instruction languages used for data in any language; a template in another language is used only for data in
that language (for translation: when it is the source or the target)."""

TRANSLATION_DIRECTIONS = ("ind->local", "local->ind")
"""``ind->local``: Indonesian text, local-language answer (NusaTranslation's direction); ``local->ind``: reverse."""

REQUIRED_PLACEHOLDERS = {
    "sentiment": frozenset({"text"}),
    "translation": frozenset({"text", "target_language"}),
    "topic": frozenset({"text"}),
}
"""Task -> the placeholders every template of it must contain."""

ALLOWED_PLACEHOLDERS = {
    "sentiment": frozenset({"text", "options", "language"}),
    "translation": frozenset({"text", "source_language", "target_language"}),
    "topic": frozenset({"text", "options", "language"}),
}
"""Task -> the placeholders a template may contain: ``{text}`` the example's text, ``{options}`` the verbalized labels
joined in the instruction language ("negative, neutral or positive"), ``{language}``, ``{source_language}`` and
``{target_language}`` language names written in the instruction language ("bahasa Jawa")."""

TASK_SOURCES = {
    "sentiment": {
        "dataset": "NusaX-Senti",
        "license": "cc-by-sa-4.0",
        "license_note": "CC BY-SA 4.0 (nusax/LICENSE)",
        "reference": "Winata et al. (EACL 2023). NusaX: Multilingual Parallel Sentiment Dataset for 10 Indonesian "
        "Local Languages.",
    },
    "translation": {
        "dataset": "NusaTranslation (NusaWrites)",
        "license": "cc-by-sa-4.0",
        "license_note": "CC BY-SA 4.0 per the authors' dataset cards; the repository's LICENSE file is Apache-2.0",
        "reference": "Cahyawijaya et al. (IJCNLP-AACL 2023). NusaWrites: Constructing High-Quality Corpora for "
        "Underrepresented and Extremely Low-Resource Languages.",
    },
    "topic": {
        "dataset": "NusaParagraph (NusaWrites)",
        "license": "cc-by-sa-4.0",
        "license_note": "CC BY-SA 4.0 per the authors' dataset cards; the repository's LICENSE file is Apache-2.0",
        "reference": "Cahyawijaya et al. (IJCNLP-AACL 2023). NusaWrites: Constructing High-Quality Corpora for "
        "Underrepresented and Extremely Low-Resource Languages.",
    },
}
"""Task -> its source dataset, license (as the shared data's README gives it) and reference, for the dataset card."""

# Language names as written inside an instruction in each template language ("Translate ... into Javanese",
# "Terjemahkan ... ke bahasa Jawa", "Terjemahna ... menyang basa Jawa", "Tarjamahkeun ... kana basa Jawa").
_NAMES = {
    "ace": ("Acehnese", "Aceh", "Acéh"),
    "ban": ("Balinese", "Bali", "Bali"),
    "bbc": ("Toba Batak", "Batak Toba", "Batak Toba"),
    "bew": ("Betawi", "Betawi", "Betawi"),
    "bhp": ("Bima", "Bima", "Bima"),
    "bjn": ("Banjarese", "Banjar", "Banjar"),
    "btk": ("Batak", "Batak", "Batak"),
    "bug": ("Buginese", "Bugis", "Bugis"),
    "eng": ("English", "Inggris", "Inggris"),
    "ind": ("Indonesian", "Indonesia", "Indonésia"),
    "jav": ("Javanese", "Jawa", "Jawa"),
    "mad": ("Madurese", "Madura", "Madura"),
    "mak": ("Makassarese", "Makassar", "Makassar"),
    "min": ("Minangkabau", "Minangkabau", "Minangkabau"),
    "mui": ("Musi", "Musi", "Musi"),
    "nij": ("Ngaju", "Ngaju", "Ngaju"),
    "rej": ("Rejang", "Rejang", "Rejang"),
    "sun": ("Sundanese", "Sunda", "Sunda"),
    "abs": ("Ambonese Malay", "Melayu Ambon", "Melayu Ambon"),
}
LANGUAGE_NAMES_IN: dict[str, dict[str, str]] = {
    "eng": {code: names[0] for code, names in _NAMES.items()},
    "ind": {code: f"bahasa {names[1]}" for code, names in _NAMES.items()},
    "jav": {code: f"basa {'Sundha' if code == 'sun' else names[1]}" for code, names in _NAMES.items()},
    "sun": {code: f"basa {names[2]}" for code, names in _NAMES.items()},
}
"""Instruction language -> {language code -> its name in that language}, for the language placeholders."""

_OR = {"eng": "or", "ind": "atau", "jav": "utawa", "sun": "atawa"}

INSTRUCTION_FEATURES = Features(
    {
        "messages": List({"role": Value("string"), "content": Value("string")}),
        "prompt": Value("string"),
        "response": Value("string"),
        "task": Value("string"),
        "template_id": Value("string"),
        "instruction_language": Value("string"),
        "data_language": Value("string"),
        "target_language": Value("string"),
        "label": Value("string"),
        "choices": List(Value("string")),
        "split": Value("string"),
        "source_id": Value("string"),
    }
)
"""`datasets.Features` of instruction data. ``messages`` holds the user turn (``prompt``) and the assistant turn
(``response``); ``data_language`` is the language of the example's text and ``target_language`` the language of a
translation's answer (None for classification); ``label`` is the class name and ``choices`` the template's
verbalizations in the task's label order (both None for translation); ``source_id`` is the row's id in its source
file."""


def language_name(code: str, instruction_language: str) -> str:
    """The name of language `code` as written in an instruction in `instruction_language` (``"jav"``, ``"ind"`` ->
    ``"bahasa Jawa"``).

    Raises:
        ValueError: no name table for `instruction_language`, or no name for `code` in it.
    """
    if instruction_language not in LANGUAGE_NAMES_IN:
        raise ValueError(
            f"no language names are written in instruction language {instruction_language!r}; expected one of "
            f"{sorted(LANGUAGE_NAMES_IN)} (add a table to `LANGUAGE_NAMES_IN`)."
        )
    names = LANGUAGE_NAMES_IN[instruction_language]
    if code not in names:
        raise ValueError(
            f"no {instruction_language!r} name for language {code!r}; names exist for {sorted(names)} "
            "(add it to `LANGUAGE_NAMES_IN`)."
        )
    return names[code]


def _placeholders(instruction: str, template_id: str) -> set[str]:
    names = set()
    try:
        parsed = list(string.Formatter().parse(instruction))
    except ValueError as e:
        raise ValueError(f"template {template_id!r}: the instruction is not a valid format string ({e}).") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(
                f"template {template_id!r}: placeholder {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not a plain name; expected e.g. {{text}} (write a literal brace "
                "as {{ or }})."
            )
        names.add(name)
    return names


@dataclass(frozen=True)
class InstructionTemplate:
    """One prompt template of an instruction task, in one language (a "prompt" of xP3's promptsource collection).

    Args:
        id (`str`): a unique id, e.g. ``"sentiment-ind-2"``.
        task (`str`): one of `INSTRUCTION_TASKS`.
        language (`str`): the instruction's language (ISO 639-3), one of `LANGUAGE_NAMES_IN`.
        instruction (`str`): the user turn with placeholders (see `ALLOWED_PLACEHOLDERS`; `REQUIRED_PLACEHOLDERS`
            must all appear). A literal brace is written ``{{`` or ``}}``.
        verbalizer (`Mapping[str, str]`, *optional*): classification tasks only: class name -> the answer written
            in `language`, for every class of the task (`TASK_LABELS`), each answer distinct.

    Raises:
        ValueError: an unknown task or language, a missing or unknown placeholder, a verbalizer that misses a class
            or names an unknown one, repeats an answer, or is given for translation.
    """

    id: str
    task: str
    language: str
    instruction: str
    verbalizer: Mapping[str, str] | None = field(default=None, hash=False)

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"a template needs a non-empty string `id`, got {self.id!r}.")
        if self.task not in INSTRUCTION_TASKS:
            raise ValueError(
                f"template {self.id!r}: unknown task {self.task!r}; expected one of {list(INSTRUCTION_TASKS)}."
            )
        if self.language not in LANGUAGE_NAMES_IN:
            raise ValueError(
                f"template {self.id!r}: instruction language {self.language!r} has no language-name table; expected "
                f"one of {sorted(LANGUAGE_NAMES_IN)}."
            )
        found = _placeholders(self.instruction, self.id)
        missing = sorted(REQUIRED_PLACEHOLDERS[self.task] - found)
        if missing:
            required = sorted("{" + p + "}" for p in REQUIRED_PLACEHOLDERS[self.task])
            raise ValueError(
                f"template {self.id!r}: the instruction lacks placeholder(s) {['{' + m + '}' for m in missing]}; "
                f"a {self.task} template must contain {required}."
            )
        unknown = sorted(found - ALLOWED_PLACEHOLDERS[self.task])
        if unknown:
            raise ValueError(
                f"template {self.id!r}: unknown placeholder(s) {['{' + u + '}' for u in unknown]}; a {self.task} "
                f"template may use {sorted('{' + p + '}' for p in ALLOWED_PLACEHOLDERS[self.task])}."
            )
        labels = TASK_LABELS[self.task]
        if labels is None:
            if self.verbalizer is not None:
                raise ValueError(f"template {self.id!r}: a {self.task} template takes no verbalizer (its answer is "
                                 "the reference text).")  # fmt: skip
            return
        if not isinstance(self.verbalizer, Mapping):
            raise ValueError(f"template {self.id!r}: a {self.task} template needs a verbalizer (a mapping label -> "
                             f"answer) for {list(labels)}, got {self.verbalizer!r}.")  # fmt: skip
        missing = [label for label in labels if label not in self.verbalizer]
        extra = sorted(set(self.verbalizer) - set(labels))
        if missing or extra:
            raise ValueError(
                f"template {self.id!r}: the verbalizer must cover exactly the {self.task} labels {list(labels)}; "
                f"missing {missing}, unknown {extra}."
            )
        answers = [self.verbalizer[label] for label in labels]
        if any(not isinstance(a, str) or not a.strip() for a in answers) or len(set(answers)) != len(answers):
            raise ValueError(f"template {self.id!r}: every label needs a distinct, non-empty answer; got "
                             f"{dict(self.verbalizer)}.")  # fmt: skip
        object.__setattr__(
            self, "verbalizer", types.MappingProxyType({label: self.verbalizer[label] for label in labels})
        )

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholder names in `instruction`."""
        return frozenset(_placeholders(self.instruction, self.id))

    @property
    def choices(self) -> list[str] | None:
        """The answers in the task's label order (`TASK_LABELS`), or None for translation."""
        labels = TASK_LABELS[self.task]
        return None if labels is None else [self.verbalizer[label] for label in labels]

    def answer(self, label: str) -> str:
        """The verbalization of class `label`.

        Raises:
            ValueError: a translation template, or a label the verbalizer does not cover.
        """
        if self.verbalizer is None:
            raise ValueError(f"template {self.id!r} ({self.task}) has no verbalizer.")
        if label not in self.verbalizer:
            raise ValueError(f"template {self.id!r} has no verbalization for label {label!r}; it covers "
                             f"{list(self.verbalizer)}.")  # fmt: skip
        return self.verbalizer[label]

    def render(self, text: str, language: str, target_language: str | None = None) -> str:
        """The filled instruction (the user turn).

        Args:
            text (`str`): the example's text (for translation, the source sentence).
            language (`str`): the code of `text`'s language.
            target_language (`str`, *optional*): translation only: the code of the answer's language.

        Raises:
            ValueError: a translation template without `target_language`, or a language without a name in the
                template's language.
        """
        if self.task == "translation" and target_language is None:
            raise ValueError(f"template {self.id!r}: translation needs `target_language`.")
        values = {"text": text}
        needed = self.placeholders
        if "options" in needed:
            answers = self.choices
            values["options"] = f"{', '.join(answers[:-1])} {_OR.get(self.language, 'or')} {answers[-1]}"
        if "language" in needed:
            values["language"] = language_name(language, self.language)
        if "source_language" in needed:
            values["source_language"] = language_name(language, self.language)
        if "target_language" in needed:
            values["target_language"] = language_name(target_language, self.language)
        return self.instruction.format(**values)


_SENTIMENT = {
    "eng": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
    "ind": {"negative": "negatif", "neutral": "netral", "positive": "positif"},
    "jav": {"negative": "negatif", "neutral": "netral", "positive": "positif"},
    "sun": {"negative": "négatif", "neutral": "nétral", "positive": "positif"},
}
_TOPICS = {
    "eng": ["business", "culture and heritage", "food and beverages", "leisure", "religion", "daily life", "sports",
            "technology"],
    "ind": ["bisnis", "budaya dan warisan", "makanan dan minuman", "rekreasi", "agama", "kehidupan sehari-hari",
            "olahraga", "teknologi"],
    "jav": ["bisnis", "budaya lan warisan", "panganan lan ombèn-ombèn", "rekreasi", "agama", "urip saben dina",
            "olahraga", "teknologi"],
    "sun": ["bisnis", "budaya jeung warisan", "kadaharan jeung inuman", "rékréasi", "agama", "kahirupan sapopoé",
            "olahraga", "téknologi"],
}  # fmt: skip
_TOPIC = {lang: dict(zip(NUSA_PARAGRAPH_TOPICS, answers)) for lang, answers in _TOPICS.items()}


def _templates(task: str, verbalizers: Mapping[str, Mapping[str, str]] | None, texts: Mapping[str, list[str]]):
    return [
        InstructionTemplate(
            f"{task}-{lang}-{k}", task, lang, instruction, None if verbalizers is None else verbalizers[lang]
        )
        for lang, instructions in texts.items()
        for k, instruction in enumerate(instructions, start=1)
    ]


INSTRUCTION_TEMPLATES: tuple[InstructionTemplate, ...] = tuple(
    _templates("sentiment", _SENTIMENT, {
        "eng": [
            "What is the sentiment of the following text? Answer with one of: {options}.\n\nText: {text}",
            "{text}\n\nIs the sentiment of this {language} text {options}?",
            "Classify the sentiment of this {language} sentence as {options}.\nSentence: {text}\nSentiment:",
        ],
        "ind": [
            "Apa sentimen dari teks berikut? Jawab dengan salah satu dari: {options}.\n\nTeks: {text}",
            "{text}\n\nApakah sentimen teks dalam {language} ini {options}?",
            "Klasifikasikan sentimen kalimat {language} berikut sebagai {options}.\nKalimat: {text}\nSentimen:",
        ],
        "jav": ["Apa sentimen teks ing ngisor iki? Wangsulana nganggo salah siji saka: {options}.\n\nTeks: {text}"],
        "sun": ["Naon séntimén téks di handap ieu? Jawab ku salah sahiji tina: {options}.\n\nTéks: {text}"],
    })
    + _templates("translation", None, {
        "eng": [
            "Translate the following sentence from {source_language} into {target_language}.\n\n{text}",
            "{source_language} text: {text}\n{target_language} translation:",
            "What is the {target_language} translation of this {source_language} text?\n\n{text}",
        ],
        "ind": [
            "Terjemahkan kalimat berikut dari {source_language} ke {target_language}.\n\n{text}",
            "Teks {source_language}: {text}\nTerjemahan {target_language}:",
            "Apa terjemahan {target_language} dari teks {source_language} ini?\n\n{text}",
        ],
        "jav": ["Terjemahna ukara ing ngisor iki saka {source_language} menyang {target_language}.\n\n{text}"],
        "sun": ["Tarjamahkeun kalimah di handap ieu tina {source_language} kana {target_language}.\n\n{text}"],
    })
    + _templates("topic", _TOPIC, {
        "eng": [
            "What is the topic of the following paragraph? Choose one of: {options}.\n\n{text}",
            "{text}\n\nWhich topic is this {language} paragraph about: {options}?",
            "Paragraph: {text}\nTopic ({options}):",
        ],
        "ind": [
            "Apa topik paragraf berikut? Pilih salah satu dari: {options}.\n\n{text}",
            "{text}\n\nParagraf dalam {language} ini membahas topik apa: {options}?",
            "Paragraf: {text}\nTopik ({options}):",
        ],
        "jav": ["Topik paragraf ing ngisor iki apa? Pilihen salah siji saka: {options}.\n\n{text}"],
        "sun": ["Naon topik paragraf di handap ieu? Pilih salah sahiji tina: {options}.\n\n{text}"],
    })
)  # fmt: skip
"""The built-in templates: per task 3 in English, 3 in Indonesian, 1 in Javanese and 1 in Sundanese."""


def template_languages(templates: Iterable[InstructionTemplate] = INSTRUCTION_TEMPLATES) -> dict[str, list[str]]:
    """Task -> the sorted instruction languages it has templates in."""
    languages = {}
    for template in templates:
        languages.setdefault(template.task, set()).add(template.language)
    return {task: sorted(langs) for task, langs in languages.items()}


def _check_templates(templates) -> tuple[InstructionTemplate, ...]:
    templates = tuple(templates)
    if not templates:
        raise ValueError("`templates` is empty; expected at least one `InstructionTemplate`.")
    seen = set()
    for template in templates:
        if not isinstance(template, InstructionTemplate):
            raise TypeError(f"`templates` holds a {type(template).__name__}; expected `InstructionTemplate`s.")
        if template.id in seen:
            raise ValueError(f"`templates`: the id {template.id!r} is used twice; expected unique ids.")
        seen.add(template.id)
    return templates


def get_template(template_id: str, templates: Iterable[InstructionTemplate] = INSTRUCTION_TEMPLATES):
    """The template with id `template_id` (e.g. to score a built row's ``choices`` or re-render its prompt).

    Raises:
        KeyError: no template has that id (the ids are listed).
    """
    templates = tuple(templates)
    for template in templates:
        if template.id == template_id:
            return template
    raise KeyError(f"no template with id {template_id!r}; ids: {[t.id for t in templates]}.")


def _stable_int(*parts) -> int:
    """A hash of `parts` that is the same in every process (Python's `hash` of a string is salted per process)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _codes(values, task: str, argument: str) -> list[str]:
    codes = []
    for value in values:
        code = resolve_language(value, argument)
        if code not in TASK_LANGUAGES[task]:
            raise ValueError(
                f"`{argument}`: {value!r} is not a {TASK_SOURCES[task]['dataset']} language; expected languages among "
                f"{list(TASK_LANGUAGES[task])}."
            )
        if code in codes:
            raise ValueError(f"`{argument}` names {code!r} twice; expected each language once.")
        codes.append(code)
    if not codes:
        raise ValueError(f"`{argument}` is empty; leave it None for every language or name at least one.")
    return codes


def _unique(values, argument: str, allowed: Sequence[str]) -> list[str]:
    values = list(values)
    for value in values:
        if value not in allowed:
            raise ValueError(f"`{argument}`: unknown value {value!r}; expected values among {list(allowed)}.")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"`{argument}` names {repeated} more than once; expected each once.")
    return values


@dataclass
class InstructionDataConfig:
    """What `build_instruction_dataset` builds.

    Args:
        tasks (`list[str]`, defaults to all of `INSTRUCTION_TASKS`): the tasks to build.
        held_out_tasks (`list[str]`, defaults to `[]`): tasks left out of the built data, for zero-shot evaluation
            on unseen tasks as in xP3 (Muennighoff et al., 2023); they must be among `INSTRUCTION_TASKS`, and at
            least one of `tasks` must remain.
        sentiment_languages (`list[str]`, *optional*): NusaX-Senti languages (codes or names); all 12 by default.
        translation_languages (`list[str]`, *optional*): NusaTranslation languages paired with Indonesian; all 11
            by default.
        topic_languages (`list[str]`, *optional*): NusaParagraph languages; all 10 by default.
        translation_directions (`list[str]`, defaults to both of `TRANSLATION_DIRECTIONS`): ``ind->local`` and/or
            ``local->ind``.
        instruction_languages (`list[str]`, defaults to `["eng", "ind"]`): the template languages to use. ``eng``
            and ``ind`` apply to data in any language; another (``jav``, ``sun``) only to data in that language.
        splits (`list[str]`, defaults to train, validation and test): the splits to build, each from its own files.
        template_seed (`int`, defaults to 0): seeds the template chosen per example and the rows kept under the cap
            (not `seed`: the Trainer's seed is another setting of the same command line).
        max_examples_per_language (`int`, *optional*): at most this many examples per task, data language
            (translation: per language pair and direction) and split, drawn at random with `template_seed`; all by
            default.

    Raises:
        ValueError: an unknown task, split, direction or language (naming the field and the values expected), a
            value given twice, every task held out, or a cap below 1.
    """

    tasks: list[str] = field(
        default_factory=lambda: list(INSTRUCTION_TASKS), metadata={"help": f"Tasks among {list(INSTRUCTION_TASKS)}."}
    )
    held_out_tasks: list[str] = field(
        default_factory=list, metadata={"help": "Tasks left out of the built data (zero-shot evaluation)."}
    )
    sentiment_languages: list[str] | None = field(
        default=None, metadata={"help": "NusaX-Senti languages; all 12 by default."}
    )
    translation_languages: list[str] | None = field(
        default=None, metadata={"help": "NusaTranslation languages paired with ind; all 11 by default."}
    )
    topic_languages: list[str] | None = field(
        default=None, metadata={"help": "NusaParagraph languages; all 10 by default."}
    )
    translation_directions: list[str] = field(
        default_factory=lambda: list(TRANSLATION_DIRECTIONS),
        metadata={"help": f"Translation directions among {list(TRANSLATION_DIRECTIONS)}."},
    )
    instruction_languages: list[str] = field(
        default_factory=lambda: list(PIVOT_INSTRUCTION_LANGUAGES),
        metadata={"help": "Template languages; eng/ind for any data, others (jav, sun) for data in that language."},
    )
    splits: list[str] = field(
        default_factory=lambda: list(SPLIT_FILE_STEMS), metadata={"help": "Splits to build, each from its files."}
    )
    template_seed: int = field(default=0, metadata={"help": "Seed of the template choice and of the capped subsets."})
    max_examples_per_language: int | None = field(
        default=None, metadata={"help": "Cap per task, data language (and direction) and split."}
    )

    def __post_init__(self):
        self.tasks = _unique(self.tasks, "tasks", INSTRUCTION_TASKS)
        self.held_out_tasks = _unique(self.held_out_tasks, "held_out_tasks", INSTRUCTION_TASKS)
        if not self.active_tasks:
            raise ValueError(
                f"every task of `tasks` {self.tasks} is in `held_out_tasks` {self.held_out_tasks}; nothing to build."
            )
        for task in INSTRUCTION_TASKS:
            argument = f"{task}_languages"
            if getattr(self, argument) is not None:
                setattr(self, argument, _codes(getattr(self, argument), task, argument))
        self.translation_directions = _unique(
            self.translation_directions, "translation_directions", TRANSLATION_DIRECTIONS
        )
        if not self.translation_directions:
            raise ValueError(f"`translation_directions` is empty; expected some of {list(TRANSLATION_DIRECTIONS)}.")
        languages = [resolve_language(code, "instruction_languages") for code in self.instruction_languages]
        self.instruction_languages = _unique(languages, "instruction_languages", sorted(LANGUAGE_NAMES_IN))
        if not self.instruction_languages:
            raise ValueError("`instruction_languages` is empty; expected e.g. ['eng', 'ind'].")
        self.splits = _unique(self.splits, "splits", list(SPLIT_FILE_STEMS))
        if not self.splits:
            raise ValueError(f"`splits` is empty; expected some of {list(SPLIT_FILE_STEMS)}.")
        if not isinstance(self.template_seed, int) or isinstance(self.template_seed, bool):
            raise ValueError(f"`template_seed` must be an integer, got {self.template_seed!r}.")
        cap = self.max_examples_per_language
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
            raise ValueError(f"`max_examples_per_language` must be an integer >= 1 or None, got {cap!r}.")

    @property
    def active_tasks(self) -> list[str]:
        """`tasks` without the held-out ones, in order."""
        return [task for task in self.tasks if task not in self.held_out_tasks]

    def languages_for(self, task: str) -> list[str]:
        """The data languages of `task`: the configured ones, or all its loader offers."""
        chosen = getattr(self, f"{task}_languages")
        return list(TASK_LANGUAGES[task]) if chosen is None else list(chosen)


def _missing_file(error: FileNotFoundError, task: str, language: str, split: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"instruction task {task!r} ({TASK_SOURCES[task]['dataset']}), language {language!r} (`{task}_languages`), "
        f"split {split!r}: {error} Or leave {language!r} out of `{task}_languages`."
    )


def _translation_pairs(data_dir, language: str, split: str) -> list[tuple[str, str, str]]:
    """``(id, ind_text, tgt_text)`` of one NusaTranslation split as `load_nusa_translation` returns it (empty pairs
    and exact repeats dropped, counted and logged by the loader), each with the ``id`` of its row in the file.

    The corpus schema the loader returns has no id column, so the file's ids are read beside it: a kept pair gets
    the id of the first row holding it (the row the loader kept); a file without an ``id`` column gives row numbers.
    """
    pairs = load_nusa_translation(data_dir, language, split)
    path = _nusawrites_folder(data_dir, f"nusa_kalimat-mt-{language}-train.csv")
    path = path / f"nusa_kalimat-mt-{language}-{SPLIT_FILE_STEMS[split]}.csv"
    records = iter_csv(path, ",", "a header `id,ind_text,tgt_text` then one row per pair")
    _, header = next(records)
    id_at = column_position(header, "id", path) if "id" in header else None
    source_at, target_at = column_position(header, "ind_text", path), column_position(header, "tgt_text", path)
    ids = {}
    for k, (_, row) in enumerate(records):
        if row:
            ids.setdefault(
                (row[source_at].strip(), row[target_at].strip()), row[id_at] if id_at is not None else str(k)
            )
    kept = []
    for source, target in zip(pairs["source_text"], pairs["target_text"]):
        if (source, target) not in ids:
            raise CorpusFormatError(f"no row holds the pair {source[:40]!r} -> {target[:40]!r} that the loader read; "
                                    "expected the loader's pairs to come from this file.", path)  # fmt: skip
        kept.append((ids[source, target], source, target))
    return kept


def _source_groups(data_dir, task: str, language: str, split: str, config: InstructionDataConfig):
    """``(data_language, target_language, label names or None, rows)`` per group of one task's language; a row is
    ``(source_id, text, label or None, reference or None)``."""
    try:
        if task == "translation":
            pairs = _translation_pairs(data_dir, language, split)
            groups = []
            for direction in config.translation_directions:
                if direction == "ind->local":
                    groups.append(("ind", language, None, [(i, s, None, t) for i, s, t in pairs]))
                else:
                    groups.append((language, "ind", None, [(i, t, None, s) for i, s, t in pairs]))
            return groups
        loader = load_nusax_sentiment if task == "sentiment" else load_nusa_paragraph
        data = loader(data_dir, language, split)
    except FileNotFoundError as e:
        raise _missing_file(e, task, language, split) from e
    names = data.features["label"].names  # the label set as the data declares it
    rows = [(i, text, names[label], None) for i, text, label in zip(data["id"], data["text"], data["label"])]
    return [(language, None, names, rows)]


def _applicable(templates, task: str, data_language: str, target_language: str | None, instruction_languages):
    chosen = [
        t
        for t in templates
        if t.task == task
        and t.language in instruction_languages
        and (t.language in PIVOT_INSTRUCTION_LANGUAGES or t.language in (data_language, target_language))
    ]
    if not chosen:
        available = template_languages(templates).get(task, [])
        raise ValueError(
            f"no {task} template applies to data in {data_language!r}"
            + (f" -> {target_language!r}" if target_language else "")
            + f" with `instruction_languages` {list(instruction_languages)}: {task} templates exist in {available}, "
            f"and only {list(PIVOT_INSTRUCTION_LANGUAGES)} apply to data in any language. Add 'eng' or 'ind' to "
            "`instruction_languages`."
        )
    return chosen


def build_instruction_dataset(
    data_dir: str | os.PathLike,
    config: InstructionDataConfig | None = None,
    templates: Iterable[InstructionTemplate] | None = None,
) -> DatasetDict:
    """Builds chat-format instruction data from NusaX-Senti, NusaTranslation and NusaParagraph, xP3 / Aya style.

    Every example of the selected tasks, languages and splits becomes one exchange: the user turn is a template's
    instruction filled with the text, the assistant turn the answer (the label's verbalization in the template's
    language, or the reference translation). One template is drawn per example among those that apply to it (see
    `InstructionDataConfig.instruction_languages`), deterministically from ``config.template_seed`` and the
    example's task, languages and source id. Each split is built from that split's files only. Rows the loaders drop
    (empty texts; for translation also exact repeats of a pair) are counted and logged as a warning by them; nothing
    else is left out except by ``max_examples_per_language``.

    Args:
        data_dir (`str` or `os.PathLike`): the folder holding ``nusax/`` and ``nusawrites/`` (e.g.
            ``../shared/data``), read at run time.
        config (`InstructionDataConfig`, *optional*): what to build; every task, language and split with the
            English and Indonesian templates by default.
        templates (`Iterable[InstructionTemplate]`, *optional*): the templates to draw from; `INSTRUCTION_TEMPLATES`
            by default.

    Returns:
        `datasets.DatasetDict`: one `datasets.Dataset` per split of ``config.splits`` with `INSTRUCTION_FEATURES`,
        rows in task, language, direction and file order.

    Raises:
        ValueError: an instruction language no template is written in, or an example no template applies to (the
            task, languages and template languages are named); a data label a template cannot verbalize.
        FileNotFoundError: a task's file for a configured language is missing (task, language, split and file named).
        CorpusFormatError: a malformed source file (see the loaders).
    """
    config = config if config is not None else InstructionDataConfig()
    templates = _check_templates(INSTRUCTION_TEMPLATES if templates is None else templates)
    written = sorted({t.language for t in templates if t.task in config.active_tasks})
    unknown = [lang for lang in config.instruction_languages if lang not in written]
    if unknown:
        raise ValueError(
            f"`instruction_languages` {unknown}: no template of the tasks {config.active_tasks} is written in "
            f"{'it' if len(unknown) == 1 else 'them'}; template languages: {written}."
        )
    result = {}
    for split in config.splits:
        columns = {name: [] for name in INSTRUCTION_FEATURES}
        for task in config.active_tasks:
            for language in config.languages_for(task):
                for data_language, target_language, names, rows in _source_groups(
                    data_dir, task, language, split, config
                ):
                    candidates = _applicable(
                        templates, task, data_language, target_language, config.instruction_languages
                    )
                    _check_labels(names, candidates, task, language, split)
                    rows = _capped(rows, config, task, split, data_language, target_language)
                    for source_id, text, label, reference in rows:
                        pick = _stable_int(config.template_seed, task, data_language, target_language, source_id)
                        template = candidates[pick % len(candidates)]
                        prompt = template.render(text, data_language, target_language)
                        response = reference if label is None else template.answer(label)
                        row = {
                            "messages": [
                                {"role": "user", "content": prompt},
                                {"role": "assistant", "content": response},
                            ],
                            "prompt": prompt,
                            "response": response,
                            "task": task,
                            "template_id": template.id,
                            "instruction_language": template.language,
                            "data_language": data_language,
                            "target_language": target_language,
                            "label": label,
                            "choices": template.choices,
                            "split": split,
                            "source_id": source_id,
                        }
                        for name, value in row.items():
                            columns[name].append(value)
        result[split] = Dataset.from_dict(columns, features=INSTRUCTION_FEATURES)
        logger.info("Instruction data [%s]: %d rows (%s).", split, len(result[split]), Counter(columns["task"]))
    return DatasetDict(result)


def _capped(rows, config: InstructionDataConfig, task, split, data_language, target_language):
    cap = config.max_examples_per_language
    if cap is None or len(rows) <= cap:
        return rows
    rng = random.Random(_stable_int(config.template_seed, "cap", task, split, data_language, target_language))
    keep = sorted(rng.sample(range(len(rows)), cap))
    logger.info("%s %s->%s [%s]: kept %d of %d rows (max_examples_per_language).", task, data_language,
                target_language, split, cap, len(rows))  # fmt: skip
    return [rows[i] for i in keep]


def _check_labels(labels, candidates, task: str, language: str, split: str) -> None:
    if labels is None:
        return
    for template in candidates:
        missing = [label for label in labels if label not in template.verbalizer]
        if missing:
            raise ValueError(
                f"template {template.id!r} has no verbalization for the label(s) {missing} of "
                f"{TASK_SOURCES[task]['dataset']} {language!r} [{split}]; its verbalizer covers "
                f"{list(template.verbalizer)}."
            )


def tokenize_chat_example(
    messages: Sequence[Mapping[str, str]],
    tokenizer,
    max_length: int | None = None,
    chat_template: str | None = None,
) -> dict:
    """Token ids of a chat exchange with the loss on the last (assistant) turn only.

    The conversation is rendered with `tokenizer.apply_chat_template` twice: without the last turn (with the
    generation prompt, e.g. ``<|im_start|>assistant\\n``) and whole. The first must be a prefix of the second, as
    text and as tokens; the tokens after it (the answer and the template's end-of-turn tokens) keep their ids in
    ``labels`` and every prompt token is set to -100.

    Args:
        messages (`Sequence[Mapping[str, str]]`): ``{"role", "content"}`` turns ending with an ``assistant`` turn
            (a row's ``messages``).
        tokenizer: a `transformers` tokenizer with a chat template.
        max_length (`int`, *optional*): cut the answer's tail so that the sequence fits; the prompt is never cut.
        chat_template (`str`, *optional*): a Jinja chat template to use instead of the tokenizer's.

    Returns:
        `dict` with ``input_ids``, ``attention_mask``, ``labels`` (lists of ints) and ``truncated`` (`bool`).

    Raises:
        ValueError: no chat template; no messages or a last turn that is not the assistant's; a template that does
            not render the prompt as a prefix of the conversation (as text or as tokens, where the differing part
            is shown); an answer that renders to no token; a prompt that leaves no room for the answer in
            `max_length`.
    """
    if chat_template is None and getattr(tokenizer, "chat_template", None) is None:
        raise ValueError(
            f"{type(tokenizer).__name__} has no chat template: set `tokenizer.chat_template` (a Jinja template) or "
            "pass `chat_template`."
        )
    messages = [dict(m) for m in messages]
    if not messages or messages[-1].get("role") != "assistant":
        raise ValueError(
            f"`messages` must end with an assistant turn (the answer the loss is taken on); got roles "
            f"{[m.get('role') for m in messages]}."
        )
    common = {"chat_template": chat_template, "tokenize": False}
    prompt_text = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, **common)
    full_text = tokenizer.apply_chat_template(messages, **common)
    if not full_text.startswith(prompt_text):
        at = next((i for i, (a, b) in enumerate(zip(prompt_text, full_text)) if a != b), len(full_text))
        raise ValueError(
            "the chat template does not render the prompt (the conversation without its last turn, with "
            "add_generation_prompt=True) as a prefix of the whole conversation, so the answer's tokens cannot be "
            f"told apart; they differ at character {at}: prompt {prompt_text[at : at + 40]!r} vs conversation "
            f"{full_text[at : at + 40]!r}. Use a template that renders earlier turns the same whatever follows."
        )
    # As `apply_chat_template(tokenize=True)` does: the rendered text carries the template's special tokens.
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    input_ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
    n_prompt = len(prompt_ids)
    if input_ids[:n_prompt] != prompt_ids:
        raise ValueError(
            "the prompt's tokens are not a prefix of the conversation's tokens (a token spans the end of the prompt "
            f"and the start of the answer): prompt ends {prompt_ids[-3:]}, conversation has "
            f"{input_ids[max(n_prompt - 3, 0) : n_prompt + 1]} there. Use a chat template that separates the "
            "turns with special tokens or a newline."
        )
    if len(input_ids) == n_prompt:
        raise ValueError("the assistant turn renders to no token; expected a non-empty answer.")
    truncated = False
    if max_length is not None:
        if n_prompt >= max_length:
            raise ValueError(
                f"the prompt alone has {n_prompt} tokens, leaving none of the answer within max_length={max_length}; "
                "raise max_length or leave out rows with long texts before tokenizing."
            )
        truncated = len(input_ids) > max_length
        input_ids = input_ids[:max_length]
    labels = [-100] * n_prompt + input_ids[n_prompt:]
    return {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels, "truncated": truncated}


def tokenize_instruction_dataset(
    dataset: Dataset | DatasetDict, tokenizer, max_length: int | None = None, chat_template: str | None = None
) -> Dataset | DatasetDict:
    """Tokenizes instruction data (a `build_instruction_dataset` split, or anything with a ``messages`` column)
    with `tokenize_chat_example`: ``input_ids``, ``attention_mask`` and ``labels`` (prompt tokens -100) only.

    Rows whose answer was cut to fit `max_length` are counted and logged as a warning.

    Raises:
        ValueError: a dataset without a ``messages`` column; see `tokenize_chat_example` (the row is named).
    """
    if isinstance(dataset, DatasetDict):
        return DatasetDict(
            {
                name: tokenize_instruction_dataset(data, tokenizer, max_length, chat_template)
                for name, data in dataset.items()
            }
        )
    if "messages" not in dataset.column_names:
        raise ValueError(f"the dataset has no `messages` column; columns: {dataset.column_names}.")

    def tokenize(row, index):
        try:
            return tokenize_chat_example(row["messages"], tokenizer, max_length, chat_template)
        except ValueError as e:
            raise ValueError(f"row {index}: {e}") from None

    tokenized = dataset.map(
        tokenize, with_indices=True, remove_columns=dataset.column_names, desc="Applying the chat template"
    )
    n_truncated = sum(tokenized["truncated"])
    if n_truncated:
        logger.warning("%d of %d rows had their answer cut to max_length=%d tokens.", n_truncated, len(tokenized),
                       max_length)  # fmt: skip
    return tokenized.remove_columns("truncated")


def instruction_statistics(dataset: Dataset | DatasetDict) -> dict:
    """Rows per split, task, data language and target language, and rows per template.

    Returns:
        `dict` with ``total_rows``, ``tasks``, ``data_languages``, ``instruction_languages`` (sorted), ``sizes`` (a
        list of ``{split, task, data_language, target_language, rows}``) and ``templates`` (``{template_id: rows}``).

    Raises:
        ValueError: a split without the instruction columns.
    """
    splits = _as_dict(dataset)
    names = ["task", "data_language", "target_language", "instruction_language", "template_id"]
    sizes, templates, languages, instruction_languages = Counter(), Counter(), set(), set()
    for split, data in splits.items():
        missing = [name for name in names if name not in data.column_names]
        if missing:
            raise ValueError(f"[{split}] lacks the instruction column(s) {missing}; expected `INSTRUCTION_FEATURES`.")
        columns = data.select_columns(names).to_dict()
        for task, lang, target, instruction, template_id in zip(*(columns[name] for name in names)):
            sizes[(split, task, lang, target or "")] += 1
            templates[template_id] += 1
            languages.update(code for code in (lang, target) if code)
            instruction_languages.add(instruction)
    return {
        "total_rows": sum(sizes.values()),
        "tasks": sorted({key[1] for key in sizes}),
        "data_languages": sorted(languages),
        "instruction_languages": sorted(instruction_languages),
        "sizes": [
            {"split": s, "task": t, "data_language": d, "target_language": g, "rows": n}
            for (s, t, d, g), n in sorted(sizes.items())
        ],
        "templates": dict(sorted(templates.items())),
    }


def _cell(text: str) -> str:
    """Text for one Markdown table cell: newlines shown as ``\\n``, pipes escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("|", "\\|")


def instruction_dataset_card(
    dataset: Dataset | DatasetDict,
    repo_id: str,
    templates: Iterable[InstructionTemplate] | None = None,
    config: InstructionDataConfig | None = None,
    license: str = "cc-by-sa-4.0",
    pretty_name: str | None = None,
    extra_metadata: dict | None = None,
) -> DatasetCard:
    """Renders the dataset card of built instruction data: the templates used, row counts, sources and licenses.

    Args:
        dataset (`datasets.Dataset` or `datasets.DatasetDict`): the output of `build_instruction_dataset`.
        repo_id (`str`): the repo it is published to (shown in the loading example).
        templates (`Iterable[InstructionTemplate]`, *optional*): the templates it was built with;
            `INSTRUCTION_TEMPLATES` by default. Every template id in the data must be among them.
        config (`InstructionDataConfig`, *optional*): the build settings, shown (seed, held-out tasks, cap).
        license (`str`, defaults to `"cc-by-sa-4.0"`): the card's Hub license id. NusaX and NusaWrites are CC BY-SA
            4.0, whose share-alike term carries over to data derived from them.
        pretty_name (`str`, *optional*): the title; derived from `repo_id` by default.
        extra_metadata (`dict`, *optional*): more YAML metadata (e.g. the ``configs`` that `push_to_hub` wrote).

    Returns:
        `huggingface_hub.DatasetCard`. No token or local path is written into it.

    Raises:
        ValueError: a template id in the data that `templates` does not hold.
    """
    stats = instruction_statistics(dataset)
    templates = _check_templates(INSTRUCTION_TEMPLATES if templates is None else templates)
    by_id = {t.id: t for t in templates}
    unknown = [template_id for template_id in stats["templates"] if template_id not in by_id]
    if unknown:
        raise ValueError(f"the data uses template id(s) {unknown} that `templates` does not hold; pass the templates "
                         "it was built with.")  # fmt: skip
    used = [
        {
            "id": t.id,
            "task": t.task,
            "language": t.language,
            "instruction": _cell(t.instruction),
            "answers": _cell(" / ".join(t.choices)) if t.choices else "the reference translation",
            "rows": stats["templates"][t.id],
        }
        for t in templates
        if t.id in stats["templates"]
    ]
    pretty_name = pretty_name or repo_id.split("/")[-1].replace("-", " ").replace("_", " ")
    languages = sorted(set(stats["data_languages"]) | set(stats["instruction_languages"]))
    card_data = DatasetCardData(
        language=languages,
        license=license,
        pretty_name=pretty_name,
        size_categories=[size_category(stats["total_rows"])],
        task_categories=["text-generation"],
        multilinguality=["multilingual"],
        tags=["hf_lowres", "instruction-tuning", "xp3", "aya"],
        **(extra_metadata or {}),
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(CARD_TEMPLATE_PATH),
        pretty_name=pretty_name,
        license=license,
        total_rows=stats["total_rows"],
        data_languages=stats["data_languages"],
        instruction_languages=stats["instruction_languages"],
        sizes=stats["sizes"],
        templates=used,
        sources=[{"task": task, **TASK_SOURCES[task]} for task in stats["tasks"]],
        held_out_tasks=config.held_out_tasks if config is not None else [],
        seed=config.template_seed if config is not None else None,
        cap=config.max_examples_per_language if config is not None else None,
        repo_id=repo_id,
    )
