"""File names of a saved adapter composition, defined once."""

COMPOSITION_FILE = "hf_lowres_composition.json"
DISCRIMINATOR_FILE = "discriminator.safetensors"
LM_HEAD_FILE = "lm_head.safetensors"
TASK_HEAD_FILE = "task_head.safetensors"
HEAD_CONFIG_FILE = "head_config.json"
PEFT_CONFIG_FILE = "adapter_config.json"
PEFT_WEIGHTS_FILE = "adapter_model.safetensors"

LANGUAGE_ADAPTER_PREFIX = "lang_"
TASK_ADAPTER_PREFIX = "task_"
