"""Predict with a saved task adapter set: label a file of sentences, and score it per language when it has labels.

    hf-lowres predict --adapters runs/task/adapters --input_file jav_test.csv --text_column text \\
        --language jav --label_column label --output_file runs/jav_predictions.csv

`--adapters` is a directory saved by `train_task` (`<output_dir>/adapters`) or a Hub repo id it was pushed to. The
input is CSV/TSV with a header, JSON Lines, or plain text (one sentence per line). Each output row is the input row
plus the predicted class name and the probability of every class (CSV/TSV/JSON Lines by the output's extension;
JSON Lines on stdout without `--output_file`). `--language` (all rows) or `--language_column` (per row) switches in
that language's adapter under the task adapter (MAD-X); without either, the composition the set was saved with is
used. With `--label_column`, accuracy and macro-F1 per language are printed as a table and written as JSON.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field


# Nothing heavy at import: `hf-lowres predict --help` and its argument errors answer without torch (see cli.py).

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".txt")
OUTPUT_SUFFIXES = (".csv", ".tsv", ".jsonl")
PREDICTION_FIELD = "predicted_label"
SCORES_FIELD = "scores"  # JSON Lines: {class name: probability}
SCORE_COLUMN_PREFIX = "score_"  # CSV/TSV: one column per class
ALL_ROWS = "all"  # the report's row name for rows without a language
METRICS = ("accuracy", "macro_f1")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass
class PredictArguments:
    """The adapter set, the input file, its columns and where the predictions go."""

    adapters: str = field(
        metadata={
            "help": "A task adapter set: the directory train_task saved (<output_dir>/adapters) or a Hub repo id."
        }
    )
    input_file: str = field(
        metadata={
            "help": "Sentences to label: .csv/.tsv (header row), .jsonl (one object a line) or .txt (a line each)."
        }
    )
    output_file: str | None = field(
        default=None,
        metadata={"help": "Where the predictions go: .csv, .tsv or .jsonl (default: JSON Lines on stdout)."},
    )
    text_column: str = field(default="text", metadata={"help": "The column (or JSON field) holding the sentence."})
    label_column: str | None = field(
        default=None, metadata={"help": "A column of gold labels (names or ids): scores the predictions per language."}
    )
    language: str | None = field(
        default=None, metadata={"help": "The language of every row: its language adapter is switched in (MAD-X)."}
    )
    language_column: str | None = field(
        default=None, metadata={"help": "A column holding each row's language (instead of --language)."}
    )
    task: str | None = field(
        default=None, metadata={"help": "The task adapter to use (default: the set's only or active one)."}
    )
    metrics_file: str | None = field(
        default=None,
        metadata={"help": "Where the per-language metrics go (.json; default: beside --output_file, .metrics.json)."},
    )
    batch_size: int = field(default=32, metadata={"help": "Sentences per forward pass."})
    max_length: int = field(default=128, metadata={"help": "Truncate sentences to this many tokens."})
    base_model: str | None = field(
        default=None,
        metadata={
            "help": "The backbone to build on instead of the one the set records (e.g. its local folder's Hub id)."
        },
    )
    tokenizer_name_or_path: str | None = field(
        default=None, metadata={"help": "The tokenizer (default: the one saved with the set, else the backbone's)."}
    )
    revision: str | None = field(default=None, metadata={"help": "Branch, tag or commit of a Hub adapter repo."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, cuda:1... (default: cuda if available)."})

    def __post_init__(self):
        _check_suffix("input_file", self.input_file, INPUT_SUFFIXES)
        if self.output_file is not None:
            _check_suffix("output_file", self.output_file, OUTPUT_SUFFIXES)
        if self.metrics_file is not None:
            _check_suffix("metrics_file", self.metrics_file, (".json",))
        if self.language is not None and self.language_column is not None:
            raise ValueError("`language` and `language_column` exclude each other: give one language, or a column.")
        if _suffix(self.input_file) == ".txt":
            columns = [f"`{name}`" for name in ("label_column", "language_column") if getattr(self, name)]
            if columns:
                raise ValueError(
                    f"{' and '.join(columns)} need a .csv, .tsv or .jsonl input: a .txt input_file has one sentence a "
                    "line and no columns (use --language for its language)."
                )
        if not self.text_column:
            raise ValueError("`text_column` is empty; expected the name of the column holding the sentences.")
        for name in ("batch_size", "max_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}.")


@dataclass
class PredictionRows:
    """The rows of an input file, read and checked.

    Args:
        path (`str`): the file.
        columns (`list[str]`): its columns (JSON fields in order of first appearance), kept in the output.
        records (`list[dict]`): every row as read (all its columns).
        lines (`list[int]`): the line each row starts on.
        texts (`list[str]`): the sentences.
        languages (`list[str | None]`): each row's language (`None`: not given).
        labels (`list | None`): the raw gold labels, when a label column was named.
    """

    path: str
    columns: list[str]
    records: list[dict]
    lines: list[int]
    texts: list[str]
    languages: list[str | None]
    labels: list | None = None


@dataclass
class PredictInputs:
    """What `check_inputs` read: the rows, the set's composition and what it decided from it."""

    rows: PredictionRows
    composition: object  # `AdapterComposition`
    task: str
    class_names: list[str] | None  # None: the composition does not name the classes; the loaded model will
    label_ids: list[int] | None


