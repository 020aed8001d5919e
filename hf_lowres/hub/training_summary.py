"""What training saw, recorded for the model card: adapters, languages, losses, schedules, data, results."""

from __future__ import annotations

import dataclasses
import json
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from ..models import validate_language_codes
from .constants import TRAINING_SUMMARY_FILE


# hf_lowres class -> (transformers Auto class, Hub pipeline tag).
MODEL_CLASS_TASKS = {
    "LowResModel": ("AutoModel", "feature-extraction"),
    "LowResForSequenceClassification": ("AutoModelForSequenceClassification", "text-classification"),
    "LowResForTokenClassification": ("AutoModelForTokenClassification", "token-classification"),
    "LowResForMaskedLM": ("AutoModelForMaskedLM", "fill-mask"),
    "LowResForCausalLM": ("AutoModelForCausalLM", "text-generation"),
    "LowResForSeq2SeqLM": ("AutoModelForSeq2SeqLM", "translation"),
}
# Origins of corpus rows that were generated rather than written by people (see hf_lowres.data.schema).
SYNTHETIC_ORIGINS = ("back-translated", "forward-translated", "synthetic")


@dataclass
class DatasetSummary:
    """One dataset training used, with how many rows came from each origin.

    Args:
        name (`str`):
            What the card calls it (a Hub id, or a description such as ``"NusaX-senti (jav, train)"``).
        rows_per_origin (`dict[str, int]`):
            Rows per origin: ``{"real": 500, "back-translated": 2000}``. A task dataset of human-labeled rows is
            ``{"real": n}``.
        repo_id (`str`, *optional*):
            The Hub dataset id; listed in the card's ``datasets`` metadata (a dataset not on the Hub is only described
            in the body).
        rows_per_pair (`dict[str, int]`, *optional*):
            Rows per language pair (``"ind-jav"``) for a parallel corpus.
        role (`str`, *optional*):
            What training used it for, e.g. ``"task"``, ``"parallel"`` or ``"monolingual"``.
    """

    name: str
    rows_per_origin: dict[str, int] = field(default_factory=dict)
    repo_id: str | None = None
    rows_per_pair: dict[str, int] = field(default_factory=dict)
    role: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a dataset summary needs a non-empty `name`, got {self.name!r}.")
        for what, counts in (("rows_per_origin", self.rows_per_origin), ("rows_per_pair", self.rows_per_pair)):
            bad = {k: v for k, v in counts.items() if not isinstance(v, numbers.Integral) or v < 0}
            if bad:
                raise ValueError(f"dataset {self.name!r}: `{what}` must hold row counts >= 0, got {bad}.")

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_origin.values())

    @property
    def synthetic_rows(self) -> int:
        return sum(n for origin, n in self.rows_per_origin.items() if origin in SYNTHETIC_ORIGINS)

    @classmethod
    def from_corpus(
        cls, dataset, name: str, repo_id: str | None = None, role: str | None = "parallel"
    ) -> DatasetSummary:
        """Counts the rows of an hf_lowres corpus (`datasets.Dataset` or `DatasetDict`) per origin and pair.

        Uses `hf_lowres.data.corpus_statistics`, the counts the corpus' own dataset card shows.
        """
        from ..data.publishing import corpus_statistics

        stats = corpus_statistics(dataset)
        origins: dict[str, int] = {}
        pairs: dict[str, int] = {}
        for row in stats["sizes"]:
            origins[row["origin"]] = origins.get(row["origin"], 0) + row["rows"]
            pairs[row["pair"]] = pairs.get(row["pair"], 0) + row["rows"]
        return cls(name=name, rows_per_origin=origins, repo_id=repo_id, rows_per_pair=pairs, role=role)


