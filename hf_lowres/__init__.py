"""hf_lowres: adapt pretrained multilingual transformers to low-resource languages."""

__version__ = "0.1.0"