def make_parser():
    from .recipe_parser import RecipeParser

    return RecipeParser((PredictArguments,))


# ------------------------------------------------------------------------------------------------ reading
def read_prediction_file(
    path: str,
    text_column: str = "text",
    label_column: str | None = None,
    language_column: str | None = None,
    language: str | None = None,
) -> PredictionRows:
    """Reads the sentences to label, checking every row.

    The file is UTF-8 CSV (comma-separated, CSV quoting) or TSV (tab-separated, no quoting) with a header row, JSON
    Lines (``.jsonl``: one object a line), or plain text (``.txt``: one sentence a line, read into `text_column`).
    Blank lines are skipped and counted (logged at WARNING).

    Args:
        path (`str`): the file.
        text_column (`str`, defaults to `"text"`): the column holding the sentences.
        label_column (`str`, *optional*): a column of gold labels (kept raw: names or ids).
        language_column (`str`, *optional*): a column of language codes.
        language (`str`, *optional*): the language of every row (when there is no `language_column`).

    Raises:
        FileNotFoundError: the file does not exist.
        CorpusFormatError: an empty file, malformed CSV/JSON, undecodable bytes, a missing or repeated column (the
            columns found are listed), an empty sentence, label or language, or no rows at all; each names the file,
            the line and the column.
    """
    from .data.errors import CorpusFormatError
    from .data.text_reading import check_not_empty

    suffix = _suffix(path)
    if suffix not in INPUT_SUFFIXES:
        raise CorpusFormatError(f"unsupported file type {suffix!r}; expected one of {list(INPUT_SUFFIXES)}.", path)
    wanted = [name for name in (text_column, label_column, language_column) if name]
    if suffix == ".txt" and len(wanted) > 1:
        raise CorpusFormatError("a .txt file has one sentence a line and no columns (no labels, no languages).", path)
    check_not_empty(path, _expected(suffix, text_column))
    if suffix in (".csv", ".tsv"):
        columns, records, lines = _read_delimited(path, "\t" if suffix == ".tsv" else ",", wanted)
    elif suffix == ".jsonl":
        columns, records, lines = _read_json_lines(path, wanted)
    else:
        columns, records, lines = _read_text_lines(path, text_column)
    if not records:
        raise CorpusFormatError(
            f"the file holds no rows (a header or blank lines only); expected {_expected(suffix, text_column)}.", path
        )

    def value(record, line, column, what):
        found = record[column]
        if isinstance(found, str) and found.strip():
            return found
        if isinstance(found, int) and not isinstance(found, bool) and column == label_column:
            return found  # a label id
        shown = "is empty" if found is None or isinstance(found, str) else f"is {found!r}, not text"
        raise CorpusFormatError(f"the {column!r} value {shown}; expected {what}.", path, line)

    texts = [value(r, line, text_column, "a sentence") for r, line in zip(records, lines)]
    labels = [value(r, line, label_column, "a label") for r, line in zip(records, lines)] if label_column else None
    if language_column:
        languages = [value(r, line, language_column, "a language code") for r, line in zip(records, lines)]
    else:
        languages = [language] * len(records)
    for taken in (PREDICTION_FIELD, SCORES_FIELD):
        if taken in columns:
            raise CorpusFormatError(
                f"the column {taken!r} would be overwritten by the predictions; rename it.", path, 1
            )
    return PredictionRows(path, columns, records, lines, texts, languages, labels)


