"""Up-front checks of a recipe's inputs: every argument and file is checked before a model is loaded.

A recipe's `check_inputs` reads and checks all its data files (they exist, parse and have their columns), its paths
and its model argument, collecting every problem in an `InputChecks`; a run then fails in seconds with one message
that lists them all, instead of after minutes of model loading or hours of training.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar


T = TypeVar("T")


class InputError(ValueError):
    """Some of a recipe's arguments or input files are wrong; nothing was loaded or trained.

    The message lists every problem found, one a line, each starting with the argument it concerns. The `hf-lowres`
    command prints it as `error: ...` and exits with status 2, without a traceback.

    Args:
        problems (`list[str]`): one message per problem, e.g. ``"--train_file data/train.csv: no such file."``.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = "1 problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} with the arguments (found before loading any model):\n{lines}")


class InputChecks:
    """Runs a recipe's up-front checks and collects their problems, so that one run reports all of them.

    Example:

    ```python
    >>> checks = InputChecks()
    >>> train = checks.run("--train_file", load_labeled_file, "train.csv", ["negative", "positive"])
    >>> checks.require(args.max_length >= 1, "--max_length", f"must be at least 1, got {args.max_length}.")
    >>> checks.raise_if_any()  # InputError listing every problem, if there was one
    ```
    """

    def __init__(self):
        self.problems: list[str] = []

    def run(self, argument: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Returns `check(*args, **kwargs)`, or records its `ValueError`/`OSError` under `argument` and returns None.

        Only the errors that bad input raises are collected: any other exception is a bug and propagates.
        """
        try:
            return check(*args, **kwargs)
        except (ValueError, OSError) as error:
            message = str(error)
            # `FileNotFoundError(2, "...")` and friends print as "[Errno 2] ...": keep the readable part.
            if isinstance(error, OSError) and error.strerror and error.filename:
                message = f"{error.filename}: {error.strerror}."
            self.fail(argument, message)
            return None

    def fail(self, argument: str, message: str) -> None:
        """Records a problem with `argument`."""
        self.problems.append(f"{argument}: {message}")

    def require(self, condition: bool, argument: str, message: str) -> bool:
        """Records `message` under `argument` when `condition` is false; returns `condition`."""
        if not condition:
            self.fail(argument, message)
        return condition

    def raise_if_any(self) -> None:
        """Raises an `InputError` listing every problem recorded, if there is one."""
        if self.problems:
            raise InputError(self.problems)


def check_model_path(name_or_path: str) -> None:
    """Checks a `model_name_or_path` argument without loading anything.

    A local directory must hold a `config.json`. A name that can only be a path (absolute, `./`, `../`, `~`, or
    more than one `/`) must exist. A Hub id is looked up in the local cache when `HF_HUB_OFFLINE` is set (otherwise
    the download itself checks it).

    Raises:
        FileNotFoundError: a missing directory, or a Hub id not in the cache while offline.
        ValueError: a file instead of a directory, a directory without `config.json`, an ill-formed Hub id.
    """
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    path = os.path.expanduser(name_or_path)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise ValueError(f"{name_or_path}: the directory has no config.json; expected a model checkpoint.")
        return
    if os.path.exists(path):
        raise ValueError(f"{name_or_path}: is a file; expected a model directory or a Hub model id.")
    if name_or_path.startswith(("/", "./", "../", "~")) or name_or_path.count("/") > 1:
        raise FileNotFoundError(f"{name_or_path}: no such directory; expected a model directory or a Hub model id.")
    try:
        validate_repo_id(name_or_path)
    except HFValidationError:
        raise ValueError(
            f"{name_or_path!r} is neither an existing directory nor a valid Hub model id (e.g. 'org/name')."
        ) from None
    if constants.HF_HUB_OFFLINE and not isinstance(try_to_load_from_cache(name_or_path, "config.json"), str):
        raise FileNotFoundError(
            f"{name_or_path}: not a local directory, and not in the Hub cache while HF_HUB_OFFLINE is set."
        )


def check_directory(path: str, required_file: str | None = None, expected: str = "a directory") -> None:
    """Checks that `path` is a directory (holding `required_file`, when given).

    Raises:
        FileNotFoundError: the directory or the file is missing.
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: no such directory; expected {expected}.")
    if required_file is not None and not os.path.isfile(os.path.join(path, required_file)):
        raise FileNotFoundError(f"{path}: no {required_file} in the directory; expected {expected}.")


def check_range(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    exclusive_maximum: bool = False,
    integer: bool = False,
    allow_none: bool = False,
) -> None:
    """Checks that the argument `name` is a finite number (an integer with `integer=True`) within the bounds.

    NaN and infinities are always refused: compared with `<` or `>` a NaN passes every bound, so a check written
    as ``if value < 0: raise`` lets it through.

    Example:

    ```python
    >>> check_range("alignment_weight", float("nan"), minimum=0)
    ValueError: `alignment_weight` must be a finite number >= 0, got nan.
    ```

    Raises:
        ValueError: naming the argument, the range expected and the value given.
    """
    if value is None and allow_none:
        return
    kind = "an integer" if integer else "a finite number"
    if minimum is not None and maximum is not None:
        low, high = "(" if exclusive_minimum else "[", ")" if exclusive_maximum else "]"
        expected = f"{kind} in {low}{minimum}, {maximum}{high}"
    elif minimum is not None:
        expected = f"{kind} {'>' if exclusive_minimum else '>='} {minimum}"
    elif maximum is not None:
        expected = f"{kind} {'<' if exclusive_maximum else '<='} {maximum}"
    else:
        expected = kind
    if allow_none:
        expected += " (or None)"
    if integer:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if exclusive_minimum else value >= minimum
    if ok and maximum is not None:
        ok = value < maximum if exclusive_maximum else value <= maximum
    if not ok:
        raise ValueError(f"`{name}` must be {expected}, got {value!r}.")


def load_report(path: str):
    """Reads a `PerLanguageReport` JSON file (a recipe's `results.json`), with errors that name the file.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not JSON, or not a report.
    """
    import json

    from hf_lowres.evaluation import PerLanguageReport

    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file.")
    expected = "expected the results.json of an earlier run"
    try:
        return PerLanguageReport.from_json(path)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: undecodable bytes at byte {e.start}; {expected}.") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}, line {e.lineno}: not valid JSON ({e.msg}); {expected}.") from None
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: not a per-language report (bad or missing {e}); {expected}.") from None


