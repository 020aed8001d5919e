"""Reading and rewriting the `tokenizers` model behind a transformers tokenizer.

Vocabulary expansion and trimming edit the serialized `tokenizer.json` (the WordPiece vocabulary, the Unigram piece
list or the BPE vocabulary and merges) rather than calling `add_tokens`: tokens added that way bypass the subword
model, are matched before segmentation and break words apart. The edited JSON is loaded back through the tokenizer's
own class, so the result is exactly what `from_pretrained` gives after `save_pretrained`.
"""

from __future__ import annotations

import json
import os
import tempfile

from transformers import PreTrainedTokenizerBase


SUPPORTED_MODEL_TYPES = ("WordPiece", "Unigram", "BPE")


def tokenizer_json(tokenizer: PreTrainedTokenizerBase) -> dict:
    """The `tokenizer.json` serialization of a fast tokenizer's backend, as a dict."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise TypeError(f"{type(tokenizer).__name__} has no `tokenizers` backend; a fast tokenizer is required.")
    return json.loads(backend.to_str())


def tokenizer_model_type(tokenizer: PreTrainedTokenizerBase) -> str:
    """The subword model of a fast tokenizer: `"WordPiece"`, `"Unigram"`, `"BPE"` (or another `tokenizers` model)."""
    return type(tokenizer.backend_tokenizer.model).__name__


def model_vocab(tokenizer: PreTrainedTokenizerBase) -> dict[str, int]:
    """The subword model's own vocabulary (token -> id), without tokens added on top of the model."""
    return tokenizer.backend_tokenizer.get_vocab(with_added_tokens=False)


def rebuild_tokenizer(
    tokenizer: PreTrainedTokenizerBase, new_json: dict, id_map: dict[int, int] | None = None
) -> PreTrainedTokenizerBase:
    """A tokenizer of the same class and settings as `tokenizer`, whose backend is `new_json`.

    The tokenizer is saved to a temporary directory, its `tokenizer.json` replaced (and a `vocab.txt`, when the class
    writes one, rewritten to match), then loaded back with `type(tokenizer).from_pretrained`.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the tokenizer to copy settings from.
        new_json (`dict`): the full `tokenizer.json` content of the new backend.
        id_map (`dict[int, int]`, *optional*): old id -> new id, when ids moved (trimming); used to rewrite the
            `added_tokens_decoder` of `tokenizer_config.json`.
    """
    with tempfile.TemporaryDirectory(prefix="hf_lowres_tokenizer_") as tmp:
        tokenizer.save_pretrained(tmp)
        with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as handle:
            json.dump(new_json, handle, ensure_ascii=False)
        vocab_txt = os.path.join(tmp, "vocab.txt")
        if os.path.isfile(vocab_txt) and new_json["model"]["type"] == "WordPiece":
            ordered = sorted(new_json["model"]["vocab"].items(), key=lambda item: item[1])
            with open(vocab_txt, "w", encoding="utf-8") as handle:
                handle.writelines(token + "\n" for token, _ in ordered)
        config_path = os.path.join(tmp, "tokenizer_config.json")
        if id_map is not None and os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as handle:
                config = json.load(handle)
            if "added_tokens_decoder" in config:
                config["added_tokens_decoder"] = {
                    str(id_map[int(i)]): value for i, value in config["added_tokens_decoder"].items()
                }
                with open(config_path, "w", encoding="utf-8") as handle:
                    json.dump(config, handle, ensure_ascii=False, indent=2)
        rebuilt = type(tokenizer).from_pretrained(tmp)
    rebuilt.name_or_path = tokenizer.name_or_path
    return rebuilt


def remap_special_ids(new_json: dict, id_map: dict[int, int]) -> None:
    """Rewrites, in place, the ids that `tokenizer.json` stores outside the vocabulary (added tokens, the
    post-processor's special tokens, padding) through `id_map` (old id -> new id)."""
    for added in new_json.get("added_tokens") or []:
        added["id"] = id_map[added["id"]]

    def remap_processor(processor: dict | None) -> None:
        if not processor:
            return
        kind = processor.get("type")
        if kind == "Sequence":
            for inner in processor.get("processors", []):
                remap_processor(inner)
        elif kind == "TemplateProcessing":
            for special in processor.get("special_tokens", {}).values():
                special["ids"] = [id_map[i] for i in special["ids"]]
        elif kind in ("BertProcessing", "RobertaProcessing"):
            for key in ("sep", "cls"):
                token, old_id = processor[key]
                processor[key] = [token, id_map[old_id]]

    remap_processor(new_json.get("post_processor"))
    padding = new_json.get("padding")
    if padding and padding.get("pad_id") in id_map:
        padding["pad_id"] = id_map[padding["pad_id"]]