def _expected(suffix: str, text_column: str) -> str:
    if suffix == ".txt":
        return "one sentence a line"
    if suffix == ".jsonl":
        return f"one JSON object a line, with a field {text_column!r}"
    return f"a header row with a column {text_column!r}, then one row per sentence"


def _read_delimited(path: str, delimiter: str, wanted: list[str]):
    from .data.errors import CorpusFormatError
    from .data.text_reading import column_position, iter_csv

    header, records, lines, blank = None, [], [], 0
    for line, fields in iter_csv(path, delimiter, _expected(_suffix(path), wanted[0])):
        if header is None:
            header = fields
            for name in dict.fromkeys(header):
                column_position(header, name, path)  # each column once
            for name in wanted:
                if name not in header:
                    raise CorpusFormatError(f"missing column {name!r}; columns found: {header}.", path, 1)
            continue
        if not fields:
            blank += 1
            continue
        records.append(dict(zip(header, fields)))
        lines.append(line)
    _log_blank_lines(path, blank)
    return header, records, lines


def _read_json_lines(path: str, wanted: list[str]):
    from .data.errors import CorpusFormatError
    from .data.text_reading import JsonLines, iter_lines

    columns, records, lines = {}, [], []
    reader = JsonLines(iter_lines(path, _expected(".jsonl", wanted[0])), path)
    for number, record in reader:
        if not isinstance(record, dict):
            raise CorpusFormatError(f"expected a JSON object, found {type(record).__name__}.", path, number)
        missing = [name for name in wanted if name not in record]
        if missing:
            raise CorpusFormatError(f"missing field(s) {missing}; fields found: {list(record)}.", path, number)
        columns.update(dict.fromkeys(record))
        records.append(record)
        lines.append(number)
    _log_blank_lines(path, reader.blank_lines)
    return list(columns), records, lines


def _read_text_lines(path: str, text_column: str):
    from .data.text_reading import iter_lines

    records, lines, blank = [], [], 0
    for number, line in iter_lines(path, _expected(".txt", text_column)):
        if not line.strip():
            blank += 1
            continue
        records.append({text_column: line})
        lines.append(number)
    _log_blank_lines(path, blank)
    return [text_column], records, lines


def _log_blank_lines(path: str, count: int) -> None:
    if count:
        logger.warning("%s: skipped %d blank line(s); the predictions have one row per other line.", path, count)


def label_ids(rows: PredictionRows, class_names: list[str], label_column: str) -> list[int]:
    """The gold labels of `rows` as class ids: a label is a class name, or an id in ``[0, len(class_names))``.

    Raises:
        CorpusFormatError: naming the file, the line and the column of the first label that is neither.
    """
    from .training.data_preparation import _label_id  # the rule of the labeled files of the recipes

    return [
        _label_id(value, class_names, f"the {label_column!r} value", rows.path, line)
        for value, line in zip(rows.labels, rows.lines)
    ]