def check_training_inputs(
    checks: InputChecks,
    training_args,
    languages: list[str],
    texts: Sequence[tuple[str, Any]] = (),
    pairs: Sequence[tuple[str, Any]] = (),
) -> None:
    """The checks every training recipe shares, recorded in `checks`: the Hub and checkpoint arguments, and that the
    text and the parallel pairs carry only languages of `languages` (the collator refuses others at the first batch,
    after the model has loaded).

    Args:
        checks (`InputChecks`): where the problems go.
        training_args (`CrossLingualTrainingArguments`): the training arguments.
        languages (`list[str]`): the model's languages.
        texts (`Sequence[tuple[str, datasets.Dataset]]`): `(argument, dataset)` of the text with a language column.
        pairs (`Sequence[tuple[str, datasets.Dataset]]`): `(argument, dataset)` of the parallel pairs.
    """
    if training_args.push_to_hub and not training_args.hub_model_id:
        checks.fail("--push_to_hub", "needs --hub_model_id, the repo to push the adapters to.")
    resume = training_args.resume_from_checkpoint
    if isinstance(resume, str) and resume:
        checks.run("--resume_from_checkpoint", check_directory, resume, None, "a checkpoint directory of this run")
    pair_columns = [training_args.pair_source_language_column, training_args.pair_target_language_column]
    sources = [(argument, dataset, [training_args.language_column]) for argument, dataset in texts]
    sources += [(argument, dataset, pair_columns) for argument, dataset in pairs]
    for argument, dataset, columns in sources:
        for column in columns:
            if column not in dataset.column_names:
                continue  # then the collator does not read a language from it either
            unknown = sorted(set(dataset.unique(column)) - set(languages) - {None})
            if unknown:
                checks.fail(
                    argument, f"language(s) {unknown} in column {column!r} are not in --languages {languages}."
                )
