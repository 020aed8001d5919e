"""Publishing to the Hugging Face Hub: model cards generated from what training saw, adapters and models pushed
and loaded back by repo id. (Corpora: `hf_lowres.data.push_corpus_to_hub`.)"""

from .constants import MODEL_CARD_FILE, MODEL_CARD_TEMPLATE_PATH, TRAINING_SUMMARY_FILE
from .errors import HubPermissionError, HubPublishingError, HubRepoExistsError, HubUnreachableError
from .load import load_adapters_from_hub
from .model_card import model_card_data, render_model_card, write_model_card
from .push import push_adapters_to_hub, push_model_to_hub
from .references import REFERENCES, Reference
from .training_summary import DatasetSummary, TrainingSummary, results_from_report


__all__ = [
    "MODEL_CARD_FILE",
    "MODEL_CARD_TEMPLATE_PATH",
    "REFERENCES",
    "TRAINING_SUMMARY_FILE",
    "DatasetSummary",
    "HubPermissionError",
    "HubPublishingError",
    "HubRepoExistsError",
    "HubUnreachableError",
    "Reference",
    "TrainingSummary",
    "load_adapters_from_hub",
    "model_card_data",
    "push_adapters_to_hub",
    "push_model_to_hub",
    "render_model_card",
    "results_from_report",
    "write_model_card",
]