# -------------------------------------------------------------------------------------------- the adapter set
def read_composition(adapters: str, revision: str | None = None):
    """The `AdapterComposition` of a set, from its directory or (only that file) from the Hub.

    Raises:
        FileNotFoundError: a path that does not exist, or a directory with no composition.
        OSError: the Hub does not answer, or has no such repo (the message says which).
        ValueError: a composition that is not valid, or a name that is neither a path nor a repo id.
    """
    from .adapters import COMPOSITION_FILE, AdapterComposition

    expected = "a directory saved by train_task (<output_dir>/adapters) or a Hub repo id"
    if os.path.isdir(adapters):
        if not os.path.isfile(os.path.join(adapters, COMPOSITION_FILE)):
            raise FileNotFoundError(f"{adapters}: no {COMPOSITION_FILE} in the directory; expected {expected}.")
        return AdapterComposition.load(adapters)
    if os.path.exists(adapters):
        raise ValueError(f"{adapters}: is a file; expected {expected}.")
    if adapters.startswith(("/", "./", "../", "~", "\\")) or adapters.count("/") > 1 or not _REPO_ID.match(adapters):
        raise FileNotFoundError(f"{adapters}: no such directory; expected {expected}.")
    from huggingface_hub import HfApi, snapshot_download

    from .hub.errors import HubPublishingError, translate_hub_errors

    try:
        with translate_hub_errors(HfApi().endpoint, adapters, None, "read the adapter set", "Nothing was loaded."):
            snapshot = snapshot_download(adapters, revision=revision, allow_patterns=[COMPOSITION_FILE])
    except (HubPublishingError, OSError, ValueError) as error:
        raise OSError(f"{adapters}: not a local directory, and as a Hub repo id: {error}") from error
    if not os.path.isfile(os.path.join(snapshot, COMPOSITION_FILE)):
        raise FileNotFoundError(f"{adapters}: the Hub repo has no {COMPOSITION_FILE}; expected {expected}.")
    return AdapterComposition.load(snapshot)


def set_languages(composition) -> tuple[list[str], list[str]]:
    """The set's languages (its model's, in order) and those that have a language adapter."""
    adapted = [info["language"] for info in composition.adapters.values() if info["kind"] == "language"]
    languages = list(composition.lowres_config.get("languages") or [])
    return languages + [code for code in adapted if code not in languages], adapted


def choose_task(composition, task: str | None) -> str:
    """The task adapter to predict with: `task`, else the set's only task adapter, else its active one.

    Raises:
        ValueError: the set has no task adapter, not `task`, or several and none active; the message lists them.
    """
    tasks = [info["task"] for info in composition.adapters.values() if info["kind"] == "task"]
    if not tasks:
        raise ValueError(
            f"the set has no task adapter (it holds {sorted(composition.adapters)}); predict needs a task adapter "
            "with its classification head, as `hf-lowres train_task` saves."
        )
    if task is not None:
        if task not in tasks:
            raise ValueError(f"the set has no task adapter {task!r}; its task adapters: {tasks}.")
        return task
    if len(tasks) == 1:
        return tasks[0]
    active = [composition.adapters[name]["task"] for name in composition.active if name in composition.adapters]
    active = [name for name in active if name in tasks]
    if active:
        return active[0]
    raise ValueError(f"the set has several task adapters {tasks} and none active; name one with --task.")


def recorded_class_names(composition) -> list[str] | None:
    """The class names the composition records, in id order; None when it has none but `LABEL_<i>`."""
    id2label = composition.lowres_config.get("id2label")
    if not isinstance(id2label, dict) or not id2label:
        return None
    try:
        names = [id2label[key] for key in sorted(id2label, key=int)]
    except (TypeError, ValueError):
        return None
    if names == [f"LABEL_{i}" for i in range(len(names))]:
        return None
    return [str(name) for name in names]