@dataclass
class TrainingSummary:
    r"""
    What training saw, filled by a recipe (or built from an `AdapterManager` and the training arguments) and rendered
    into the model card by `write_model_card` at save and by `push_adapters_to_hub` / `push_model_to_hub` at push.
    Saved beside the card as ``hf_lowres_training_summary.json``, so a push re-renders it with the repo id.

    Args:
        languages (`list[str]`):
            The model's languages (the discriminator's classes), ISO 639-3 codes as given.
        base_model (`str`, *optional*):
            The backbone checkpoint (Hub id), for the card's ``base_model``.
        model_class (`str`, *optional*):
            The hf_lowres class, e.g. ``"LowResForSequenceClassification"``; sets the pipeline tag and the loading
            example.
        adapters (`dict[str, dict]`):
            Adapter name -> ``{"kind": "language" | "task", "language" | "task": ..., "r": ..., "lora_alpha": ...,
            "parameters": ...}``.
        active_adapters (`list[str]`):
            The adapters active when saved (the composition the loading example activates).
        losses (`dict[str, float]`):
            Loss component -> weight in the summed loss, e.g. ``{"task": 1.0, "adversarial": 0.1, "alignment":
            0.5}``. A positive ``"adversarial"`` weight means the language discriminator was used.
        alignment_loss (`str`, *optional*):
            The alignment loss kind (``mse``, ``cosine``, ``contrastive``) when ``losses["alignment"] > 0``.
        grl_schedule (`dict`, *optional*):
            The gradient-reversal schedule: ``{"schedule": "dann", "lambda_max": 1.0, "gamma": 10.0}`` (Ganin &
            Lempitsky, 2015).
        language_sampling_temperature (`float`, *optional*):
            The exponent `alpha` of temperature-based language sampling (Conneau & Lample, 2019); `None` when the
            data was not resampled.
        datasets (`list[DatasetSummary]`):
            The datasets used, with their rows per origin (real vs back-translated...).
        results (`dict[str, dict[str, float]]`):
            Language -> metric -> value, e.g. from a `PerLanguageReport` (see `results_from_report`).
        results_dataset (`str`, *optional*):
            The evaluation set the results were measured on (a Hub id or a name), for the card's ``model-index``.
        results_split (`str`, defaults to `"test"`):
            Its split.
        license (`str`, defaults to `"unknown"`):
            A Hub license id, e.g. ``"apache-2.0"``. The licenses of the base model and of the data apply.
        hyperparameters (`dict`, *optional*):
            Other settings shown in the card (learning rate, epochs, batch size...).
        tags (`list[str]`, *optional*):
            Extra Hub tags.
    """

    languages: list[str]
    base_model: str | None = None
    model_class: str | None = None
    adapters: dict[str, dict] = field(default_factory=dict)
    active_adapters: list[str] = field(default_factory=list)
    losses: dict[str, float] = field(default_factory=lambda: {"task": 1.0})
    alignment_loss: str | None = None
    grl_schedule: dict | None = None
    language_sampling_temperature: float | None = None
    datasets: list[DatasetSummary] = field(default_factory=list)
    results: dict[str, dict[str, float]] = field(default_factory=dict)
    results_dataset: str | None = None
    results_split: str = "test"
    license: str = "unknown"
    hyperparameters: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.languages = validate_language_codes(self.languages, "languages")
        self.datasets = [d if isinstance(d, DatasetSummary) else DatasetSummary(**d) for d in self.datasets]
        if hasattr(self.results, "rows") and hasattr(self.results, "metric_names"):
            self.results = results_from_report(self.results)
        if self.results:
            validate_language_codes(list(self.results), "results")
        for language, metrics in self.results.items():
            bad = {m: v for m, v in metrics.items() if not isinstance(v, numbers.Real) or isinstance(v, bool)}
            if bad:
                raise ValueError(f"results[{language!r}] must map metric names to numbers, got {bad}.")
        bad_weights = {k: v for k, v in self.losses.items() if not isinstance(v, numbers.Real) or v < 0}
        if bad_weights:
            raise ValueError(f"`losses` must map loss components to weights >= 0, got {bad_weights}.")
        if self.model_class is not None and self.model_class not in MODEL_CLASS_TASKS:
            raise ValueError(f"`model_class` must be one of {sorted(MODEL_CLASS_TASKS)}, got {self.model_class!r}.")

    # ------------------------------------------------------------------------------------------- derived facts
    @property
    def all_languages(self) -> list[str]:
        """The model's languages, then any other language an adapter or a result names (zero-shot targets)."""
        codes = list(self.languages)
        codes += [info["language"] for info in self.adapters.values() if info.get("language")]
        codes += list(self.results)
        return list(dict.fromkeys(codes))

    @property
    def used_discriminator(self) -> bool:
        """Whether the adversarial language discriminator contributed to the loss."""
        return self.losses.get("adversarial", 0) > 0

    @property
    def language_adapters(self) -> dict[str, str]:
        return {n: info["language"] for n, info in self.adapters.items() if info.get("kind") == "language"}

    @property
    def task_adapters(self) -> dict[str, str]:
        return {n: info["task"] for n, info in self.adapters.items() if info.get("kind") == "task"}

    @property
    def example_composition(self) -> tuple[str | None, str | None]:
        """The (language adapter name, task adapter name) a loading example activates: the active ones, else the
        last language adapter (the last one added, usually the target) and the first task adapter."""
        language = next((n for n in self.active_adapters if n in self.language_adapters), None)
        task = next((n for n in self.active_adapters if n in self.task_adapters), None)
        language = language or next(reversed(self.language_adapters), None)
        task = task or next(iter(self.task_adapters), None)
        return language, task

    @property
    def pipeline_tag(self) -> str | None:
        return MODEL_CLASS_TASKS[self.model_class][1] if self.model_class else None

    @property
    def auto_class(self) -> str:
        return MODEL_CLASS_TASKS[self.model_class][0] if self.model_class else "AutoModel"

    @property
    def metric_names(self) -> list[str]:
        return list(dict.fromkeys(m for metrics in self.results.values() for m in metrics))

    @property
    def techniques(self) -> list[str]:
        """Keys of `hf_lowres.hub.references.REFERENCES` for the techniques this training used, and only those."""
        keys = []
        if self.language_adapters and self.task_adapters:
            keys.append("mad-x")
        if self.adapters:
            keys.append("lora")
        if self.used_discriminator:
            keys.append("dann")
        if any(d.rows_per_origin.get("back-translated") for d in self.datasets):
            keys.append("back-translation")
        if self.language_sampling_temperature is not None:
            keys.append("temperature-sampling")
        if self.losses.get("alignment", 0) > 0:
            keys.append("alignment")
            if self.alignment_loss == "contrastive":
                keys.append("infonce")
        return keys

    # ------------------------------------------------------------------------------------------- construction
    @classmethod
    def from_manager(
        cls,
        manager,
        training_args=None,
        *,
        datasets: Sequence[DatasetSummary] = (),
        results=None,
        base_model: str | None = None,
        license: str = "unknown",
        results_dataset: str | None = None,
        tags: Sequence[str] = (),
    ) -> TrainingSummary:
        """Builds the summary of an `AdapterManager`'s adapters and the arguments they were trained with.

        Args:
            manager (`AdapterManager`): the adapters (names, kinds, LoRA ranks, parameter counts) and the model
                (languages, class, backbone checkpoint).
            training_args (`CrossLingualTrainingArguments`, `dict` or any object with those attributes, *optional*):
                read for ``adversarial_weight``, ``alignment_weight``, ``alignment_loss``, ``grl_schedule``,
                ``grl_lambda_max``, ``grl_gamma``, ``language_sampling_temperature`` and common hyperparameters
                (``learning_rate``, ``num_train_epochs``, ``max_steps``, ``per_device_train_batch_size``, ``seed``).
            datasets (`list[DatasetSummary]`): the data, with origin counts (see `DatasetSummary.from_corpus`).
            results (`PerLanguageReport` or `dict[str, dict[str, float]]`, *optional*): per-language results.
            base_model (`str`, *optional*): the backbone's Hub id; defaults to the one the model was loaded from.
            license (`str`): a Hub license id.
            results_dataset (`str`, *optional*): the evaluation set's name or Hub id.
            tags (`list[str]`): extra Hub tags.
        """
        composition = manager.composition()
        summary = cls.from_composition(composition, base_model=base_model)
        for entry in manager.list_adapters():
            lora = manager.peft_model.peft_config[entry["name"]]
            summary.adapters[entry["name"]].update(
                r=lora.r, lora_alpha=lora.lora_alpha, parameters=entry["parameters"]
            )
        args = _as_mapping(training_args)
        losses = {"task": 1.0}
        if args.get("adversarial_weight"):
            losses["adversarial"] = float(args["adversarial_weight"])
        if args.get("alignment_weight"):
            losses["alignment"] = float(args["alignment_weight"])
        summary.losses = losses
        summary.alignment_loss = args.get("alignment_loss") or (
            composition.lowres_config.get("alignment_loss") if "alignment" in losses else None
        )
        if "adversarial" in losses:
            summary.grl_schedule = {
                "schedule": args.get("grl_schedule", "constant"),
                "lambda_max": float(args.get("grl_lambda_max", composition.lowres_config.get("grl_lambda", 1.0))),
            }
            if summary.grl_schedule["schedule"] == "dann":
                summary.grl_schedule["gamma"] = float(args.get("grl_gamma", 10.0))
        summary.language_sampling_temperature = args.get("language_sampling_temperature")
        summary.hyperparameters = {
            key: args[key]
            for key in ("learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "seed")
            if args.get(key) not in (None, -1)
        }
        summary.datasets = list(datasets)
        summary.license = license
        summary.results_dataset = results_dataset
        summary.tags = list(tags)
        summary.results = results_from_report(results) if results is not None else {}
        summary.__post_init__()
        return summary

    @classmethod
    def from_composition(cls, composition, base_model: str | None = None) -> TrainingSummary:
        """The part of the summary a saved composition (`hf_lowres_composition.json`) records: adapters, languages,
        class and backbone. Used when pushing a directory that has no saved summary."""
        return cls(
            languages=list(composition.lowres_config.get("languages") or []),
            base_model=base_model or composition.base_model.get("name_or_path") or None,
            model_class=composition.model_class if composition.model_class in MODEL_CLASS_TASKS else None,
            adapters={name: dict(info) for name, info in composition.adapters.items()},
            active_adapters=list(composition.active),
        )

    @classmethod
    def from_dict(cls, data: Mapping) -> TrainingSummary:
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown TrainingSummary fields {unknown}; written by a newer hf_lowres?")
        return cls(**{**data, "datasets": [DatasetSummary(**d) for d in data.get("datasets", [])]})

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, directory: str | os.PathLike) -> str:
        """Writes ``hf_lowres_training_summary.json`` into `directory` and returns its path."""
        path = os.path.join(directory, TRAINING_SUMMARY_FILE)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True, ensure_ascii=False)
            f.write("\n")
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike) -> TrainingSummary:
        with open(os.path.join(directory, TRAINING_SUMMARY_FILE), encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


def results_from_report(report) -> dict[str, dict[str, float]]:
    """Language -> metric -> value from a `PerLanguageReport` (its rows, without the macro average or deltas), or
    a copy of a dict already in that form."""
    if isinstance(report, Mapping):
        return {language: dict(metrics) for language, metrics in report.items()}
    if not (hasattr(report, "rows") and hasattr(report, "metric_names")):
        raise TypeError(f"results must be a PerLanguageReport or a dict, got {type(report).__name__}.")
    return {
        row["language"]: {m: float(row[m]) for m in report.metric_names if row.get(m) is not None}
        for row in report.rows
    }


def _as_mapping(training_args) -> dict:
    if training_args is None:
        return {}
    if isinstance(training_args, Mapping):
        return dict(training_args)
    if dataclasses.is_dataclass(training_args):
        return {f.name: getattr(training_args, f.name) for f in dataclasses.fields(training_args)}
    return dict(vars(training_args))
