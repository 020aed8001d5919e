"""hf_lowres: adapt pretrained multilingual transformers to low-resource languages.

Importing the package registers its config and models with the transformers Auto classes (idempotent).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING


__version__ = "0.1.0"

# The public API, by the submodule that defines it.
_API = {
    "losses": ("AlignmentLoss",),
    "models": (
        "GradientReversal",
        "LanguageDiscriminator",
        "LowResConfig",
        "LowResForCausalLM",
        "LowResForMaskedLM",
        "LowResForSeq2SeqLM",
        "LowResForSequenceClassification",
        "LowResForTokenClassification",
        "LowResModel",
        "LowResModelOutput",
        "LowResPreTrainedModel",
        "register_auto_classes",
        "reverse_gradient",
    ),
}

if TYPE_CHECKING:
    from .losses import AlignmentLoss
    from .models import (
        GradientReversal,
        LanguageDiscriminator,
        LowResConfig,
        LowResForCausalLM,
        LowResForMaskedLM,
        LowResForSeq2SeqLM,
        LowResForSequenceClassification,
        LowResForTokenClassification,
        LowResModel,
        LowResModelOutput,
        LowResPreTrainedModel,
        register_auto_classes,
        reverse_gradient,
    )


def _import_api() -> None:
    """Imports the public API into the package and registers the Auto classes (harmless when done again)."""
    for module_name, names in _API.items():
        module = importlib.import_module(f".{module_name}", __name__)
        globals().update({name: getattr(module, name) for name in names})
    globals()["register_auto_classes"]()


def _started_as_the_command() -> bool:
    """Whether this process is the `hf-lowres` command (its console script, or `python -m hf_lowres.cli`)."""
    if sys.argv and os.path.basename(sys.argv[0]).removesuffix(".exe") == "hf-lowres":
        return True
    argv = getattr(sys, "orig_argv", [])
    return any(flag == "-m" and module == "hf_lowres.cli" for flag, module in zip(argv, argv[1:]))


def __getattr__(name: str):
    # Reached only for a name not imported yet: in the `hf-lowres` command, before the command needs the models.
    if any(name in names for names in _API.values()):
        _import_api()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The command imports this package before it parses its arguments: importing the models here (torch, transformers,
# several seconds) would make `hf-lowres --help` and every usage error wait for them. It calls `_import_api()`
# itself once a command is about to run; any other importer gets the API and the registration at once.
if not _started_as_the_command():
    _import_api()

__all__ = [
    "AlignmentLoss",
    "GradientReversal",
    "LanguageDiscriminator",
    "LowResConfig",
    "LowResForCausalLM",
    "LowResForMaskedLM",
    "LowResForSeq2SeqLM",
    "LowResForSequenceClassification",
    "LowResForTokenClassification",
    "LowResModel",
    "LowResModelOutput",
    "LowResPreTrainedModel",
    "__version__",
    "register_auto_classes",
    "reverse_gradient",
]
