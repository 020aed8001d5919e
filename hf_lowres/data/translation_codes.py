"""Language-code conventions of multilingual translation models and their tokenizers.

Each family writes languages its own way and steers translation differently:

| convention | code of Javanese | source side | target side |
|---|---|---|---|
| `marian` | ``>>jav<<`` | target token prefixed to the source text (multi-target OPUS-MT models only) | - |
| `mbart50` | ``jv_XX`` | ``[src_code] X </s>`` | ``forced_bos_token_id`` = target code |
| `m2m100` | ``__jv__`` | ``[src_code] X </s>`` | ``forced_bos_token_id`` = target code |
| `nllb` | ``jav_Latn`` | ``[src_code] X </s>`` | ``forced_bos_token_id`` = target code |
| `t5` | ``Javanese`` | ``translate Javanese to English: X`` | - |
| `single_pair` | - | ``X`` as is | - (one direction only, e.g. a BERT2BERT `EncoderDecoderModel`) |

Codes are checked against the tokenizer's vocabulary: a language the tokenizer has no token for is an error that
names the language, the token looked for and a few of the codes the tokenizer does have.
"""

from __future__ import annotations

import re

from .language_names import language_info


CONVENTIONS = ("marian", "mbart50", "m2m100", "nllb", "t5", "single_pair")
"""The language-code conventions `BackTranslator` understands."""

LANGUAGE_TOKEN_CONVENTIONS = ("mbart50", "m2m100", "nllb")
"""Conventions whose source starts with a language token and whose output is forced to start with another."""

_TOKEN_PATTERNS = {
    "marian": re.compile(r"^>>[a-z]{2,3}(_[A-Z][a-z]{3})?<<$"),
    "mbart50": re.compile(r"^[a-z]{2,3}_[A-Z]{2}$"),
    "m2m100": re.compile(r"^__[a-z]{2,3}__$"),
    "nllb": re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$"),
}


def model_language_code(language: str, convention: str) -> str:
    """The code of an ISO 639-3 (or 639-1) language in a model family's convention.

    Args:
        language (`str`): e.g. ``"jav"``. A code already in the convention's form (``"jav_Latn"`` for `nllb`) is
            returned unchanged.
        convention (`str`): one of `CONVENTIONS`.

    Returns:
        `str`: ``"jv_XX"`` (mbart50), ``"jv"`` (m2m100, the tokenizer writes it ``__jv__``), ``"jav_Latn"`` (nllb),
        ``"jav"`` (marian, written ``>>jav<<``), the English name (t5), the code as given (single_pair, which
        only records it).

    Raises:
        ValueError: for an unknown convention, or a language the convention has no code for.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown language-code convention {convention!r}; expected one of {list(CONVENTIONS)}.")
    info = language_info(language)
    if convention == "nllb":
        if _TOKEN_PATTERNS["nllb"].match(language):
            return language
        if info is not None and info.flores:
            return info.flores
        # NLLB codes are ISO 639-3 plus script; Latin script is the usual one for the languages not in the table.
        return f"{language}_Latn" if len(language) == 3 else _no_code(language, convention)
    if convention == "mbart50":
        if _TOKEN_PATTERNS["mbart50"].match(language):
            return language
        if info is not None and info.mbart50:
            return info.mbart50
        # mBART-50 covers 52 languages; a tokenizer extended for a new one conventionally adds `<iso1>_XX`.
        iso1 = info.iso639_1 if info is not None else (language if len(language) == 2 else None)
        return f"{iso1}_XX" if iso1 else _no_code(language, convention)
    if convention == "m2m100":
        if info is not None and info.iso639_1:
            return info.iso639_1
        return language if len(language) == 2 else _no_code(language, convention)
    if convention == "marian":
        return language.split("_")[0]
    if convention == "single_pair":
        return language
    # t5
    return info.display_name if info is not None else language


def _no_code(language: str, convention: str):
    raise ValueError(
        f"no {convention} language code is known for {language!r}: pass the model's own code (e.g. 'jv_XX' for "
        "mbart50, 'jav_Latn' for nllb) instead of the ISO code."
    )


def language_token(language: str, convention: str) -> str | None:
    """The vocabulary token that stands for `language` in `convention` (`None` for t5, which uses plain text, and
    single_pair, which has none)."""
    code = model_language_code(language, convention)
    if convention == "m2m100":
        return code if code.startswith("__") else f"__{code}__"
    if convention == "marian":
        return f">>{code}<<"
    if convention in ("t5", "single_pair"):
        return None
    return code


def tokenizer_language_tokens(tokenizer, convention: str) -> list[str]:
    """The language tokens of `convention` that `tokenizer` has in its vocabulary, sorted."""
    pattern = _TOKEN_PATTERNS.get(convention)
    if pattern is None:
        return []
    return sorted(token for token in tokenizer.get_vocab() if pattern.match(token))


def language_token_id(tokenizer, language: str, convention: str) -> int:
    """The id of `language`'s token in `tokenizer`, checked against its vocabulary.

    Raises:
        ValueError: when the tokenizer has no such token. The message names the language, the token looked for
            and the language tokens the tokenizer does have.
    """
    token = language_token(language, convention)
    if token is None:
        raise ValueError(f"the {convention} convention has no language tokens.")
    vocab = tokenizer.get_vocab()
    if token not in vocab:
        known = tokenizer_language_tokens(tokenizer, convention)
        shown = known[:20] + (["..."] if len(known) > 20 else [])
        raise ValueError(
            f"language {language!r} is not supported by this {type(tokenizer).__name__}: its {convention} token "
            f"{token!r} is not in the vocabulary. Language tokens it has ({len(known)}): {shown}."
        )
    return vocab[token]


def detect_convention(model=None, tokenizer=None) -> str:
    """Guesses the language-code convention of a translation model from its tokenizer and config.

    The tokenizer's class name decides first (``NllbTokenizer``, ``MBart50Tokenizer``, ``M2M100Tokenizer``,
    ``MarianTokenizer``); a generic tokenizer is recognised by the language tokens in its vocabulary; the
    model's ``config.model_type`` (``marian``, ``mbart``, ``m2m_100``, ``t5``/``mt5``) settles the rest; an
    ``EncoderDecoderModel`` (``encoder-decoder``, e.g. BERT2BERT) is `single_pair`: one direction, no codes.

    Raises:
        ValueError: when nothing identifies the convention; pass it explicitly then.
    """
    name = type(tokenizer).__name__.lower() if tokenizer is not None else ""
    for key, convention in (("nllb", "nllb"), ("mbart", "mbart50"), ("m2m100", "m2m100"), ("marian", "marian")):
        if key in name:
            return convention
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if tokenizer is not None:
        if model_type in (None, "m2m_100", "nllb-moe"):
            for convention in ("nllb", "m2m100"):
                if tokenizer_language_tokens(tokenizer, convention):
                    return convention
        if model_type in (None, "mbart") and tokenizer_language_tokens(tokenizer, "mbart50"):
            return "mbart50"
    by_model_type = {"marian": "marian", "mbart": "mbart50", "m2m_100": "m2m100", "nllb-moe": "nllb", "t5": "t5"}
    by_model_type.update({"mt5": "t5", "umt5": "t5", "encoder-decoder": "single_pair"})
    if model_type in by_model_type:
        return by_model_type[model_type]
    raise ValueError(
        f"cannot tell the language-code convention of model type {model_type!r} with tokenizer "
        f"{type(tokenizer).__name__}; pass `convention=` (one of {list(CONVENTIONS)})."
    )