def load_adapter_set(
    adapters: str,
    revision: str | None = None,
    tokenizer_name_or_path: str | None = None,
    base_model: str | None = None,
):
    """Loads a task adapter set (directory or Hub repo id) with its backbone, and its tokenizer.

    Weights are read from safetensors only (the adapters, heads and discriminator always are; the backbone is loaded
    with `use_safetensors=True`), and no remote code runs. The backbone is the checkpoint the set records, or
    `base_model` (for a set trained on a local folder that this machine does not have). The tokenizer is
    `tokenizer_name_or_path`, else the one saved with the set, else the backbone's.

    Returns:
        `(AdapterManager, tokenizer)`.
    """
    from transformers import AutoTokenizer

    from . import models
    from .adapters import AdapterComposition, AdapterManager
    from .hub import load_adapters_from_hub

    backbone_kwargs = {"use_safetensors": True}
    if os.path.isdir(adapters):
        model = None
        if base_model is not None:
            composition = AdapterComposition.load(adapters)
            model_class = getattr(models, composition.model_class)  # one of hf_lowres' classes: checked by load
            kwargs = {"trust_remote_code": False, **backbone_kwargs}
            model = model_class.from_backbone(base_model, backbone_kwargs=kwargs, **composition.lowres_config)
        manager = AdapterManager.from_pretrained(
            adapters, model=model, backbone_kwargs=None if model is not None else backbone_kwargs
        )
        saved_tokenizer = adapters if os.path.isfile(os.path.join(adapters, "tokenizer_config.json")) else None
        tokenizer_kwargs = {}
    else:
        manager = load_adapters_from_hub(
            adapters, revision=revision, backbone_kwargs=backbone_kwargs, base_model=base_model
        )
        composition = read_composition(adapters, revision)  # one small request: does the set hold a tokenizer?
        saved_tokenizer = adapters if "tokenizer_config.json" in (composition.files or {}) else None
        tokenizer_kwargs = {"revision": revision}
    if tokenizer_name_or_path is not None:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_name_or_path)
    elif saved_tokenizer is not None:
        tokenizer = AutoTokenizer.from_pretrained(saved_tokenizer, **tokenizer_kwargs)
    else:
        tokenizer = AutoTokenizer.from_pretrained(base_model or manager.model.config.text_config._name_or_path)
    return manager, tokenizer


# ------------------------------------------------------------------------------------------------ predicting
def predict_class_scores(
    manager,
    tokenizer,
    texts: list[str],
    languages: list[str | None] | None = None,
    task: str | None = None,
    batch_size: int = 32,
    max_length: int | None = 128,
    device=None,
) -> list[list[float]]:
    """The probability of every class for each sentence, each language's rows with its language adapter switched in
    under the task adapter (MAD-X; Pfeiffer et al., 2020).

    Rows are run in batches of `batch_size` (sorted by length within a language, so that batches pad little),
    truncated to `max_length` tokens, without gradients, in eval mode. A row whose language has no adapter in the
    set is run with the task adapter alone (as `train_task` evaluates such a language); a row without a language
    with the language adapter the set was saved with, if any.

    Args:
        manager (`AdapterManager`): the loaded set.
        tokenizer: its tokenizer.
        texts (`list[str]`): the sentences.
        languages (`list[str | None]`, *optional*): each row's language.
        task (`str`, *optional*): the task adapter (default: the active one).
        batch_size (`int`, defaults to 32): rows per forward pass.
        max_length (`int`, *optional*, defaults to 128): truncation length in tokens.
        device (*optional*): where to run (default: where the model is).

    Returns:
        `list[list[float]]`: one row of class probabilities (softmax of the logits, summing to 1) per sentence.
    """
    import torch

    from .evaluation._model_io import logits_of, model_device, run_model

    task = task or manager.active_task
    default_language = manager.active_language
    adapted = set(manager.language_adapters.values())
    languages = languages if languages is not None else [None] * len(texts)
    groups: dict[str | None, list[int]] = {}
    for index, language in enumerate(languages):
        groups.setdefault(default_language if language is None else language, []).append(index)
    model = manager.peft_model
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    was_training = model.training
    model.eval()
    scores: list[list[float] | None] = [None] * len(texts)
    try:
        with torch.no_grad():
            for language, indices in groups.items():
                if language is not None and language not in adapted:
                    logger.info("no language adapter for %r: its rows run with the task adapter alone", language)
                manager.activate(language=language if language in adapted else None, task=task)
                ordered = sorted(indices, key=lambda i: len(texts[i]))
                for start in range(0, len(ordered), batch_size):
                    chunk = ordered[start : start + batch_size]
                    encoded = tokenizer(
                        [texts[i] for i in chunk],
                        padding=True,
                        truncation=True,
                        max_length=max_length,
                        return_tensors="pt",
                    )
                    batch = {key: value.to(device) for key, value in encoded.items()}
                    probabilities = logits_of(run_model(model, batch)).float().softmax(dim=-1).cpu().tolist()
                    for i, row in zip(chunk, probabilities):
                        scores[i] = row
    finally:
        model.train(was_training)
    return scores


