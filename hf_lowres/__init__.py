"""hf_lowres: adapt pretrained multilingual transformers to low-resource languages.

Importing the package registers its config and models with the transformers Auto classes (idempotent).
"""

__version__ = "0.1.0"

from .losses import AlignmentLoss  # noqa: E402
from .models import (  # noqa: E402
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


register_auto_classes()

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
