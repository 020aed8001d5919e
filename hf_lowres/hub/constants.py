"""File names and defaults of hf_lowres' Hub publishing, defined once."""

from pathlib import Path


MODEL_CARD_FILE = "README.md"
# The `TrainingSummary` a card was rendered from, kept beside the card so a push can re-render it for its repo id.
TRAINING_SUMMARY_FILE = "hf_lowres_training_summary.json"
# The single source of the model card template (packaged with hf_lowres; see model_cards/README.md).
MODEL_CARD_TEMPLATE_PATH = Path(__file__).parent / "templates" / "model_card.md"

# The last line of every card hf_lowres writes, followed by the sha256 of the text before it and " -->".
CARD_SIGNATURE_PREFIX = "<!-- hf_lowres card sha256:"

DEFAULT_ADAPTERS_COMMIT_MESSAGE = "Upload hf_lowres adapters"
DEFAULT_MODEL_COMMIT_MESSAGE = "Upload hf_lowres model"
