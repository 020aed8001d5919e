"""Romanization of non-Latin scripts with uroman, as a preprocessing step before tokenization."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


def _import_uroman():
    try:
        import uroman
    except ImportError as error:
        raise ImportError(
            "romanization needs the `uroman` package: `pip install 'hf-lowres[romanize]'` (or `pip install uroman`)."
        ) from error
    return uroman


@lru_cache(maxsize=1)
def _romanizer():
    # Building a Uroman loads its rule tables (about a second); one instance serves every call.
    return _import_uroman().Uroman()


def romanize(texts: str | Iterable[str], language: str | None = None) -> str | list[str]:
    """Romanizes text in any script into Latin letters with uroman (Hermjakob et al., 2018, "Out-of-the-box
    Universal Romanization Tool uroman").

    Useful before vocabulary expansion or fine-tuning when the target language's script is poorly covered by the base
    tokenizer (an English WordPiece vocabulary maps most non-Latin characters to `[UNK]`). Latin text passes through.

    Args:
        texts (`str` or `Iterable[str]`): one text or several.
        language (`str`, *optional*): ISO 639-3 code, which lets uroman apply language-specific rules.

    Returns:
        `str` for one text, else `list[str]`.

    Raises:
        `ImportError`: uroman is not installed (install the `hf-lowres[romanize]` extra).
    """
    romanizer = _romanizer()
    if isinstance(texts, str):
        return romanizer.romanize_string(texts, lcode=language)
    return [romanizer.romanize_string(text, lcode=language) for text in texts]
