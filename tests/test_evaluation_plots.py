"""Pictures: written, non-empty PNGs that differ when the data differ; a clear error without matplotlib."""

import sys

import pytest
import torch

from hf_lowres.evaluation import PerLanguageReport, plot_per_language_metrics, plot_representations, project_2d


pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LANGUAGES = ["ind"] * 20 + ["jav"] * 20 + ["sun"] * 20


def _representations(seed, separation=4.0):
    generator = torch.Generator().manual_seed(seed)
    centres = separation * torch.randn(3, 16, generator=generator)
    index = torch.tensor([["ind", "jav", "sun"].index(language) for language in LANGUAGES])
    return centres[index] + torch.randn(len(LANGUAGES), 16, generator=generator)


def _report(name, values):
    rows = [{"language": lang, "n": 10, "accuracy": value} for lang, value in values.items()]
    return PerLanguageReport(rows, ["accuracy"], {"accuracy": sum(values.values()) / len(values)}, name=name)


def test_representation_plot_before_and_after(tmp_path):
    before, after = _representations(0), _representations(1, separation=0.2)
    first = plot_representations(before, LANGUAGES, tmp_path / "a" / "pca.png", after=after)
    second = plot_representations(before, LANGUAGES, tmp_path / "pca_other.png", after=_representations(2))
    single = plot_representations(before, LANGUAGES, tmp_path / "single.png")
    for path in (first, second, single):
        assert path.read_bytes().startswith(PNG_MAGIC) and path.stat().st_size > 1000
    assert first.read_bytes() != second.read_bytes()
    # Same data, same picture.
    again = plot_representations(before, LANGUAGES, tmp_path / "again.png", after=after)
    assert again.read_bytes() == first.read_bytes()


def test_per_language_bar_chart(tmp_path):
    baseline = _report("xlm-r", {"ind": 0.8, "jav": 0.6, "sun": 0.55})
    adapted = _report("xlm-r + adapters", {"ind": 0.81, "jav": 0.7, "sun": 0.66})
    first = plot_per_language_metrics([baseline, adapted], "accuracy", tmp_path / "bars.png")
    other = plot_per_language_metrics(
        {"a": baseline, "b": _report("c", {"ind": 0.1, "jav": 0.2, "sun": 0.3})}, "accuracy", tmp_path / "bars2.png"
    )
    assert first.read_bytes().startswith(PNG_MAGIC) and first.stat().st_size > 1000
    assert first.read_bytes() != other.read_bytes()
    with pytest.raises(ValueError, match="no metric"):
        plot_per_language_metrics([baseline], "f1", tmp_path / "x.png")


def test_pca_projection_is_deterministic_and_centred():
    x = _representations(0)
    projected = project_2d(x)
    assert projected.shape == (60, 2)
    torch.testing.assert_close(projected, project_2d(x.clone()))
    torch.testing.assert_close(projected.mean(dim=0), torch.zeros(2), atol=1e-4, rtol=0)
    # The first axis carries at least as much variance as the second.
    assert projected[:, 0].var() >= projected[:, 1].var()


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"hf-lowres\[plots\]"):
        plot_representations(_representations(0), LANGUAGES, tmp_path / "x.png")


def test_bar_chart_draws_chance_line_and_note(tmp_path, monkeypatch):
    from hf_lowres.evaluation import plots

    drawn = {}

    def keep(figure, plt, path):
        axis = figure.axes[0]
        drawn["lines"] = [(line.get_ydata()[0], line.get_label()) for line in axis.get_lines()]
        drawn["texts"] = [text.get_text() for text in figure.texts]
        drawn["legend"] = [text.get_text() for text in axis.get_legend().get_texts()]
        return original(figure, plt, path)

    original = plots._save
    monkeypatch.setattr(plots, "_save", keep)
    report = _report("me5-small", {"ace": 0.5, "bug": 0.4})
    path = plot_per_language_metrics([report], "accuracy", tmp_path / "c.png", chance=1 / 3, note="me5-small, n = 10")
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert drawn["lines"] == [(pytest.approx(1 / 3), "chance (0.33)")]
    assert drawn["texts"] == ["me5-small, n = 10"]
    assert "chance (0.33)" in drawn["legend"]
    plot_per_language_metrics([report], "accuracy", tmp_path / "plain.png")
    assert drawn["lines"] == [] and drawn["texts"] == []
