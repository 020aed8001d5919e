"""The model card of hf_lowres adapters or models, rendered from a `TrainingSummary` through `huggingface_hub`."""

from __future__ import annotations

import os
import re

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .constants import MODEL_CARD_FILE, MODEL_CARD_TEMPLATE_PATH
from .references import REFERENCES
from .training_summary import TrainingSummary


CARD_KINDS = ("adapters", "model")
# What each loss component is, in the card's words.
_TASK_LOSS = {
    "LowResForMaskedLM": "masked language modeling",
    "LowResForCausalLM": "causal language modeling",
    "LowResForSeq2SeqLM": "sequence-to-sequence cross-entropy",
    "LowResForTokenClassification": "token classification (cross-entropy)",
    "LowResForSequenceClassification": "sequence classification (cross-entropy)",
}


def model_card_data(summary: TrainingSummary, repo_id: str | None = None, kind: str = "adapters") -> ModelCardData:
    """The card's YAML metadata: languages, base model, library, license, tags, datasets and a per-language
    ``model-index``.

    Args:
        summary (`TrainingSummary`): what training saw.
        repo_id (`str`, *optional*): the repo the card is for; its name becomes the ``model-index`` name.
        kind (`str`, defaults to `"adapters"`): ``"adapters"`` (``library_name: peft``) or ``"model"`` (a merged
            or plain model, ``library_name: transformers``).
    """
    if kind not in CARD_KINDS:
        raise ValueError(f"`kind` must be one of {CARD_KINDS}, got {kind!r}.")
    techniques = summary.techniques
    tags = ["hf_lowres", "low-resource", "cross-lingual"]
    tags += ["lora"] if "lora" in techniques else []
    tags += ["mad-x"] if "mad-x" in techniques else []
    tags += ["adversarial"] if summary.used_discriminator else []
    tags += ["back-translation"] if "back-translation" in techniques else []
    tags += ["alignment"] if "alignment" in techniques else []
    tags += ["merged-adapters"] if kind == "model" and summary.adapters else []
    model_name = (repo_id or "hf-lowres-model").split("/")[-1]
    task_type = summary.pipeline_tag or "other"
    results_dataset = summary.results_dataset or "evaluation-set"
    eval_results = [
        EvalResult(
            task_type=task_type,
            dataset_type=results_dataset,
            dataset_name=f"{results_dataset} ({language})",
            dataset_config=language,
            dataset_split=summary.results_split,
            metric_type=metric,
            metric_name=f"{metric} ({language})",
            metric_value=float(value),
        )
        for language, metrics in summary.results.items()
        for metric, value in metrics.items()
    ]
    return ModelCardData(
        language=summary.all_languages,
        base_model=summary.base_model if is_hub_repo_id(summary.base_model) else None,
        library_name="peft" if kind == "adapters" else "transformers",
        license=summary.license,
        tags=list(dict.fromkeys(tags + list(summary.tags))),
        datasets=[d.repo_id for d in summary.datasets if d.repo_id] or None,
        pipeline_tag=summary.pipeline_tag,
        model_name=model_name if eval_results else None,
        eval_results=eval_results or None,
    )


