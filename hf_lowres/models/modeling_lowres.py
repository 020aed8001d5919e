"""hf_lowres composite models: a pretrained backbone, a language discriminator behind gradient reversal, task heads.

This file and the files it imports with single-dot relative imports are copied next to a saved model, so that
`AutoModel...from_pretrained(path, trust_remote_code=True)` works in a process that never imported hf_lowres:
keep every import here relative (single dot) or from transformers/torch, and never `isinstance`-check the config
(under remote code it is loaded from a second copy of its module).
"""

import logging
import os
import re
import threading
from dataclasses import dataclass

import torch
import transformers
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput
from transformers.utils.loading_report import LoadStateDictInfo, log_state_dict_report

from .configuration_lowres import LowResConfig
from .language_discriminator import LanguageDiscriminator
from .pooling import pool_hidden_states


logger = logging.getLogger(__name__)

# transformers' loading messages, held back while `from_backbone` loads a backbone: its load report (a table of
# MISSING / UNEXPECTED keys) and the warning it gives when both halves of a tied pair are absent from the checkpoint.
_TRANSFORMERS_LOADING_LOGGER = "transformers.modeling_utils"
_LOAD_REPORT_MARK = " LOAD REPORT"
_TIED_PAIR_ABSENT = re.compile(r"This checkpoint seem corrupted\. .*? to tie (\S+) to (\S+), but both are absent")
# How the line `from_backbone` logs names hf_lowres' own heads.
_HEAD_ROLES = {"discriminator": "language discriminator", "classifier": "task head"}


