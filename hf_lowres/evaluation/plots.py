"""Pictures: pooled representations coloured by language, and per-language metrics of two runs.

matplotlib is an optional dependency (``pip install hf-lowres[plots]``), imported only when a picture is drawn,
with the non-interactive Agg backend so that it works on servers and in CI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

import torch

from hf_lowres.evaluation._tensors import as_float_tensor


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "hf_lowres' plots need matplotlib: install it with `pip install hf-lowres[plots]`."
        ) from error
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def project_2d(representations, method: str = "pca", seed: int = 0) -> torch.Tensor:
    """Projects ``(n, hidden)`` representations to 2-D.

    Args:
        representations (`torch.Tensor` or array): the vectors.
        method (`str`, defaults to `"pca"`): ``"pca"`` (principal components, exact and deterministic),
            ``"umap"`` (McInnes et al., 2018; needs `umap-learn`) or ``"auto"`` (UMAP when installed, else PCA).
        seed (`int`, defaults to 0): UMAP's random state.

    Returns:
        `torch.Tensor`: ``(n, 2)``.
    """
    x = as_float_tensor(representations)
    if method in ("umap", "auto"):
        try:
            import umap  # noqa: F401
        except ImportError:
            if method == "umap":
                raise ImportError("method='umap' needs umap-learn: `pip install umap-learn`") from None
            method = "pca"
        else:
            reducer = umap.UMAP(n_components=2, random_state=seed, n_neighbors=min(15, max(2, x.shape[0] - 1)))
            return torch.as_tensor(reducer.fit_transform(x.numpy()), dtype=torch.float32)
    if method != "pca":
        raise ValueError(f"unknown projection {method!r}; expected 'pca', 'umap' or 'auto'")
    centered = x - x.mean(dim=0)
    # SVD of the centred data: the right singular vectors are the principal axes.
    _, _, vh = torch.linalg.svd(centered, full_matrices=False)
    components = vh[:2]
    # Fix each axis' sign (largest loading positive) so the picture does not flip between runs.
    signs = torch.sign(components.gather(1, components.abs().argmax(dim=1, keepdim=True)))
    projected = centered @ (components * signs).T
    if projected.shape[1] < 2:
        projected = torch.cat([projected, torch.zeros(projected.shape[0], 2 - projected.shape[1])], dim=1)
    return projected


def plot_representations(
    representations,
    languages: Sequence[str],
    path: str | PathLike,
    after=None,
    method: str = "pca",
    titles: Sequence[str] = ("before adaptation", "after adaptation"),
    seed: int = 0,
) -> Path:
    """Saves a scatter plot of pooled representations projected to 2-D and coloured by language; with `after`,
    two panels side by side (before and after adaptation).

    Language clusters that merge after adaptation are the picture of language-invariant representations (as in
    Pires et al., 2019, "How multilingual is Multilingual BERT?"; Libovický et al., 2020, "On the
    Language Neutrality of Pre-trained Multilingual Representations").

    Args:
        representations (`torch.Tensor` or array): ``(n, hidden)``, e.g. from `encode_texts` before adaptation.
        languages (`Sequence[str]`): the language of each row.
        path (`str` or `os.PathLike`): the PNG file to write.
        after (`torch.Tensor` or array, *optional*): the same sentences encoded after adaptation.
        method (`str`, defaults to `"pca"`): see `project_2d`; each panel is projected on its own.
        titles (`Sequence[str]`): panel titles.
        seed (`int`, defaults to 0): UMAP's random state.

    Returns:
        `pathlib.Path`: the written file.
    """
    plt = _pyplot()
    languages = list(languages)
    panels = [representations] if after is None else [representations, after]
    for panel in panels:
        if as_float_tensor(panel).shape[0] != len(languages):
            raise ValueError(f"{len(languages)} languages for {as_float_tensor(panel).shape[0]} representations")
    unique = list(dict.fromkeys(languages))
    colours = plt.get_cmap("tab10" if len(unique) <= 10 else "tab20")
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.8), squeeze=False)
    for axis, panel, title in zip(axes[0], panels, titles):
        points = project_2d(panel, method=method, seed=seed).numpy()
        for index, language in enumerate(unique):
            mask = [lang == language for lang in languages]
            axis.scatter(
                points[mask, 0], points[mask, 1], s=14, alpha=0.75, color=colours(index % colours.N), label=language
            )
        axis.set_title(title if len(panels) > 1 else titles[0])
        axis.set_xlabel(f"{method.upper()} 1")
        axis.set_ylabel(f"{method.upper()} 2")
    axes[0][-1].legend(title="language", loc="best", fontsize="small")
    figure.tight_layout()
    return _save(figure, plt, path)


def plot_per_language_metrics(
    reports: Mapping[str, object] | Sequence[object],
    metric: str,
    path: str | PathLike,
    title: str | None = None,
    chance: float | None = None,
    note: str | None = None,
) -> Path:
    """Saves a grouped bar chart of one metric per language for two (or more) runs, macro average last.

    Args:
        reports (`Mapping[str, PerLanguageReport]` or `Sequence[PerLanguageReport]`): run name -> report (a
            sequence uses each report's `name`, else ``run 1``, ``run 2``, ...).
        metric (`str`): the metric value to draw (a column of the reports).
        path (`str` or `os.PathLike`): the PNG file to write.
        title (`str`, *optional*): the chart title.
        chance (`float`, *optional*): the metric's chance level (e.g. ``1 / num_labels`` for accuracy), drawn as a
            dashed line so that a zero-shot bar near it reads as no transfer.
        note (`str`, *optional*): a line under the title, e.g. the model and the test-set sizes.

    Returns:
        `pathlib.Path`: the written file.
    """
    plt = _pyplot()
    if not isinstance(reports, Mapping):
        reports = {report.name or f"run {i + 1}": report for i, report in enumerate(reports)}
    if not reports:
        raise ValueError("no reports to plot")
    languages = list(dict.fromkeys(lang for report in reports.values() for lang in report.languages))
    groups = [*languages, "macro avg"]
    width = 0.8 / len(reports)
    figure, axis = plt.subplots(figsize=(max(5.0, 0.9 * len(groups) + 2), 4.2))
    drawn = [chance or 0.0]
    for run_index, (run_name, report) in enumerate(reports.items()):
        if metric not in report.metric_names:
            raise ValueError(f"run {run_name!r} has no metric {metric!r}; it has {report.metric_names}")
        values = [report[lang][metric] if lang in report.languages else float("nan") for lang in languages]
        values.append(report.macro_average[metric])
        drawn += [value for value in values if math.isfinite(value)]
        offsets = [i + (run_index - (len(reports) - 1) / 2) * width for i in range(len(groups))]
        bars = axis.bar(offsets, values, width=width, label=run_name)
        axis.bar_label(bars, fmt="%.2f", fontsize="x-small", padding=1)
    if chance is not None:
        axis.axhline(chance, color="grey", linestyle="--", linewidth=1, label=f"chance ({chance:.2f})")
    axis.set_xticks(range(len(groups)), groups)
    axis.set_ylabel(metric)
    axis.set_title(title or f"{metric} per language")
    if note:
        figure.text(0.5, 0.005, note, ha="center", va="bottom", fontsize="small", color="dimgrey")
    # Headroom above the tallest bar, so that the legend on top hides none.
    if max(drawn) > 0:
        axis.set_ylim(0, max(drawn) * 1.3)
    axis.legend(loc="upper left", fontsize="small", ncol=len(reports) + (chance is not None))
    axis.spines[["top", "right"]].set_visible(False)
    # Leave room at the bottom for the note.
    figure.tight_layout(rect=(0, 0.05, 1, 1) if note else None)
    return _save(figure, plt, path)


def _save(figure, plt, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No date or version in the PNG metadata: the same data gives the same file.
    figure.savefig(path, dpi=110, format="png", metadata={"Software": None})
    plt.close(figure)
    return path