def render_model_card(
    summary: TrainingSummary, repo_id: str | None = None, kind: str = "adapters", title: str | None = None
) -> ModelCard:
    """Renders the model card from the template shipped with hf_lowres (`hf_lowres/hub/templates/model_card.md`).

    Args:
        summary (`TrainingSummary`): what training saw.
        repo_id (`str`, *optional*): the repo the card is for, used in the loading example; a placeholder when the
            card is written before the repo is known (`write_model_card` at save).
        kind (`str`, defaults to `"adapters"`): ``"adapters"`` for what `push_adapters_to_hub` publishes,
            ``"model"`` for what `push_model_to_hub` publishes.
        title (`str`, *optional*): the card's title; the repo name by default.

    Returns:
        `huggingface_hub.ModelCard`: YAML metadata (see `model_card_data`) and a Markdown body: what was trained
        (adapters, losses and weights, reversal schedule, sampling temperature), the data with its origin counts, the
        per-language results, how to load it, limitations and citations of the techniques used.
    """
    card_data = model_card_data(summary, repo_id, kind)
    shown_repo = repo_id or "<user>/<repo>"
    origins = list(dict.fromkeys(o for d in summary.datasets for o in d.rows_per_origin))
    metric_names = summary.metric_names
    macro_average = {}
    if len(summary.results) > 1:
        for metric in metric_names:
            values = [m[metric] for m in summary.results.values() if metric in m]
            macro_average[metric] = sum(values) / len(values)
    loss_descriptions = {
        "task": _TASK_LOSS.get(summary.model_class, "task loss"),
        "adversarial": "language discriminator (adversarial, through gradient reversal)",
        "alignment": f"alignment of parallel sentences ({summary.alignment_loss or 'default kind'})",
    }
    return ModelCard.from_template(
        card_data,
        template_path=str(MODEL_CARD_TEMPLATE_PATH),
        title=title or shown_repo.split("/")[-1],
        kind=kind,
        repo_id=shown_repo,
        base_model_text=f"`{summary.base_model}`" if summary.base_model else "a multilingual transformer",
        model_class=summary.model_class,
        languages=summary.all_languages,
        adapters=summary.adapters,
        example_language_adapter=summary.example_composition[0],
        techniques=summary.techniques,
        losses=summary.losses,
        loss_descriptions=loss_descriptions,
        grl_schedule=summary.grl_schedule,
        sampling_temperature=summary.language_sampling_temperature,
        hyperparameters=summary.hyperparameters,
        datasets=summary.datasets,
        origins=origins,
        total_rows=sum(d.total_rows for d in summary.datasets),
        synthetic_rows=sum(d.synthetic_rows for d in summary.datasets),
        results=summary.results,
        results_dataset=summary.results_dataset,
        results_split=summary.results_split,
        metric_names=metric_names,
        macro_average=macro_average,
        usage=_usage_snippet(summary, shown_repo, kind),
        used_discriminator=summary.used_discriminator,
        references=[REFERENCES[key] for key in summary.techniques],
    )


def _usage_snippet(summary: TrainingSummary, repo_id: str, kind: str) -> str:
    if kind == "model":
        return (
            f"from transformers import {summary.auto_class}\n\n"
            f'model = {summary.auto_class}.from_pretrained("{repo_id}", trust_remote_code=True)'
        )
    model_arg = "" if is_hub_repo_id(summary.base_model) else ", model=model  # model: the base hf_lowres model"
    language, task = summary.example_composition
    activate = []
    if language is not None:
        activate.append(f'language="{summary.language_adapters[language]}"')
    if task is not None:
        activate.append(f'task="{summary.task_adapters[task]}"')
    lines = [
        "from hf_lowres.hub import load_adapters_from_hub\n",
        f'manager = load_adapters_from_hub("{repo_id}"{model_arg})',
    ]
    if activate:
        lines.append(f"manager.activate({', '.join(activate)})")
    return "\n".join(lines)


def write_model_card(
    directory: str | os.PathLike, summary: TrainingSummary, repo_id: str | None = None, kind: str = "adapters"
) -> str:
    """Writes the card (``README.md``) and the summary it came from (``hf_lowres_training_summary.json``) into
    `directory`, e.g. right after `AdapterManager.save(directory)`; returns the card's path.

    A later `push_adapters_to_hub(directory, repo_id)` re-renders the card from the saved summary with the repo id.
    """
    os.makedirs(directory, exist_ok=True)
    card = render_model_card(summary, repo_id=repo_id, kind=kind)
    path = os.path.join(directory, MODEL_CARD_FILE)
    card.save(path)
    summary.save(directory)
    return path


def is_hub_repo_id(name: str | None) -> bool:
    """Whether `name` can be a Hub repo id (`org/name` or `name`), not a local path: only a repo id belongs in the
    card's `base_model` (a path of the machine that trained would be meaningless, and refused by the Hub)."""
    if not name or os.path.isabs(name) or name.startswith((".", "~")) or os.path.exists(name):
        return False
    return re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name) is not None
