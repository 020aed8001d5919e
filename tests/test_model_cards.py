"""Model cards rendered from a `TrainingSummary` (offline): YAML that validates, a body that says what training saw."""

import dataclasses
import json
from pathlib import Path

import pytest
import yaml
from datasets import concatenate_datasets
from huggingface_hub import ModelCard, ModelCardData
from huggingface_hub.repocard import metadata_load

from hf_lowres import LowResConfig, LowResForSequenceClassification
from hf_lowres.adapters import AdapterManager
from hf_lowres.data import Provenance, corpus_from_pairs, corpus_from_rows, corpus_row
from hf_lowres.evaluation.per_language_report import PerLanguageReport
from hf_lowres.hub import (
    MODEL_CARD_TEMPLATE_PATH,
    REFERENCES,
    TRAINING_SUMMARY_FILE,
    DatasetSummary,
    TrainingSummary,
    render_model_card,
    write_model_card,
)
from hf_lowres.testing_utils import tiny_backbone_config


REPO_ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ["eng", "ind", "jav"]
REPORT = PerLanguageReport(
    rows=[
        {"language": "jav", "n": 40, "accuracy": 0.75, "macro_f1": 0.7},
        {"language": "sun", "n": 40, "accuracy": 0.625, "macro_f1": 0.6},  # zero-shot: no adapter, not trained on
        {"language": "ind", "n": 40, "accuracy": 0.875},
    ],
    metric_names=["accuracy", "macro_f1"],
    macro_average={"accuracy": 0.75, "macro_f1": 0.65},
)
FULL_ARGS = {
    "adversarial_weight": 0.1,
    "grl_schedule": "dann",
    "grl_lambda_max": 0.5,
    "grl_gamma": 10.0,
    "alignment_weight": 0.25,
    "alignment_loss": "contrastive",
    "language_sampling_temperature": 0.3,
    "learning_rate": 5e-4,
    "max_steps": -1,
    "num_train_epochs": 3,
}


def parallel_corpus():
    real = corpus_from_pairs(
        ["saya suka", "ini bagus", "itu buruk"], ["aku seneng", "iki apik", "kuwi ala"], "ind", "jav"
    )
    provenance = Provenance("Helsinki-NLP/opus-mt-jav-ind", "jav->ind", {"num_beams": 5}, "2026-01-02")
    synthetic = corpus_from_rows(
        [corpus_row(f"s{i}", f"t{i}", "ind", "jav", "back-translated", provenance) for i in range(5)]
    )
    return concatenate_datasets([real, synthetic])


@pytest.fixture
def manager():
    config = LowResConfig(text_config=tiny_backbone_config("bert"), languages=LANGUAGES, num_labels=3)
    manager = AdapterManager(LowResForSequenceClassification(config))
    manager.add_language_adapter("ind")
    manager.add_language_adapter("jav")
    manager.add_task_adapter("sentiment", r=4)
    manager.activate(language="jav", task="sentiment")
    return manager


def full_summary(manager) -> TrainingSummary:
    return TrainingSummary.from_manager(
        manager,
        FULL_ARGS,
        datasets=[
            DatasetSummary("indonlp/NusaX-senti", {"real": 500}, repo_id="indonlp/NusaX-senti", role="task"),
            DatasetSummary.from_corpus(parallel_corpus(), "ind-jav parallel", repo_id="me/ind-jav-bt"),
        ],
        results=REPORT,
        base_model="FacebookAI/xlm-roberta-base",
        license="apache-2.0",
        results_dataset="indonlp/NusaX-senti",
    )


def split(card: ModelCard) -> tuple[dict, str]:
    _, front, body = str(card).split("---\n", 2)
    return yaml.safe_load(front), body


