"""Validation of the language codes hf_lowres accepts.

Codes are ISO 639-3 (``jav``), ISO 639-1 (``id``) or FLORES-200 style with a script
subtag (``jav_Latn``, as used by NLLB). This module imports nothing from hf_lowres so
that it travels with the model files under transformers' remote-code rules.
"""

import re


LANGUAGE_CODE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?$")


def is_valid_language_code(code: object) -> bool:
    """Whether ``code`` is a well-formed ISO 639-1/639-3 code, optionally with a FLORES script subtag."""
    return isinstance(code, str) and LANGUAGE_CODE_PATTERN.fullmatch(code) is not None


def validate_language_codes(codes, field_name: str = "languages") -> list[str]:
    """Checks an ordered list of language codes and returns it as a list.

    Args:
        codes (`Sequence[str]`): the codes, e.g. ``["eng", "jav", "sun"]`` or ``["eng_Latn", "jav_Latn"]``.
        field_name (`str`): the name reported in errors.

    Raises:
        ValueError: when the list is empty, holds a duplicate, or holds an ill-formed code.
    """
    if isinstance(codes, str) or codes is None:
        raise ValueError(f"`{field_name}` must be a non-empty list of language codes, got {codes!r}.")
    codes = list(codes)
    if not codes:
        raise ValueError(f"`{field_name}` must be a non-empty list of language codes, got an empty list.")
    bad = [code for code in codes if not is_valid_language_code(code)]
    if bad:
        raise ValueError(
            f"`{field_name}` holds ill-formed language codes {bad}: expected ISO 639-3 (e.g. 'jav'), "
            "ISO 639-1 (e.g. 'id') or FLORES-200 style with a script (e.g. 'jav_Latn')."
        )
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"`{field_name}` must hold unique codes; duplicated: {duplicates}.")
    return codes
