"""Where the `evaluate` metric modules shipped with hf_lowres live, so that they load without the Hub."""

from __future__ import annotations

from pathlib import Path


METRICS_DIR = Path(__file__).resolve().parent.parent / "metrics"

# Spellings people use for the same metric -> the folder that ships it.
_ALIASES = {
    "sacrebleu": "bleu",
    "chrf++": "chrf_plus_plus",
    "chrfpp": "chrf_plus_plus",
    "f1": "macro_f1",
    "seqeval": "entity_f1",
}


def available_metrics() -> list[str]:
    """The names of the metric modules shipped with hf_lowres (the folders of ``hf_lowres/metrics``)."""
    return sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())


def metric_path(name: str) -> str:
    """The directory of a shipped metric module, to pass to `evaluate.load`.

    `evaluate.load("sacrebleu")` fetches its script from the Hub and fails offline; a local module directory
    holding ``<name>.py`` loads with no network.

    Args:
        name (`str`): one of `available_metrics()` (``"bleu"``, ``"chrf"``, ``"chrf_plus_plus"``, ``"ter"``,
            ``"accuracy"``, ``"macro_f1"``, ``"entity_f1"``) or an alias (``"chrf++"``, ``"sacrebleu"``,
            ``"seqeval"``).

    Returns:
        `str`: the absolute path of the module's directory.

    Raises:
        ValueError: when no module of that name is shipped.

    Example:

    ```python
    >>> import evaluate
    >>> chrf = evaluate.load(metric_path("chrf"))
    >>> chrf.compute(predictions=["a cat"], references=["a cat"])["chrf"]
    100.0
    ```
    """
    folder = _ALIASES.get(name.lower(), name.lower())
    path = METRICS_DIR / folder
    if not (path / f"{folder}.py").is_file():
        raise ValueError(f"hf_lowres ships no metric {name!r}; available: {available_metrics()}")
    return str(path)


def load_metric(name: str, **kwargs):
    """`evaluate.load` on a shipped metric module: ``load_metric("chrf")`` works offline.

    Args:
        name (`str`): a name accepted by `metric_path`.
        **kwargs: passed to `evaluate.load` (e.g. ``experiment_id``).

    Returns:
        `evaluate.EvaluationModule`: the loaded metric.
    """
    import evaluate

    return evaluate.load(metric_path(name), **kwargs)