def test_summary_from_manager_and_training_arguments(manager):
    summary = full_summary(manager)
    assert summary.languages == LANGUAGES and summary.all_languages == ["eng", "ind", "jav", "sun"]
    assert summary.model_class == "LowResForSequenceClassification"
    assert summary.adapters["task_sentiment"]["r"] == 4 and summary.adapters["lang_jav"]["r"] == 8
    assert summary.adapters["lang_jav"]["parameters"] > 0 and summary.active_adapters == ["lang_jav", "task_sentiment"]
    assert summary.losses == {"task": 1.0, "adversarial": 0.1, "alignment": 0.25}
    assert summary.grl_schedule == {"schedule": "dann", "lambda_max": 0.5, "gamma": 10.0}
    assert summary.hyperparameters == {"learning_rate": 5e-4, "num_train_epochs": 3}  # max_steps=-1 is "unset"
    assert summary.results == {
        "jav": {"accuracy": 0.75, "macro_f1": 0.7},
        "sun": {"accuracy": 0.625, "macro_f1": 0.6},
        "ind": {"accuracy": 0.875},
    }
    corpus = summary.datasets[1]
    assert corpus.rows_per_origin == {"back-translated": 5, "real": 3} and corpus.rows_per_pair == {"ind-jav": 8}
    assert summary.techniques == ["mad-x", "lora", "dann", "back-translation", "temperature-sampling", "alignment",
                                  "infonce"]  # fmt: skip


def test_summary_reads_a_training_arguments_dataclass(manager):
    @dataclasses.dataclass
    class Args:  # the attributes CrossLingualTrainingArguments has
        adversarial_weight: float = 0.2
        grl_schedule: str = "constant"
        grl_lambda_max: float = 1.0
        language_sampling_temperature: float | None = None
        learning_rate: float = 1e-3

    summary = TrainingSummary.from_manager(manager, Args())
    assert summary.losses == {"task": 1.0, "adversarial": 0.2}
    assert summary.grl_schedule == {"schedule": "constant", "lambda_max": 1.0}
    assert summary.language_sampling_temperature is None and summary.hyperparameters == {"learning_rate": 1e-3}


def test_card_yaml_validates_and_lists_every_language_and_metric(manager):
    card = render_model_card(full_summary(manager), "me/xlmr-nusax-adapters")
    metadata, _ = split(card)
    ModelCardData(**metadata)  # the Hub's metadata model accepts it
    parsed = ModelCard(str(card)).data
    assert metadata["language"] == ["eng", "ind", "jav", "sun"]
    assert metadata["base_model"] == "FacebookAI/xlm-roberta-base" and metadata["library_name"] == "peft"
    assert metadata["license"] == "apache-2.0" and metadata["pipeline_tag"] == "text-classification"
    assert metadata["datasets"] == ["indonlp/NusaX-senti", "me/ind-jav-bt"]
    for tag in ("low-resource", "cross-lingual", "adversarial", "lora", "mad-x", "back-translation", "alignment"):
        assert tag in metadata["tags"], tag
    (index,) = metadata["model-index"]
    assert index["name"] == "xlmr-nusax-adapters"
    got = {r["dataset"]["config"]: {m["type"]: m["value"] for m in r["metrics"]} for r in index["results"]}
    assert got == full_summary(manager).results
    assert {r["task"]["type"] for r in index["results"]} == {"text-classification"}
    assert len(parsed.eval_results) == 5  # one per (language, metric)


def test_card_body_says_what_training_saw(manager):
    _, body = split(render_model_card(full_summary(manager), "me/xlmr-nusax-adapters"))
    for line in (
        "| `lang_jav` | language | jav | 8 | 16 |",
        "| `task_sentiment` | task | sentiment | 4 | 16 |",
        "| language discriminator (adversarial, through gradient reversal) | 0.1 |",
        "| alignment of parallel sentences (contrastive) | 0.25 |",
        "| sequence classification (cross-entropy) | 1.0 |",
        "**Gradient reversal:** `dann` schedule, lambda_max = 0.5, gamma = 10.0",
        "temperature-based, p(language) ∝ n ** 0.3",
        "| dataset | role | rows | real | back-translated |",
        "| indonlp/NusaX-senti | task | 500 | 500 | 0 |",
        "| ind-jav parallel | parallel | 8 | 3 | 5 |",
        "5 of 508 rows are synthetic",
        "| jav | 0.7500 | 0.7000 |",
        "| ind | 0.8750 | – |",
        "| **macro-avg** | **0.7500** | **0.6500** |",
        'manager = load_adapters_from_hub("me/xlmr-nusax-adapters")',
        'manager.activate(language="jav", task="sentiment")',
        'subfolder="lang_jav"',
        "## Limitations",
        "Part of the training data is machine-generated",
    ):
        assert line in body, line
    for key in ("mad-x", "lora", "dann", "back-translation", "temperature-sampling", "alignment", "infonce"):
        assert REFERENCES[key].text in body and REFERENCES[key].bibtex in body
    assert "Pfeiffer" in body and "Ganin & Lempitsky" in body and "Sennrich" in body and "Hu, Shen" in body


