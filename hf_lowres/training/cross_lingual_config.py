"""Training arguments of `CrossLingualTrainer`."""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import TrainingArguments

from hf_lowres.losses.alignment_loss import ALIGNMENT_LOSS_KINDS

from .input_checks import check_range
from .schedules import GRL_SCHEDULES


@dataclass
class CrossLingualTrainingArguments(TrainingArguments):
    r"""
    `TrainingArguments` plus the settings of cross-lingual training: adversarial language-invariance through a
    gradient-reversal layer (Ganin & Lempitsky, 2015), alignment of parallel sentences, and temperature-based
    language sampling (Conneau & Lample, 2019).

    The loss of a step is ``task_loss + adversarial_weight * discriminator_loss + alignment_weight *
    alignment_loss``; the discriminator sits behind the model's gradient-reversal layer, whose strength `lambda`
    follows `grl_schedule`.

    Parameters:
        adversarial_weight (`float`, defaults to 0.0):
            Weight of the language discriminator's loss; 0 switches adversarial training off.
        grl_schedule (`str`, defaults to `"constant"`):
            Schedule of the gradient-reversal strength: `constant` (`grl_lambda_max` throughout) or `dann`
            (``lambda_p = grl_lambda_max * (2 / (1 + exp(-grl_gamma * p)) - 1)``, `p` the training progress in
            [0, 1]; Ganin & Lempitsky, 2015).
        grl_lambda_max (`float`, defaults to 1.0):
            The constant lambda, or the limit of the DANN schedule.
        grl_gamma (`float`, defaults to 10.0):
            Steepness of the DANN schedule.
        discriminator_learning_rate (`float`, *optional*):
            Learning rate of the discriminator's own optimizer parameter group; defaults to `learning_rate`. It
            follows the same learning-rate schedule.
        discriminator_steps (`int`, defaults to 1):
            Discriminator updates per encoder update. With `k > 1`, after each optimizer step the discriminator alone
            takes `k - 1` more steps on the step's (detached) representations, so it keeps up with the encoder.
        alignment_weight (`float`, defaults to 0.0):
            Weight of the alignment loss over parallel pairs; 0 switches it off.
        alignment_loss (`str`, *optional*):
            `mse`, `cosine` or `contrastive` (InfoNCE with in-batch negatives); defaults to the model config's
            `alignment_loss`.
        alignment_temperature (`float`, *optional*):
            Temperature of the contrastive loss; defaults to the model config's `alignment_temperature`.
        alignment_gather_across_processes (`bool`, defaults to `True`):
            Under data parallelism, the contrastive loss takes its negatives from the pairs of every process
            (gathered with their gradients), as one process with the whole batch would; `False` keeps each
            process's own batch.
        auxiliary_language_adapters (`bool`, defaults to `False`):
            MAD-X-consistent auxiliary losses: each unlabeled row and pair side in language X runs through X's
            language adapter with the task adapter stacked on it, as the zero-shot test does (Pfeiffer et al.,
            2020), one forward pass per language; a language without an adapter uses the active one. Needs the
            trainer's `adapter_manager`.
        language_sampling_temperature (`float`, *optional*):
            The exponent `alpha` of temperature sampling: language `l` is drawn with probability proportional to
            ``n_l ** alpha`` (1 = in proportion to the data, towards 0 = uniform; XLM uses 0.5, XLM-R 0.3). It
            applies to the task data when its rows have languages, and to the unlabeled text. `None` (the default)
            shuffles the task data as `Trainer` does and draws unlabeled text in proportion to the data.
        lexicon_dir (`str`, *optional*):
            A folder of bilingual lexicons (GATITOS ``en_<x>.tsv``, NusaX-Lexicon CSVs; `load_lexicon_directory`)
            for code-switching the task data.
        lexicon_source_language (`str`, *optional*):
            The language of the task data, which the lexicons translate from; the folder's own by default (English
            for GATITOS; NusaX's Indonesian lists are composed through their English list when it is ``eng``).
        lexicon_languages (`list[str]`, *optional*):
            The target languages to read; by default those of the model's languages the folder covers.
        code_switching_word_ratio (`float`, defaults to 0.0):
            CoSDA-ML code-switching (Qin et al., IJCAI 2020): the share of the words of the task rows' ``text``
            replaced by a translation into a randomly drawn lexicon language, drawn anew each epoch; 0 switches it
            off. The task dataset then holds text (``text``, ``labels``, optional language column), which the
            trainer tokenizes with its `processing_class` on every read.
        code_switching_sentence_ratio (`float`, defaults to 1.0):
            The share of the task rows code-switched at all.
        code_switching_max_length (`int`, *optional*):
            Truncate the code-switched rows to this many tokens; the tokenizer's maximum by default.
        language_column (`str`, defaults to `"lang"`):
            The column holding the language code of task and unlabeled rows.
        pair_source_language_column (`str`, defaults to `"source_lang"`):
            The column holding the language of the source side of parallel pairs.
        pair_target_language_column (`str`, defaults to `"target_lang"`):
            The column holding the language of the target side of parallel pairs.
        resume_strict (`bool`, defaults to `True`):
            Refuse to resume from (or load the best model of) a checkpoint that is incomplete: no completion marker
            (its save was interrupted), a missing optimizer, scheduler, RNG, trainer-state, trainable-modules or
            cross-lingual state file, or a file that differs from the marker. `False` resumes anyway with a WARNING
            listing what starts fresh; a file that cannot be read is an error either way.

    Changed defaults: `remove_unused_columns=False` (the collator picks the columns it needs), `label_names=["labels"]`
    (the language labels are not task labels) and `ddp_find_unused_parameters=False` (one step runs several forward
    passes, which `find_unused_parameters=True` does not support; the trainer keeps every trainable module in the
    graph).

    Every argument is checked when the object is built, naming it and the range expected: the weights and the GRL
    settings are finite and >= 0 (NaN is refused), and so are inherited arguments that `Trainer` would only trip over
    later or never: batch sizes and accumulation steps >= 1, `max_steps` >= 1 or -1, `num_train_epochs` > 0,
    finite learning rate, weight decay, warmup and gradient norm, Adam betas and label smoothing in [0, 1).
    """

    adversarial_weight: float = field(
        default=0.0,
        metadata={"help": "Weight of the language discriminator's loss; 0 switches adversarial training off."},
    )
    grl_schedule: str = field(
        default="constant",
        metadata={
            "help": "Schedule of the gradient-reversal strength: 'constant' or 'dann' "
            "(lambda_p = grl_lambda_max * (2 / (1 + exp(-grl_gamma * p)) - 1)).",
            "choices": list(GRL_SCHEDULES),
        },
    )
    grl_lambda_max: float = field(
        default=1.0, metadata={"help": "The constant gradient-reversal strength, or the limit of the DANN schedule."}
    )
    grl_gamma: float = field(default=10.0, metadata={"help": "Steepness gamma of the DANN schedule."})
    discriminator_learning_rate: float | None = field(
        default=None,
        metadata={"help": "Learning rate of the discriminator's own parameter group; defaults to learning_rate."},
    )
    discriminator_steps: int = field(
        default=1,
        metadata={
            "help": "Discriminator updates per encoder update; k > 1 adds k - 1 updates of the discriminator alone "
            "on the step's detached representations."
        },
    )
    alignment_weight: float = field(
        default=0.0, metadata={"help": "Weight of the alignment loss over parallel pairs; 0 switches it off."}
    )
    alignment_loss: str | None = field(
        default=None,
        metadata={
            "help": "Alignment loss: 'mse', 'cosine' or 'contrastive' (InfoNCE, in-batch negatives); defaults to "
            "the model config's alignment_loss.",
            "choices": list(ALIGNMENT_LOSS_KINDS),
        },
    )
    alignment_temperature: float | None = field(
        default=None,
        metadata={
            "help": "Temperature of the contrastive loss; defaults to the model config's alignment_temperature."
        },
    )
    alignment_gather_across_processes: bool = field(
        default=True,
        metadata={
            "help": "Under data parallelism, draw the contrastive loss's negatives from every process's pairs "
            "(gathered with their gradients); false keeps each process's own batch."
        },
    )
    auxiliary_language_adapters: bool = field(
        default=False,
        metadata={
            "help": "MAD-X-consistent auxiliary losses: each unlabeled row and pair side in language X runs through "
            "X's language adapter (with the task adapter), as the zero-shot test does; rows of a language without "
            "an adapter use the active one. Needs the trainer's `adapter_manager`."
        },
    )
    language_sampling_temperature: float | None = field(
        default=None,
        metadata={
            "help": "Exponent alpha of temperature sampling (p_l proportional to n_l ** alpha; 1 = proportional, "
            "0 = uniform) for the task data's and the unlabeled text's languages; None shuffles as Trainer does."
        },
    )
    lexicon_dir: str | None = field(
        default=None,
        metadata={"help": "Bilingual lexicons for code-switching (GATITOS en_<x>.tsv or NusaX-Lexicon CSVs)."},
    )
    lexicon_source_language: str | None = field(
        default=None,
        metadata={"help": "The language the lexicons translate from (that of the task data); the folder's own."},
    )
    lexicon_languages: list[str] | None = field(
        default=None,
        metadata={"help": "Target languages to read from --lexicon_dir (default: the model's that it covers)."},
    )
    code_switching_word_ratio: float = field(
        default=0.0,
        metadata={"help": "CoSDA-ML code-switching: share of words switched, drawn anew each epoch (0: off)."},
    )
    code_switching_sentence_ratio: float = field(
        default=1.0, metadata={"help": "Code-switching: share of sentences switched at all."}
    )
    code_switching_max_length: int | None = field(
        default=None, metadata={"help": "Truncate code-switched rows to this many tokens (tokenizer maximum)."}
    )
    language_column: str = field(
        default="lang", metadata={"help": "Column holding the language code of task and unlabeled rows."}
    )
    pair_source_language_column: str = field(
        default="source_lang", metadata={"help": "Column holding the language of the source side of pairs."}
    )
    pair_target_language_column: str = field(
        default="target_lang", metadata={"help": "Column holding the language of the target side of pairs."}
    )
    resume_strict: bool = field(
        default=True,
        metadata={
            "help": "Refuse to resume from an incomplete checkpoint (interrupted save, missing optimizer/scheduler/"
            "RNG/trainer state/trainable modules/cross-lingual state, changed file); False only warns."
        },
    )
    remove_unused_columns: bool = field(
        default=False,
        metadata={"help": "Changed default (False): the cross-lingual collator selects the columns it needs."},
    )
    label_names: list[str] | None = field(
        default_factory=lambda: ["labels"],
        metadata={"help": "Changed default (['labels']): the language labels are not task labels."},
    )
    ddp_find_unused_parameters: bool | None = field(
        default=False,
        metadata={"help": "Changed default (False): a step runs several forward passes through the DDP model."},
    )

    def __post_init__(self):
        super().__post_init__()
        # Each check refuses NaN too: `nan < 0` is False, so `alignment_weight=nan` used to pass and switch the loss
        # off. The inherited arguments checked here fail much later, or not at all, in `Trainer` and torch.
        for name in ("adversarial_weight", "alignment_weight", "grl_lambda_max", "grl_gamma"):
            check_range(name, getattr(self, name), minimum=0)
        if self.grl_schedule not in GRL_SCHEDULES:
            raise ValueError(f"`grl_schedule` must be one of {GRL_SCHEDULES}, got {self.grl_schedule!r}.")
        check_range("discriminator_learning_rate", self.discriminator_learning_rate, minimum=0, allow_none=True)
        check_range("discriminator_steps", self.discriminator_steps, minimum=1, integer=True)
        if self.alignment_loss is not None and self.alignment_loss not in ALIGNMENT_LOSS_KINDS:
            raise ValueError(f"`alignment_loss` must be one of {ALIGNMENT_LOSS_KINDS}, got {self.alignment_loss!r}.")
        check_range("alignment_temperature", self.alignment_temperature, minimum=0, exclusive_minimum=True,
                    allow_none=True)  # fmt: skip
        check_range("language_sampling_temperature", self.language_sampling_temperature, minimum=0, maximum=1,
                    allow_none=True)  # fmt: skip
        for name in ("code_switching_word_ratio", "code_switching_sentence_ratio"):
            check_range(name, getattr(self, name), minimum=0.0, maximum=1.0)
        check_range("code_switching_max_length", self.code_switching_max_length, minimum=1, integer=True,
                    allow_none=True)  # fmt: skip
        if self.code_switching_word_ratio > 0 and not self.lexicon_dir:
            raise ValueError("`code_switching_word_ratio` > 0 needs `lexicon_dir` (the lexicons to switch with).")
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps"):
            check_range(name, getattr(self, name), minimum=1, integer=True)
        check_range("eval_accumulation_steps", self.eval_accumulation_steps, minimum=1, integer=True, allow_none=True)
        check_range("dataloader_num_workers", self.dataloader_num_workers, minimum=0, integer=True)
        if self.max_steps == 0 or self.max_steps < -1:
            raise ValueError(
                f"`max_steps` must be an integer >= 1, or -1 to train for `num_train_epochs`, got {self.max_steps!r}."
            )
        if self.max_steps == -1:
            check_range("num_train_epochs", self.num_train_epochs, minimum=0, exclusive_minimum=True)
        for name in ("learning_rate", "weight_decay", "warmup_steps"):
            check_range(name, getattr(self, name), minimum=0)
        check_range("max_grad_norm", self.max_grad_norm, minimum=0, allow_none=True)
        for name in ("adam_beta1", "adam_beta2", "label_smoothing_factor"):
            check_range(name, getattr(self, name), minimum=0, maximum=1, exclusive_maximum=True)
        check_range("adam_epsilon", self.adam_epsilon, minimum=0, exclusive_minimum=True)