# --------------------------------------------------------------------------------------------------- writing
def write_predictions(
    rows: PredictionRows, class_names: list[str], scores: list[list[float]], path: str | None = None
) -> None:
    """Writes each input row with `predicted_label` (the class of highest probability) and every class's
    probability: CSV/TSV with one `score_<class>` column per class, JSON Lines with a `scores` object; JSON Lines
    on stdout when `path` is None."""
    predicted = [class_names[max(range(len(row)), key=row.__getitem__)] for row in scores]
    suffix = _suffix(path) if path is not None else ".jsonl"
    if path is not None and os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "w", encoding="utf-8", newline="") if path is not None else sys.stdout
    try:
        if suffix == ".jsonl":
            for record, label, row in zip(rows.records, predicted, scores):
                out = {**record, PREDICTION_FIELD: label, SCORES_FIELD: dict(zip(class_names, row))}
                handle.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            score_columns = [SCORE_COLUMN_PREFIX + name for name in class_names]
            writer = csv.writer(handle, delimiter="\t" if suffix == ".tsv" else ",")
            writer.writerow([*rows.columns, PREDICTION_FIELD, *score_columns])
            for record, label, row in zip(rows.records, predicted, scores):
                values = [_cell(record.get(column)) for column in rows.columns]
                writer.writerow([*values, label, *(repr(score) for score in row)])
    finally:
        if path is not None:
            handle.close()
        else:
            handle.flush()


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def score_predictions(rows: PredictionRows, gold: list[int], scores: list[list[float]], class_names: list[str]):
    """Accuracy and macro-F1 of the predictions per language (rows without a language under `all`), with their
    macro average, as a `PerLanguageReport` (`hf_lowres.evaluation`)."""
    from .evaluation import evaluate_per_language

    predicted = [max(range(len(row)), key=row.__getitem__) for row in scores]
    groups: dict[str, list[int]] = {}
    for index, language in enumerate(rows.languages):
        groups.setdefault(language or ALL_ROWS, []).append(index)
    datasets = {language: {"label": [gold[i] for i in indices]} for language, indices in groups.items()}

    def predict(dataset, language):
        return [predicted[i] for i in groups[language]]

    return evaluate_per_language(predict, datasets, list(METRICS), label_column="label", label_names=class_names)