@dataclass
class LowResModelOutput(ModelOutput):
    """
    Output of every hf_lowres model.

    Args:
        loss (`torch.FloatTensor`, *optional*):
            The task loss plus the discriminator loss, when the matching labels are given.
        logits (`torch.FloatTensor`, *optional*):
            The task logits (classes, tags or vocabulary); `None` for `LowResModel`.
        task_loss (`torch.FloatTensor`, *optional*):
            The task loss alone (classification, token classification, masked/causal LM or seq2seq).
        lang_loss (`torch.FloatTensor`, *optional*):
            Cross-entropy of the language discriminator on `lang_labels` (-100 entries are ignored).
        lang_logits (`torch.FloatTensor` of shape `(batch_size, num_languages)`):
            The discriminator's logits, one class per entry of `config.languages`.
        pooled_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The sequence representation at `config.alignment_layer` pooled with `config.alignment_pooling`
            (encoder side for encoder-decoders): what the alignment loss, retrieval and probes use.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            The backbone's hidden states (encoder side for encoder-decoders), when `output_hidden_states=True`.
        attentions (`tuple(torch.FloatTensor)`, *optional*):
            The backbone's attentions, when `output_attentions=True`.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    task_loss: torch.FloatTensor | None = None
    lang_loss: torch.FloatTensor | None = None
    lang_logits: torch.FloatTensor | None = None
    pooled_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def _sum_losses(*losses: torch.Tensor | None) -> torch.Tensor | None:
    present = [loss for loss in losses if loss is not None]
    return sum(present[1:], present[0]) if present else None


class LowResPreTrainedModel(PreTrainedModel):
    """Base class: holds the backbone as `self.backbone` and the language discriminator as `self.discriminator`.

    Subclasses name the transformers Auto class their backbone is built with (`_backbone_auto_class`), so that
    `from_backbone` keeps every pretrained weight, the masked-LM or LM head included.
    """

    config_class = LowResConfig
    base_model_prefix = "lowres"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _backbone_auto_class = "AutoModel"
    # Whether forward runs the decoder of an encoder-decoder backbone (only the seq2seq LM does).
    uses_decoder = False

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config)
        if backbone is None:
            auto_class = getattr(transformers, self._backbone_auto_class)
            backbone = auto_class.from_config(config.text_config)
        self.backbone = backbone
        # One config object for both, so that a resize or an attention switch on the backbone is saved too.
        self.config.text_config = self.backbone.config
        self.discriminator = LanguageDiscriminator(
            input_size=config.backbone_hidden_size,
            num_languages=config.num_languages,
            hidden_size=config.discriminator_hidden_size or config.backbone_hidden_size,
            num_layers=config.discriminator_num_layers,
            dropout=config.discriminator_dropout,
            grl_lambda=config.grl_lambda,
        )

    @classmethod
    def from_backbone(
        cls,
        backbone: "str | os.PathLike | PreTrainedModel",
        languages: list[str],
        backbone_kwargs: dict | None = None,
        **config_kwargs,
    ):
        """Builds the composite around a pretrained backbone, keeping all its weights.

        The backbone is loaded with the Auto class this model needs (`AutoModelForMaskedLM` for
        `LowResForMaskedLM`, so the pretrained MLM head is kept); only the discriminator and task heads are new.
        One log line names the weights that are new by design: hf_lowres' heads, and the head of the backbone's
        Auto class when the checkpoint is a plain backbone without one (e.g. the masked-LM head of a BERT saved as
        `BertModel`), with the checkpoint weights that class does not use (its pooler). transformers' load report
        and its "checkpoint seem corrupted" warning are silenced for exactly those keys; any other missing,
        unexpected or mismatched weight is still reported in transformers' table.

        Args:
            backbone (`str`, `os.PathLike` or `PreTrainedModel`): a checkpoint (Hub id or local directory, e.g. the
                `pathlib.Path` that `hf_lowres.pretrained.materialize` returns) or a loaded model of the right Auto
                class.
            languages (`list[str]`): the discriminator's language codes, in order.
            backbone_kwargs (`dict`, *optional*): passed to the backbone's `from_pretrained` (e.g. `revision`,
                `dtype`, `attn_implementation`). The default dtype is float32, the safe choice for training.
            config_kwargs: any `LowResConfig` field (e.g. `num_labels=3`, `grl_lambda=0.5`).

        Example:

        ```python
        >>> model = LowResForSequenceClassification.from_backbone("xlm-roberta-base", ["eng", "jav"], num_labels=3)
        ```
        """
        new_in_backbone: dict = {}
        if isinstance(backbone, (str, os.PathLike)):
            kwargs = {"dtype": torch.float32, **(backbone_kwargs or {})}
            # A path is recorded as the string transformers would store (`name_or_path`, the adapters' composition).
            backbone, new_in_backbone = _load_backbone(cls._backbone_auto_class, os.fspath(backbone), kwargs)
        # Building the composite config resets the sub-config's attention implementation: keep the backbone's.
        config_kwargs.setdefault("attn_implementation", backbone.config._attn_implementation)
        config = LowResConfig(text_config=backbone.config, languages=languages, **config_kwargs)
        model = cls(config, backbone=backbone)
        _log_new_weights(model, new_in_backbone)
        # New heads are built in float32: give them the backbone's dtype so the forward pass does not mix dtypes.
        return model.to(backbone.dtype)

    def _init_weights(self, module):
        std = getattr(self.config.text_config, "initializer_range", None) or 0.02
        if isinstance(module, nn.Linear):
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)

    @property
    def grl_lambda(self) -> float:
        """Current strength of the gradient reversal; set it between steps to follow a schedule."""
        return self.discriminator.grl_lambda

    @grl_lambda.setter
    def grl_lambda(self, value: float) -> None:
        self.discriminator.grl_lambda = value

    @property
    def base_transformer_path(self) -> str:
        """Dotted path of the backbone's base transformer (e.g. `backbone.bert` inside `BertForMaskedLM`).

        Adapters trained on one hf_lowres class sit under this path; the adapter API uses it to move an adapter
        between classes (a language adapter trained with MLM, used by a classifier).
        """
        base = self.backbone.base_model
        return next(name for name, module in self.named_modules() if module is base)

    def get_input_embeddings(self) -> nn.Module:
        return self.backbone.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.backbone.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module | None:
        return self.backbone.get_output_embeddings()

    def resize_token_embeddings(
        self, new_num_tokens: int | None = None, pad_to_multiple_of: int | None = None, **kwargs
    ):
        """Resizes the backbone's input (and tied output) embeddings; the saved config follows."""
        embeddings = self.backbone.resize_token_embeddings(new_num_tokens, pad_to_multiple_of, **kwargs)
        self.config.text_config = self.backbone.config
        return embeddings

    def _encoder_states(self, backbone_outputs) -> tuple[torch.Tensor, ...]:
        """The hidden states the discriminator and pooling read (encoder side for encoder-decoders)."""
        states = getattr(backbone_outputs, "encoder_hidden_states", None)
        return states if states is not None else backbone_outputs.hidden_states

    def _language_head(
        self,
        hidden_states: tuple[torch.Tensor, ...],
        attention_mask: torch.Tensor | None,
        lang_labels: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Returns `(lang_logits, lang_loss, pooled_output)`."""
        config = self.config
        disc_input = pool_hidden_states(
            hidden_states[config.discriminator_layer], attention_mask, config.discriminator_pooling
        )
        lang_logits = self.discriminator(disc_input)
        if (config.alignment_layer, config.alignment_pooling) == (
            config.discriminator_layer,
            config.discriminator_pooling,
        ):
            pooled_output = disc_input
        else:
            pooled_output = pool_hidden_states(
                hidden_states[config.alignment_layer], attention_mask, config.alignment_pooling
            )
        lang_loss = None
        if lang_labels is not None:
            lang_labels = lang_labels.to(lang_logits.device).view(-1)
            if (lang_labels != -100).any():
                lang_loss = F.cross_entropy(lang_logits.float(), lang_labels, ignore_index=-100)
            else:
                # No labelled example in this batch: a zero that keeps the graph connected (needed by DDP).
                lang_loss = lang_logits.sum() * 0.0
        return lang_logits, lang_loss, pooled_output

    def _encode(self, input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions, **backbone_kwargs):
        """Runs the encoder and the language head: `(hidden_states, attentions, lang_logits, lang_loss, pooled)`."""
        outputs = self._run_encoder(input_ids, attention_mask, inputs_embeds, output_attentions, **backbone_kwargs)
        states = self._encoder_states(outputs)
        return (states, outputs.attentions, *self._language_head(states, attention_mask, lang_labels))

    @staticmethod
    def _output(encoded, output_hidden_states, logits=None, task_loss=None) -> "LowResModelOutput":
        """The output of an encoder-side forward, from `_encode`'s result and the task head's logits and loss."""
        states, attentions, lang_logits, lang_loss, pooled_output = encoded
        return LowResModelOutput(
            loss=_sum_losses(task_loss, lang_loss),
            logits=logits,
            task_loss=task_loss,
            lang_loss=lang_loss,
            lang_logits=lang_logits,
            pooled_output=pooled_output,
            hidden_states=states if output_hidden_states else None,
            attentions=attentions,
        )

    def _run_encoder(self, input_ids, attention_mask, inputs_embeds, output_attentions, **backbone_kwargs):
        """Runs the base transformer (its encoder for encoder-decoders) and returns its outputs with all states."""
        # The base transformer alone: an LM backbone's head is not needed for representations.
        encoder = (
            self.backbone.get_encoder() if self.config.text_config.is_encoder_decoder else self.backbone.base_model
        )
        backbone_kwargs = {k: v for k, v in backbone_kwargs.items() if v is not None}
        return encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            output_hidden_states=True,
            output_attentions=output_attentions,
            return_dict=True,
            **backbone_kwargs,
        )


class _HeldLoadingMessages(logging.Filter):
    """Holds back transformers' load report and tied-pair warnings during one load, to be re-emitted without the keys
    that are new by design (`_load_backbone`)."""

    def __init__(self):
        super().__init__()
        self.thread = threading.get_ident()  # a load running at the same time in another thread is left alone
        self.reports: list[logging.LogRecord] = []
        self.tied_pairs: list[tuple[logging.LogRecord, tuple[str, str]]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread:
            return True
        message = record.getMessage()
        if _LOAD_REPORT_MARK in message.split("\n", 1)[0]:
            self.reports.append(record)
            return False
        tied = _TIED_PAIR_ABSENT.match(message)
        if tied:
            self.tied_pairs.append((record, tied.groups()))
            return False
        return True


def _load_backbone(auto_class_name: str, name_or_path: str, kwargs: dict) -> tuple[PreTrainedModel, dict]:
    """Loads a backbone with transformers' Auto class and reports what transformers would, except the weights that are
    new or unused by design (see `_weights_new_by_design`), which are returned instead (an empty dict when none).

    transformers logs its report from inside `from_pretrained`: a filter on its logger holds this thread's report back
    for the length of the call, then the report is logged again without those keys (nothing when none is left).
    """
    transformers_logger = logging.getLogger(_TRANSFORMERS_LOADING_LOGGER)
    held = _HeldLoadingMessages()
    transformers_logger.addFilter(held)
    try:
        backbone, info = getattr(transformers, auto_class_name).from_pretrained(
            name_or_path, **{**kwargs, "output_loading_info": True}
        )
    except BaseException:
        # The report explains the error (a size mismatch, a conversion error): show it as transformers would.
        transformers_logger.removeFilter(held)
        for record in [r for r, _ in held.tied_pairs] + held.reports:
            transformers_logger.handle(record)
        raise
    finally:
        transformers_logger.removeFilter(held)
    by_design = _weights_new_by_design(backbone, info["missing_keys"], info["unexpected_keys"])
    expected = by_design.get("missing", set())
    for record, pair in held.tied_pairs:
        if not set(pair) <= expected:
            transformers_logger.handle(record)
    remaining = LoadStateDictInfo(
        missing_keys=set(info["missing_keys"]) - expected,
        unexpected_keys=set(info["unexpected_keys"]) - by_design.get("unused", set()),
        mismatched_keys=set(info["mismatched_keys"]),
        error_msgs=[],
        conversion_errors={},
        skipped_pp_keys=set(),
    )
    # Mismatches that were not allowed raised above; here the report only informs.
    log_state_dict_report(
        model=backbone,
        pretrained_model_name_or_path=name_or_path,
        ignore_mismatched_sizes=True,
        loading_info=remaining,
        logger=transformers_logger,
    )
    return backbone, by_design


def _weights_new_by_design(backbone: PreTrainedModel, missing: set[str], unexpected: set[str]) -> dict:
    """The keys a load from a plain backbone misses or leaves unused by design.

    When the Auto class adds a head to the base transformer (`BertForMaskedLM` = `bert` + `cls`) and the checkpoint
    holds none of that head's weights, it is a plain backbone: the head is new (initialized here, trained by
    hf_lowres). Its weights that the class does not build (e.g. BERT's pooler under a masked-LM head) are unused. A
    head only partly absent is a damaged checkpoint, not a design: it is left to transformers' report.

    Returns:
        `dict`: ``{"head": [module names], "missing": {keys}}``, plus ``"unused"`` (keys) and ``"unused_modules"``
        when the checkpoint holds weights the class does not build; empty when nothing is new by design.
    """
    base = backbone.base_model
    if base is backbone:
        return {}
    base_path = next(name for name, module in backbone.named_modules() if module is base)
    tied = set(getattr(backbone, "all_tied_weights_keys", None) or {})
    head_keys = {key for key in backbone.state_dict() if not key.startswith(base_path + ".")}
    head_missing = head_keys & set(missing)
    # Tied keys that are not missing were tied to a weight of the base transformer, not read from the checkpoint.
    if not head_missing or head_keys - head_missing - tied:
        return {}
    by_design = {"head": sorted({key.split(".", 1)[0] for key in head_missing}), "missing": head_missing}
    if unexpected:
        try:
            with torch.device("meta"):  # shapes only: no memory, no initialization
                plain = transformers.AutoModel.from_config(backbone.config)
        except Exception:  # a class without a plain AutoModel (or needing remote code): leave them to the report
            plain = None
        if plain is not None:
            plain_keys = set(plain.state_dict())
            unused = {key for key in unexpected if key.removeprefix(base_path + ".") in plain_keys}
            if unused:
                by_design["unused"] = unused
                by_design["unused_modules"] = sorted(
                    {key.removeprefix(base_path + ".").split(".")[0] for key in unused}
                )
    return by_design


def _log_new_weights(model: "LowResPreTrainedModel", new_in_backbone: dict) -> None:
    """Says in one line which weights of a model built by `from_backbone` are new by design, and why."""
    new = [
        f"{name} ({_HEAD_ROLES.get(name, 'hf_lowres head')})"
        for name, child in model.named_children()
        if name != "backbone" and next(child.parameters(), None) is not None
    ]
    backbone_class = type(model.backbone).__name__
    new += [
        f"backbone.{name} ({backbone_class}'s head; the checkpoint has none)"
        for name in new_in_backbone.get("head", [])
    ]
    source = model.backbone.name_or_path or "a backbone built in code"
    message = (
        f"{type(model).__name__} on {source}: weights new by design, initialized here (then trained, or loaded "
        f"with saved adapters): {', '.join(new)}"
    )
    if new_in_backbone.get("unused"):
        message += (
            f"; not used: the checkpoint's {', '.join(new_in_backbone['unused_modules'])} ({backbone_class} has none)"
        )
    # A pretrained head the checkpoint lacks changes what the backbone does (it starts from random weights): a warning.
    # hf_lowres' own heads are always new: information.
    (logger.warning if new_in_backbone.get("head") else logger.info)(message + ".")


class LowResModel(LowResPreTrainedModel):
    """The backbone (its encoder for encoder-decoders) plus the language discriminator.

    Returns the pooled sentence representation (`pooled_output`) and the discriminator's `lang_logits`; with
    `lang_labels` the loss is the discriminator's cross-entropy, whose gradient reaches the backbone reversed.
    """

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> LowResModelOutput:
        encoded = self._encode(
            input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions,
            token_type_ids=token_type_ids, position_ids=position_ids,
        )  # fmt: skip
        return self._output(encoded, output_hidden_states)


class LowResForSequenceClassification(LowResPreTrainedModel):
    """Sequence classification on the pooled backbone output, plus the language discriminator.

    The head is `dropout -> linear` over the representation pooled with `config.classifier_pooling`.
    `problem_type` follows transformers: single-label (cross-entropy), multi-label (BCE) or regression (MSE).
    """

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.num_labels = config.num_labels
        self.classifier = nn.Sequential(
            nn.Dropout(config.classifier_dropout), nn.Linear(config.backbone_hidden_size, config.num_labels)
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> LowResModelOutput:
        encoded = self._encode(
            input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions,
            token_type_ids=token_type_ids, position_ids=position_ids,
        )  # fmt: skip
        features = pool_hidden_states(encoded[0][-1], attention_mask, self.config.classifier_pooling)
        logits = self.classifier(features)
        task_loss = self._classification_loss(logits, labels) if labels is not None else None
        return self._output(encoded, output_hidden_states, logits, task_loss)

    def _classification_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        labels = labels.to(logits.device)
        if self.config.problem_type is None:
            if self.num_labels == 1:
                self.config.problem_type = "regression"
            elif labels.dtype in (torch.long, torch.int):
                self.config.problem_type = "single_label_classification"
            else:
                self.config.problem_type = "multi_label_classification"
        if self.config.problem_type == "regression":
            return F.mse_loss(logits.squeeze(-1).float(), labels.squeeze(-1).float())
        if self.config.problem_type == "multi_label_classification":
            return F.binary_cross_entropy_with_logits(logits.float(), labels.float())
        return F.cross_entropy(logits.float().view(-1, self.num_labels), labels.view(-1))


class LowResForTokenClassification(LowResPreTrainedModel):
    """Token classification (e.g. NER) on the backbone's last token states, plus the language discriminator."""

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.num_labels = config.num_labels
        self.classifier = nn.Sequential(
            nn.Dropout(config.classifier_dropout), nn.Linear(config.backbone_hidden_size, config.num_labels)
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> LowResModelOutput:
        encoded = self._encode(
            input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions,
            token_type_ids=token_type_ids, position_ids=position_ids,
        )  # fmt: skip
        logits = self.classifier(encoded[0][-1])
        task_loss = None
        if labels is not None:
            task_loss = F.cross_entropy(
                logits.float().view(-1, self.num_labels), labels.to(logits.device).view(-1), ignore_index=-100
            )
        return self._output(encoded, output_hidden_states, logits, task_loss)


class _LanguageModelingMixin:
    """Forward shared by the classes whose backbone computes its own LM loss (masked, causal, seq2seq)."""

    def _forward_with_lm_backbone(
        self, lang_labels, output_hidden_states, attention_mask, encoder_only=False, **backbone_inputs
    ):
        backbone_inputs = {k: v for k, v in backbone_inputs.items() if v is not None}
        if encoder_only:
            if "labels" in backbone_inputs:
                raise ValueError("`encoder_only=True` skips the LM head, so it takes no `labels`.")
            input_ids, inputs_embeds = (
                backbone_inputs.pop("input_ids", None),
                backbone_inputs.pop("inputs_embeds", None),
            )
            output_attentions = backbone_inputs.pop("output_attentions", None)
            encoded = self._encode(
                input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions, **backbone_inputs
            )
            return self._output(encoded, output_hidden_states)
        outputs = self.backbone(
            attention_mask=attention_mask, output_hidden_states=True, return_dict=True, **backbone_inputs
        )
        states = self._encoder_states(outputs)
        attentions = getattr(outputs, "encoder_attentions", None) or getattr(outputs, "attentions", None)
        encoded = (states, attentions, *self._language_head(states, attention_mask, lang_labels))
        return self._output(encoded, output_hidden_states, outputs.logits, outputs.loss)


class LowResForMaskedLM(_LanguageModelingMixin, LowResPreTrainedModel):
    """Masked language modeling with the backbone's own (pretrained) MLM head, plus the language discriminator.

    Used to train language adapters self-supervised (Pfeiffer et al., 2020, "MAD-X"). With `encoder_only=True`
    the MLM head is skipped (`logits` is `None`): only the discriminator's view and `pooled_output`, which is all
    the trainer's passes over unlabeled text and parallel pairs need.
    """

    _backbone_auto_class = "AutoModelForMaskedLM"

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        encoder_only: bool = False,
        **kwargs,
    ) -> LowResModelOutput:
        return self._forward_with_lm_backbone(
            lang_labels, output_hidden_states, attention_mask, encoder_only, input_ids=input_ids,
            token_type_ids=token_type_ids, position_ids=position_ids, inputs_embeds=inputs_embeds, labels=labels,
            output_attentions=output_attentions,
        )  # fmt: skip


class LowResForCausalLM(_LanguageModelingMixin, LowResPreTrainedModel):
    """Causal language modeling with the backbone's own LM head, plus the language discriminator.

    `generate` is the backbone's. Use `discriminator_pooling="last"` or `"mean"` for decoders. `encoder_only=True`
    skips the LM head, as for `LowResForMaskedLM`.
    """

    _backbone_auto_class = "AutoModelForCausalLM"

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        encoder_only: bool = False,
        **kwargs,
    ) -> LowResModelOutput:
        return self._forward_with_lm_backbone(
            lang_labels, output_hidden_states, attention_mask, encoder_only, input_ids=input_ids,
            position_ids=position_ids, inputs_embeds=inputs_embeds, labels=labels, output_attentions=output_attentions,
        )  # fmt: skip

    def generate(self, *args, **kwargs):
        """Generates with the backbone (adapters injected into it take part)."""
        return self.backbone.generate(*args, **kwargs)


