"""Configuration of the hf_lowres composite models: a backbone's config plus discriminator and alignment settings."""

from dataclasses import field

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .language_codes import validate_language_codes
from .pooling import POOLING_STRATEGIES


ALIGNMENT_LOSSES = ("mse", "cosine", "contrastive")


class LowResConfig(PreTrainedConfig):
    r"""
    Configuration of the hf_lowres models: any backbone `AutoConfig` knows (bert, xlm-roberta, distilbert,
    deberta-v2, t5/mt5, mbart, marian, m2m_100, llama, qwen2, gemma, ...), held as the sub-config `text_config`,
    plus the settings of the language discriminator, of the cross-lingual alignment loss, and of the task head.

    Args:
        text_config (`dict` or `PreTrainedConfig`, *optional*):
            The backbone's config. A dict must carry `model_type`. Defaults to a BERT config.
        languages (`list[str]`, defaults to `["eng"]`):
            Ordered language codes (ISO 639-3 such as `jav`, or FLORES-style `jav_Latn`); the discriminator's
            classes, in this order. Non-empty and unique.
        discriminator_hidden_size (`int`, *optional*):
            Width of the discriminator's hidden layers; defaults to the backbone's hidden size.
        discriminator_num_layers (`int`, defaults to 1):
            Hidden layers of the discriminator MLP; 0 gives a linear classifier.
        discriminator_dropout (`float`, defaults to 0.1):
            Dropout inside the discriminator.
        discriminator_pooling (`str`, defaults to `"mean"`):
            How token states are pooled for the discriminator: `mean`, `cls`, or `last` (for decoders).
        discriminator_layer (`int`, defaults to -1):
            Which hidden layer the discriminator reads: 0 is the embeddings, -1 the last layer (encoder side
            for encoder-decoders).
        grl_lambda (`float`, defaults to 1.0):
            Initial strength of the gradient reversal (Ganin & Lempitsky, 2015); settable at run time.
        alignment_loss (`str`, defaults to `"contrastive"`):
            Cross-lingual alignment loss: `mse`, `cosine`, or `contrastive` (InfoNCE with in-batch negatives).
        alignment_temperature (`float`, defaults to 0.05):
            Temperature of the contrastive alignment loss.
        alignment_layer (`int`, defaults to -1):
            Which hidden layer the pooled representation (`pooled_output`) and the alignment loss use.
        alignment_pooling (`str`, defaults to `"mean"`):
            Pooling of the representation used for alignment and returned as `pooled_output`.
        classifier_pooling (`str`, defaults to `"mean"`):
            Pooling for the sequence-classification head.
        classifier_dropout (`float`, defaults to 0.1):
            Dropout before the classification heads.
        num_labels, id2label, label2id, problem_type:
            The task fields of every transformers config.

    Example:

    ```python
    >>> from transformers import BertConfig
    >>> from hf_lowres import LowResConfig
    >>> config = LowResConfig(text_config=BertConfig(hidden_size=32), languages=["eng", "jav", "sun"])
    >>> config.num_languages
    3
    ```
    """

    model_type = "lowres"
    sub_configs_defaults = {"text_config": SubConfigSpec(config_class=AutoConfig, model_type="bert")}
    # Only the task logits are gathered by `Trainer.predict`; the other fields stay available on the output.
    keys_to_ignore_at_inference = [
        "task_loss",
        "lang_loss",
        "lang_logits",
        "pooled_output",
        "hidden_states",
        "attentions",
        "past_key_values",
    ]

    text_config: dict | PreTrainedConfig | None = None
    languages: list[str] = field(default_factory=lambda: ["eng"])
    discriminator_hidden_size: int | None = None
    discriminator_num_layers: int = 1
    discriminator_dropout: float = 0.1
    discriminator_pooling: str = "mean"
    discriminator_layer: int = -1
    grl_lambda: float = 1.0
    alignment_loss: str = "contrastive"
    alignment_temperature: float = 0.05
    alignment_layer: int = -1
    alignment_pooling: str = "mean"
    classifier_pooling: str = "mean"
    classifier_dropout: float = 0.1

    def __post_init__(self, **kwargs):
        if isinstance(self.text_config, dict) and "model_type" not in self.text_config:
            raise ValueError("`text_config` given as a dict must hold `model_type` (e.g. 'bert', 'xlm-roberta').")
        super().__post_init__(**kwargs)
        self.languages = validate_language_codes(self.languages, "languages")
        for name in ("discriminator_pooling", "alignment_pooling", "classifier_pooling"):
            if getattr(self, name) not in POOLING_STRATEGIES:
                raise ValueError(f"`{name}` must be one of {POOLING_STRATEGIES}, got {getattr(self, name)!r}.")
        if self.alignment_loss not in ALIGNMENT_LOSSES:
            raise ValueError(f"`alignment_loss` must be one of {ALIGNMENT_LOSSES}, got {self.alignment_loss!r}.")
        if not self.alignment_temperature > 0:
            raise ValueError(f"`alignment_temperature` must be > 0, got {self.alignment_temperature!r}.")
        if not isinstance(self.discriminator_num_layers, int) or self.discriminator_num_layers < 0:
            raise ValueError(f"`discriminator_num_layers` must be an int >= 0, got {self.discriminator_num_layers!r}.")
        if self.discriminator_hidden_size is not None and self.discriminator_hidden_size < 1:
            raise ValueError(f"`discriminator_hidden_size` must be >= 1, got {self.discriminator_hidden_size!r}.")
        for name in ("discriminator_dropout", "classifier_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"`{name}` must be in [0, 1), got {getattr(self, name)!r}.")
        if self.grl_lambda < 0:
            raise ValueError(
                f"`grl_lambda` must be >= 0 (the reversal itself supplies the sign), got {self.grl_lambda!r}."
            )
        num_layers = self.backbone_num_layers
        for name in ("discriminator_layer", "alignment_layer"):
            layer = getattr(self, name)
            if not isinstance(layer, int) or not -(num_layers + 1) <= layer <= num_layers:
                raise ValueError(
                    f"`{name}` must be an int in [{-(num_layers + 1)}, {num_layers}] for a backbone with "
                    f"{num_layers} layers (0 is the embeddings, -1 the last layer), got {layer!r}."
                )

    @property
    def num_languages(self) -> int:
        return len(self.languages)

    @property
    def lang2id(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.languages)}

    @property
    def encoder_config(self) -> PreTrainedConfig:
        """The backbone's encoder configuration: the encoder of an `EncoderDecoderModel` (e.g. BERT2BERT, which
        `get_text_config` does not unwrap), else the text configuration seen from the encoder side."""
        if self.text_config.model_type == "encoder-decoder":
            return self.text_config.encoder
        return self.text_config.get_text_config(encoder=True)

    @property
    def backbone_hidden_size(self) -> int:
        return self.encoder_config.hidden_size

    @property
    def backbone_num_layers(self) -> int:
        return self.encoder_config.num_hidden_layers
