"""Language names and codes of the languages hf_lowres' data loaders know by name.

Datasets often name their columns or folders by language name (NusaX-MT: ``indonesian, javanese, ...``). The
corpus schema stores ISO 639-3 codes; this table maps one to the other and records each language's code in the
conventions of the multilingual translation models (see `translation_codes.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hf_lowres.models.language_codes import is_valid_language_code


@dataclass(frozen=True)
class LanguageInfo:
    """One language: its ISO 639-3 code, English names, and codes in translation-model conventions.

    Args:
        iso639_3 (`str`): the ISO 639-3 code, e.g. ``"jav"``.
        names (`tuple[str, ...]`): lowercase English names, snake_case, first is the display name.
        iso639_1 (`str`, *optional*): the ISO 639-1 code when there is one (M2M-100 and mBART use it).
        flores (`str`, *optional*): the FLORES-200 / NLLB code, e.g. ``"jav_Latn"``, when NLLB covers the language.
        mbart50 (`str`, *optional*): the mBART-50 code, e.g. ``"id_ID"``, when mBART-50 covers the language.
    """

    iso639_3: str
    names: tuple[str, ...]
    iso639_1: str | None = None
    flores: str | None = None
    mbart50: str | None = None

    @property
    def display_name(self) -> str:
        return self.names[0].replace("_", " ").title()


_LANGUAGES = [
    # NusaX (Winata et al., 2023)
    LanguageInfo("ind", ("indonesian",), "id", "ind_Latn", "id_ID"),
    LanguageInfo("ace", ("acehnese", "achinese"), None, "ace_Latn"),
    LanguageInfo("bjn", ("banjarese", "banjar"), None, "bjn_Latn"),
    LanguageInfo("eng", ("english",), "en", "eng_Latn", "en_XX"),
    LanguageInfo("mad", ("madurese",)),
    LanguageInfo("nij", ("ngaju",)),
    LanguageInfo("sun", ("sundanese",), "su", "sun_Latn"),
    LanguageInfo("ban", ("balinese",), None, "ban_Latn"),
    LanguageInfo("bug", ("buginese",), None, "bug_Latn"),
    LanguageInfo("jav", ("javanese",), "jv", "jav_Latn"),
    LanguageInfo("min", ("minangkabau",), None, "min_Latn"),
    LanguageInfo("bbc", ("toba_batak", "batak_toba"), None),
    # MasakhaNER 1.0 (Adelani et al., 2021)
    LanguageInfo("amh", ("amharic",), "am", "amh_Ethi"),
    LanguageInfo("hau", ("hausa",), "ha", "hau_Latn"),
    LanguageInfo("ibo", ("igbo",), "ig", "ibo_Latn"),
    LanguageInfo("kin", ("kinyarwanda",), "rw", "kin_Latn"),
    LanguageInfo("lug", ("luganda", "ganda"), "lg", "lug_Latn"),
    LanguageInfo("luo", ("luo", "dholuo"), None, "luo_Latn"),
    LanguageInfo("pcm", ("nigerian_pidgin", "naija"), None),
    LanguageInfo("swa", ("swahili",), "sw", "swh_Latn", "sw_KE"),
    LanguageInfo("wol", ("wolof",), "wo", "wol_Latn"),
    LanguageInfo("yor", ("yoruba",), "yo", "yor_Latn"),
    # High-resource pivots and a few neighbours.
    LanguageInfo("fra", ("french",), "fr", "fra_Latn", "fr_XX"),
    LanguageInfo("deu", ("german",), "de", "deu_Latn", "de_DE"),
    LanguageInfo("spa", ("spanish",), "es", "spa_Latn", "es_XX"),
    LanguageInfo("por", ("portuguese",), "pt", "por_Latn", "pt_XX"),
    LanguageInfo("zsm", ("malay", "standard_malay"), "ms", "zsm_Latn"),
    LanguageInfo("tgl", ("tagalog",), "tl", "tgl_Latn", "tl_XX"),
    LanguageInfo("vie", ("vietnamese",), "vi", "vie_Latn", "vi_VN"),
    LanguageInfo("xho", ("xhosa",), "xh", "xho_Latn", "xh_ZA"),
    LanguageInfo("zul", ("zulu",), "zu", "zul_Latn"),
]

LANGUAGES: dict[str, LanguageInfo] = {info.iso639_3: info for info in _LANGUAGES}
"""ISO 639-3 code -> `LanguageInfo`, for the languages hf_lowres knows by name."""

LANGUAGE_NAME_TO_CODE: dict[str, str] = {name: info.iso639_3 for info in _LANGUAGES for name in info.names}
"""Lowercase snake_case English name (``"toba_batak"``) -> ISO 639-3 code (``"bbc"``)."""

_ISO1_TO_3 = {info.iso639_1: info.iso639_3 for info in _LANGUAGES if info.iso639_1}


def _normalize_name(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def language_code_from_name(name: str) -> str:
    """The ISO 639-3 code of a language named in English (``"Toba Batak"``, ``"toba_batak"`` -> ``"bbc"``).

    Raises:
        ValueError: when the name is not in `LANGUAGE_NAME_TO_CODE`; the known names are listed.
    """
    key = _normalize_name(name)
    if key not in LANGUAGE_NAME_TO_CODE:
        raise ValueError(f"unknown language name {name!r}; known names: {sorted(LANGUAGE_NAME_TO_CODE)}.")
    return LANGUAGE_NAME_TO_CODE[key]


def resolve_language(code_or_name: str, field_name: str = "language") -> str:
    """A language code for the corpus schema, from a code or an English language name.

    A known English name (``"javanese"``) becomes its ISO 639-3 code (``"jav"``); a well-formed code (ISO 639-3,
    ISO 639-1 or FLORES-style ``jav_Latn``, see `hf_lowres.models.language_codes`) is returned unchanged.

    Raises:
        ValueError: when the value is neither a known name nor a well-formed code. The message tells which.
    """
    if not isinstance(code_or_name, str) or not code_or_name.strip():
        raise ValueError(f"`{field_name}` must be a language code such as 'jav', got {code_or_name!r}.")
    key = _normalize_name(code_or_name)
    if key in LANGUAGE_NAME_TO_CODE:
        return LANGUAGE_NAME_TO_CODE[key]
    if is_valid_language_code(code_or_name):
        return code_or_name
    raise ValueError(
        f"`{field_name}` is {code_or_name!r}: an ill-formed language code and not a known language name. Expected "
        "ISO 639-3 (e.g. 'jav'), ISO 639-1 (e.g. 'id'), FLORES-200 style (e.g. 'jav_Latn') or one of the names "
        f"{sorted(LANGUAGE_NAME_TO_CODE)}."
    )


def language_info(code: str) -> LanguageInfo | None:
    """The `LanguageInfo` of an ISO 639-3, ISO 639-1 or FLORES-style code, or `None` when it is not in the table."""
    base = code.split("_")[0]
    base = _ISO1_TO_3.get(base, base)
    return LANGUAGES.get(base)
