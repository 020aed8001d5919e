"""Vocabulary trimming: keep only the tokens a set of languages uses, in the tokenizer and the embeddings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .tokenizer_json import rebuild_tokenizer, remap_special_ids, tokenizer_json


@dataclass
class VocabularyTrimming:
    """What `trim_vocabulary` did.

    Args:
        tokenizer (`PreTrainedTokenizerBase`): the trimmed tokenizer (ids renumbered densely, order kept).
        old_to_new (`dict[int, int]`): old id -> new id for every kept token.
        vocab_size_before (`int`) / vocab_size_after (`int`): tokenizer sizes.
        embedding_rows_before (`int`) / embedding_rows_after (`int`): rows of the input embedding.
        parameters_before (`int`) / parameters_after (`int`): all model parameters (tied ones counted once).
        bytes_per_parameter (`int`): element size of the embedding matrix.
    """

    tokenizer: PreTrainedTokenizerBase
    old_to_new: dict[int, int]
    vocab_size_before: int
    vocab_size_after: int
    embedding_rows_before: int = 0
    embedding_rows_after: int = 0
    parameters_before: int = 0
    parameters_after: int = 0
    bytes_per_parameter: int = 4

    @property
    def parameters_saved(self) -> int:
        return self.parameters_before - self.parameters_after

    @property
    def megabytes_saved(self) -> float:
        return self.parameters_saved * self.bytes_per_parameter / 2**20

    def to_dict(self) -> dict:
        """A JSON-friendly summary (the id map is left out; it is `old_to_new`)."""
        return {
            "vocab_size_before": self.vocab_size_before,
            "vocab_size_after": self.vocab_size_after,
            "embedding_rows_before": self.embedding_rows_before,
            "embedding_rows_after": self.embedding_rows_after,
            "parameters_before": self.parameters_before,
            "parameters_after": self.parameters_after,
            "parameters_saved": self.parameters_saved,
            "megabytes_saved": round(self.megabytes_saved, 2),
        }


def _count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # parameters() yields a tied tensor once


def _replace_parameter(model: nn.Module, old: nn.Parameter, new: nn.Parameter) -> None:
    # A tensor may be registered under several modules (tied decoder weight, BERT's MLM bias): swap every reference.
    for module in model.modules():
        for name, parameter in list(module._parameters.items()):
            if parameter is old:
                module._parameters[name] = new


@torch.no_grad()
def _gather_rows(model: PreTrainedModel, keep: torch.Tensor, id_map: dict[int, int]) -> None:
    embeddings = model.get_input_embeddings()
    output = model.get_output_embeddings()
    old_weight = embeddings.weight
    rows = old_weight.shape[0]
    new_weight = nn.Parameter(old_weight.data[keep.to(old_weight.device)].clone(), old_weight.requires_grad)
    _replace_parameter(model, old_weight, new_weight)
    embeddings.num_embeddings = len(keep)
    if getattr(embeddings, "padding_idx", None) is not None:
        embeddings.padding_idx = id_map.get(embeddings.padding_idx)
    if output is not None and getattr(output, "weight", None) is not None:
        if output.weight is not new_weight and output.weight.shape[0] == rows:
            old = output.weight
            _replace_parameter(model, old, nn.Parameter(old.data[keep.to(old.device)].clone(), old.requires_grad))
        bias = getattr(output, "bias", None)
        if bias is not None and bias.shape[0] == rows:
            _replace_parameter(model, bias, nn.Parameter(bias.data[keep.to(bias.device)].clone(), bias.requires_grad))
        if hasattr(output, "out_features"):
            output.out_features = len(keep)
    for module in model.modules():
        config = getattr(module, "config", None)
        if not isinstance(module, PreTrainedModel) or config is None:
            continue
        for sub in {id(c): c for c in (config, config.get_text_config())}.values():
            if getattr(sub, "vocab_size", None) is not None:
                sub.vocab_size = len(keep)
            for key, value in list(sub.to_dict().items()):
                if key.endswith("_token_id") and isinstance(value, int):
                    setattr(sub, key, id_map.get(value))
        if hasattr(module, "vocab_size"):
            module.vocab_size = len(keep)


def used_token_ids(tokenizer: PreTrainedTokenizerBase, texts: Iterable[str], batch_size: int = 1000) -> set[int]:
    """Every id the tokenizer produces on `texts` (special tokens excluded)."""
    used: set[int] = set()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == batch_size:
            for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]:
                used.update(ids)
            batch = []
    if batch:
        for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]:
            used.update(ids)
    return used


def trim_vocabulary(
    model: PreTrainedModel | None,
    tokenizer: PreTrainedTokenizerBase,
    texts: Iterable[str],
    keep_tokens: Sequence[str] = (),
    keep_single_characters: bool = False,
) -> VocabularyTrimming:
    """Keeps only the special tokens and the tokens that `texts` use, in the tokenizer and the model (in place).

    Vocabulary trimming (Ushio et al., 2023, "An Efficient Multilingual Language Model Compression through Vocabulary
    Trimming"): most rows of a multilingual embedding matrix serve languages a deployment never sees. Kept tokens keep
    their relative order and are renumbered densely; the input embedding, a tied or untied output embedding and an
    output bias (BERT's MLM decoder bias) are gathered with the same ids; `vocab_size` and the `*_token_id` fields of
    the configs follow. Segmentation does not change for text whose tokens are all kept (WordPiece's longest match and
    Unigram's best path only lose alternatives they did not take), so the outputs on such inputs are the same; other
    text may now fall back to the unknown token.

    Supported: WordPiece and Unigram tokenizers. For Unigram the lowest-scoring piece is kept too, because the unknown
    token's penalty is derived from the minimum score; with byte fallback the 256 byte pieces are kept.

    Args:
        model (`PreTrainedModel`, *optional*): the model to shrink; `None` trims the tokenizer only.
        tokenizer (`PreTrainedTokenizerBase`): the model's fast tokenizer.
        texts (`Iterable[str]`): the corpora of the languages to keep.
        keep_tokens (`Sequence[str]`, *optional*): more vocabulary entries to keep.
        keep_single_characters (`bool`, defaults to `False`): keep every one-character token (and WordPiece's
            `##c` forms), so unseen words degrade to characters rather than to the unknown token.

    Returns:
        `VocabularyTrimming`: the new tokenizer, the old -> new id map and the sizes saved.
    """
    data = tokenizer_json(tokenizer)
    model_data = data["model"]
    model_type = model_data["type"]
    if model_type not in ("WordPiece", "Unigram"):
        raise NotImplementedError(f"trimming supports WordPiece and Unigram tokenizers, not {model_type}.")
    backend = tokenizer.backend_tokenizer
    vocab = backend.get_vocab(with_added_tokens=True)
    keep = used_token_ids(tokenizer, texts)
    keep |= {added["id"] for added in data.get("added_tokens") or []}
    keep |= {i for i in tokenizer.all_special_ids if i is not None}
    keep |= {vocab[token] for token in keep_tokens if token in vocab}
    if model_type == "WordPiece":
        prefix = model_data.get("continuing_subword_prefix", "##")
        if keep_single_characters:
            keep |= {
                i for t, i in vocab.items() if len(t) == 1 or (t.startswith(prefix) and len(t) == len(prefix) + 1)
            }
        keep.add(vocab[model_data["unk_token"]])
    else:
        pieces = model_data["vocab"]
        if model_data.get("unk_id") is not None:
            keep.add(model_data["unk_id"])
        keep.add(min(range(len(pieces)), key=lambda i: pieces[i][1]))
        if model_data.get("byte_fallback"):
            keep |= {i for i, (piece, _) in enumerate(pieces) if piece.startswith("<0x") and piece.endswith(">")}
        if keep_single_characters:
            keep |= {i for i, (piece, _) in enumerate(pieces) if len(piece.lstrip("▁")) == 1}
    kept = sorted(keep)
    id_map = {old: new for new, old in enumerate(kept)}

    if model_type == "WordPiece":
        model_data["vocab"] = {token: id_map[i] for token, i in model_data["vocab"].items() if i in id_map}
    else:
        model_data["vocab"] = [model_data["vocab"][i] for i in kept if i < len(model_data["vocab"])]
        if model_data.get("unk_id") is not None:
            model_data["unk_id"] = id_map[model_data["unk_id"]]
    remap_special_ids(data, id_map)
    trimmed = rebuild_tokenizer(tokenizer, data, id_map=id_map)

    result = VocabularyTrimming(
        tokenizer=trimmed, old_to_new=id_map, vocab_size_before=len(tokenizer), vocab_size_after=len(trimmed)
    )
    if model is not None:
        rows = model.get_input_embeddings().weight.shape[0]
        if kept[-1] >= rows:
            raise ValueError(f"the tokenizer uses id {kept[-1]} but the model has only {rows} embedding rows.")
        result.embedding_rows_before = rows
        result.parameters_before = _count_parameters(model)
        result.bytes_per_parameter = model.get_input_embeddings().weight.element_size()
        _gather_rows(model, torch.tensor(kept, dtype=torch.long), id_map)
        result.embedding_rows_after = model.get_input_embeddings().weight.shape[0]
        result.parameters_after = _count_parameters(model)
    return result