class LowResForSeq2SeqLM(_LanguageModelingMixin, LowResPreTrainedModel):
    """Sequence-to-sequence LM (translation) with the backbone's own LM head; the discriminator reads encoder states.

    Without `labels` and `decoder_input_ids` only the encoder runs: `logits` is `None`, and `lang_logits`,
    `lang_loss` and `pooled_output` are computed, so unlabeled monolingual text can feed the discriminator and
    the alignment loss. `generate` is the backbone's.
    """

    _backbone_auto_class = "AutoModelForSeq2SeqLM"
    uses_decoder = True

    def __init__(self, config: LowResConfig, backbone: PreTrainedModel | None = None):
        super().__init__(config, backbone)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        lang_labels: torch.LongTensor | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> LowResModelOutput:
        if labels is None and decoder_input_ids is None:
            encoded = self._encode(input_ids, attention_mask, inputs_embeds, lang_labels, output_attentions)
            return self._output(encoded, output_hidden_states)
        return self._forward_with_lm_backbone(
            lang_labels, output_hidden_states, attention_mask, input_ids=input_ids,
            decoder_input_ids=decoder_input_ids, decoder_attention_mask=decoder_attention_mask,
            inputs_embeds=inputs_embeds, labels=labels, output_attentions=output_attentions,
        )  # fmt: skip

    def generate(self, *args, **kwargs):
        """Generates with the backbone (adapters injected into it take part)."""
        return self.backbone.generate(*args, **kwargs)

    def get_encoder(self):
        return self.backbone.get_encoder()

    def get_decoder(self):
        return self.backbone.get_decoder()
