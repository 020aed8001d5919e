"""The hf_lowres model classes and their registration with the transformers Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from .configuration_lowres import ALIGNMENT_LOSSES, LowResConfig
from .gradient_reversal import GradientReversal, reverse_gradient
from .language_codes import is_valid_language_code, validate_language_codes
from .language_discriminator import LanguageDiscriminator
from .modeling_lowres import (
    LowResForCausalLM,
    LowResForMaskedLM,
    LowResForSeq2SeqLM,
    LowResForSequenceClassification,
    LowResForTokenClassification,
    LowResModel,
    LowResModelOutput,
    LowResPreTrainedModel,
)
from .pooling import POOLING_STRATEGIES, pool_hidden_states
from .warm_start import WARM_START_FILE, warm_start_encoder_decoder, warm_start_new_modules


AUTO_CLASS_OF_MODEL = {
    LowResModel: AutoModel,
    LowResForMaskedLM: AutoModelForMaskedLM,
    LowResForSequenceClassification: AutoModelForSequenceClassification,
    LowResForTokenClassification: AutoModelForTokenClassification,
    LowResForSeq2SeqLM: AutoModelForSeq2SeqLM,
    LowResForCausalLM: AutoModelForCausalLM,
}


def register_auto_classes() -> None:
    """Registers `LowResConfig` and every model class with the Auto classes; calling it again is harmless.

    It also marks them for `save_pretrained` to write `auto_map` and copy the model files, so a saved model loads
    with `trust_remote_code=True` where hf_lowres is not installed.
    """
    AutoConfig.register(LowResConfig.model_type, LowResConfig, exist_ok=True)
    LowResConfig.register_for_auto_class()
    for model_class, auto_class in AUTO_CLASS_OF_MODEL.items():
        auto_class.register(LowResConfig, model_class, exist_ok=True)
        model_class.register_for_auto_class(auto_class.__name__)


__all__ = [
    "ALIGNMENT_LOSSES",
    "AUTO_CLASS_OF_MODEL",
    "POOLING_STRATEGIES",
    "WARM_START_FILE",
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
    "is_valid_language_code",
    "pool_hidden_states",
    "register_auto_classes",
    "reverse_gradient",
    "validate_language_codes",
    "warm_start_encoder_decoder",
    "warm_start_new_modules",
]