def test_minimal_card_cites_and_tags_only_what_was_used():
    summary = TrainingSummary(
        languages=["eng", "jav"],
        model_class="LowResForMaskedLM",
        adapters={"lang_jav": {"kind": "language", "language": "jav"}},
    )
    card = render_model_card(summary)
    metadata, body = split(card)
    ModelCardData(**metadata)
    assert "base_model" not in metadata and "model-index" not in metadata and "datasets" not in metadata
    assert metadata["pipeline_tag"] == "fill-mask" and metadata["license"] == "unknown"
    assert "adversarial" not in metadata["tags"] and "mad-x" not in metadata["tags"] and "lora" in metadata["tags"]
    assert REFERENCES["lora"].text in body
    for key in ("mad-x", "dann", "back-translation", "temperature-sampling", "alignment", "infonce"):
        assert REFERENCES[key].text not in body, key
    assert "Gradient reversal" not in body and "no resampling" in body
    assert "No evaluation results were recorded." in body and "Not recorded." in body
    # No repo yet (written at save): a placeholder, and the base model must be passed.
    assert 'load_adapters_from_hub("<user>/<repo>", model=model' in body
    assert "masked language modeling" in body


def test_merged_model_card_uses_the_auto_class_with_remote_code(manager):
    metadata, body = split(render_model_card(full_summary(manager), "me/merged", kind="model"))
    assert metadata["library_name"] == "transformers" and "merged-adapters" in metadata["tags"]
    assert 'AutoModelForSequenceClassification.from_pretrained("me/merged", trust_remote_code=True)' in body
    with pytest.raises(ValueError, match="kind"):
        render_model_card(full_summary(manager), kind="space")


def test_write_model_card_at_save_and_summary_round_trip(manager, tmp_path):
    manager.save(tmp_path)
    summary = full_summary(manager)
    path = write_model_card(tmp_path, summary)
    assert path == str(tmp_path / "README.md")
    metadata = metadata_load(tmp_path / "README.md")
    assert "hf_lowres" in metadata["tags"] and metadata["language"] == ["eng", "ind", "jav", "sun"]
    assert TrainingSummary.load(tmp_path) == summary
    assert json.loads((tmp_path / TRAINING_SUMMARY_FILE).read_text())["datasets"][1]["rows_per_origin"] == {
        "back-translated": 5,
        "real": 3,
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"languages": ["english"]}, "ill-formed"),
        ({"languages": ["eng"], "losses": {"task": 1.0, "adversarial": -0.1}}, "weights >= 0"),
        ({"languages": ["eng"], "results": {"jav": {"accuracy": "high"}}}, "numbers"),
        ({"languages": ["eng"], "results": {"Javanese": {"accuracy": 0.5}}}, "ill-formed"),
        ({"languages": ["eng"], "model_class": "BertModel"}, "model_class"),
        ({"languages": ["eng"], "datasets": [{"name": "x", "rows_per_origin": {"real": -1}}]}, "row counts"),
    ],
)
def test_summary_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainingSummary(**kwargs)


def test_template_has_one_source_shipped_in_the_package():
    import hf_lowres

    package_dir = Path(hf_lowres.__file__).parent
    assert MODEL_CARD_TEMPLATE_PATH.is_file() and package_dir in MODEL_CARD_TEMPLATE_PATH.parents
    # The template is `model_cards/model_card.md`; the package reaches the same file (no copy that could drift).
    assert MODEL_CARD_TEMPLATE_PATH.samefile(REPO_ROOT / "model_cards" / "model_card.md")


def test_a_local_backbone_path_never_becomes_base_model(tmp_path):
    from hf_lowres.hub.model_card import is_hub_repo_id

    assert is_hub_repo_id("FacebookAI/xlm-roberta-base") and is_hub_repo_id("bert-base-multilingual-cased")
    assert not is_hub_repo_id(str(tmp_path)) and not is_hub_repo_id("./model") and not is_hub_repo_id(None)