# --------------------------------------------------------------------------------------------- the command
def check_inputs(args: PredictArguments) -> PredictInputs:
    """Reads and checks the input file and the set's composition (only that file, for a Hub repo), loading no model.

    Raises:
        InputError: listing every problem found, each under its argument.
    """
    from .training.input_checks import InputChecks

    checks = InputChecks()
    rows = checks.run(
        "--input_file", read_prediction_file, args.input_file, args.text_column, args.label_column,
        args.language_column, args.language,
    )  # fmt: skip
    composition = checks.run("--adapters", read_composition, args.adapters, args.revision)
    task = class_names = gold = None
    if composition is not None:
        task = checks.run("--task" if args.task else "--adapters", choose_task, composition, args.task)
        if composition.model_class != "LowResForSequenceClassification":
            checks.fail(
                "--adapters",
                f"{args.adapters} was trained as {composition.model_class}; predict labels sentences with a "
                "sequence-classification set (LowResForSequenceClassification, as train_task saves).",
            )
        if composition.lowres_config.get("problem_type") == "multi_label_classification":
            checks.fail("--adapters", f"{args.adapters} is multi-label; predict handles single-label classification.")
        known, adapted = set_languages(composition)
        listed = f"its languages: {known} (with a language adapter: {adapted})"
        if args.language is not None and args.language not in known:
            checks.fail(
                "--language", f"{args.language!r} is not a language of the adapter set {args.adapters}; {listed}."
            )
        if rows is not None and args.language_column:
            unknown = {}
            for language, line in zip(rows.languages, rows.lines):
                if language not in known:
                    unknown.setdefault(language, line)
            for language, line in list(unknown.items())[:3]:
                checks.fail(
                    "--language_column",
                    f"{rows.path}, line {line}: the {args.language_column!r} value {language!r} is not a language of "
                    f"the adapter set {args.adapters}; {listed}.",
                )
        class_names = recorded_class_names(composition)
        if rows is not None and class_names is not None:
            if args.label_column:
                gold = checks.run("--label_column", label_ids, rows, class_names, args.label_column)
            taken = [SCORE_COLUMN_PREFIX + name for name in class_names if SCORE_COLUMN_PREFIX + name in rows.columns]
            if taken and _suffix(args.output_file or ".jsonl") != ".jsonl":
                checks.fail("--input_file", f"{rows.path}: the columns {taken} would be overwritten by the scores.")
    checks.raise_if_any()
    return PredictInputs(rows, composition, task, class_names, gold)


def main(args: PredictArguments, inputs: PredictInputs | None = None):
    """Runs `hf-lowres predict`; `inputs` are `check_inputs`' result when the caller already checked them.

    Returns:
        `PerLanguageReport` when the input has labels, else None.
    """
    import torch

    from .hub.errors import HubPublishingError
    from .training.input_checks import InputError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if inputs is None:
        inputs = check_inputs(args)
    rows = inputs.rows
    try:
        device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    except RuntimeError as error:
        raise InputError([f"--device {args.device}: {error}"]) from None
    try:
        manager, tokenizer = load_adapter_set(
            args.adapters, args.revision, args.tokenizer_name_or_path, args.base_model
        )
    except (OSError, ValueError, HubPublishingError) as error:
        # A backbone without safetensors weights, a tokenizer that is missing, a set that does not load: the
        # arguments point at something unusable, which only loading could tell.
        raise InputError([f"--adapters {args.adapters}: the set did not load: {error}"]) from error
    id2label = manager.model.config.id2label
    class_names = [str(id2label[i]) for i in sorted(id2label)]
    gold = inputs.label_ids
    if args.label_column and (gold is None or class_names != inputs.class_names):
        try:
            gold = label_ids(rows, class_names, args.label_column)
        except ValueError as error:
            raise InputError([f"--label_column: {error}"]) from error
    scores = predict_class_scores(
        manager, tokenizer, rows.texts, rows.languages, inputs.task, args.batch_size, args.max_length, device
    )
    write_predictions(rows, class_names, scores, args.output_file)
    if args.output_file is not None:
        logger.info("wrote %d predictions to %s", len(scores), args.output_file)
    if gold is None:
        return None
    report = score_predictions(rows, gold, scores, class_names)
    # With the predictions on stdout, the table goes to stderr so that stdout stays JSON Lines.
    print(report.to_markdown(), file=sys.stdout if args.output_file is not None else sys.stderr)
    metrics_file = args.metrics_file
    if metrics_file is None and args.output_file is not None:
        metrics_file = os.path.splitext(args.output_file)[0] + ".metrics.json"
    if metrics_file is not None:
        report.to_json(metrics_file)
        logger.info("wrote the per-language metrics to %s", metrics_file)
    return report


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _check_suffix(name: str, path: str, allowed: tuple[str, ...]) -> None:
    if _suffix(path) not in allowed:
        raise ValueError(f"`{name}` {path!r} has the extension {_suffix(path)!r}; expected one of {list(allowed)}.")
