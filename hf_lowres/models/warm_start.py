"""Encoder-decoder translation models warm-started from an encoder-only checkpoint (BERT2BERT).

Rothe, Narayan & Severyn, 2020, "Leveraging Pre-trained Checkpoints for Sequence Generation Tasks" (TACL): the
encoder and the decoder both start from a BERT-style checkpoint; only the decoder's cross-attention (and the LM head
of a checkpoint that ships none) is new. For a language with no seq2seq model, this turns the multilingual encoder
that reads it (me5-small reads Indonesian and Javanese) into a translation model, with a shallower decoder when
compute is short.

The checkpoint it writes is an ordinary `EncoderDecoderModel` directory (`AutoModelForSeq2SeqLM` loads it) plus
`warm_start.json`, which names the new modules: `train_translation` trains them in full beside its LoRA adapter
(a low-rank update of a randomly initialized cross-attention would not do), and reads them from that file.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path


logger = logging.getLogger(__name__)

WARM_START_FILE = "warm_start.json"


def warm_start_encoder_decoder(
    checkpoint: str | os.PathLike,
    output_dir: str | os.PathLike,
    decoder_layers: int | None = None,
    encoder_layers: int | None = None,
    tokenizer=None,
) -> dict:
    """Builds a BERT2BERT encoder-decoder from `checkpoint` and saves it, its tokenizer and `warm_start.json` to
    `output_dir`.

    The decoder is the checkpoint's first `decoder_layers` layers run causally, with new cross-attention; the
    encoder its first `encoder_layers` layers (all by default). Both keep the checkpoint's vocabulary. Generation
    starts from the tokenizer's CLS (or BOS) token and stops at its SEP (or EOS) token.

    Args:
        checkpoint (`str` or `os.PathLike`): an encoder-only checkpoint directory (BERT, RoBERTa, XLM-R...).
        output_dir (`str` or `os.PathLike`): where the seq2seq checkpoint is written.
        decoder_layers (`int`, *optional*): decoder depth, at most the checkpoint's; all its layers by default.
        encoder_layers (`int`, *optional*): encoder depth, at most the checkpoint's; all its layers by default.
        tokenizer (*optional*): the checkpoint's tokenizer, loaded from `checkpoint` when not given.

    Returns:
        The content of `warm_start.json`: the checkpoint, the depths, the token ids, `new_modules` (modules whose
        every weight is new, as paths in the `EncoderDecoderModel`) and `new_parameters` (new weights outside them,
        e.g. a zero-initialized output bias).

    Raises:
        ValueError: a depth outside 1..the checkpoint's layers, or a tokenizer without start/end tokens.

    Example:

    ```python
    >>> from hf_lowres.models import warm_start_encoder_decoder
    >>> report = warm_start_encoder_decoder("me5-small", "me5-small-bert2bert", decoder_layers=4)
    >>> report["new_modules"][:1]
    ['decoder.bert.encoder.layer.0.crossattention']
    ```
    """
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer, EncoderDecoderModel

    tokenizer = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(checkpoint)
    config = AutoConfig.from_pretrained(checkpoint)
    depth = config.num_hidden_layers
    for name, value in (("decoder_layers", decoder_layers), ("encoder_layers", encoder_layers)):
        if value is not None and not (isinstance(value, int) and 1 <= value <= depth):
            raise ValueError(
                f"`{name}` must be an integer from 1 to {depth} (the layers of {checkpoint}), got {value!r}."
            )
    start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    end = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    if start is None or end is None or tokenizer.pad_token_id is None:
        raise ValueError(
            f"{type(tokenizer).__name__} needs a CLS or BOS token (decoding starts there), a SEP or EOS token (it "
            "stops there) and a pad token to warm-start a decoder."
        )

    encoder_config = AutoConfig.from_pretrained(checkpoint, num_hidden_layers=encoder_layers or depth)
    encoder = AutoModel.from_pretrained(checkpoint, config=encoder_config, add_pooling_layer=False)
    decoder_config = AutoConfig.from_pretrained(
        checkpoint, num_hidden_layers=decoder_layers or depth, is_decoder=True, add_cross_attention=True
    )
    decoder, loading = AutoModelForCausalLM.from_pretrained(
        checkpoint, config=decoder_config, output_loading_info=True
    )
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    token_ids = {"decoder_start_token_id": start, "eos_token_id": end, "pad_token_id": tokenizer.pad_token_id}
    for key, value in token_ids.items():
        setattr(model.config, key, value)
        setattr(model.generation_config, key, value)
    new_modules, new_parameters = _new_weights(decoder, set(loading["missing_keys"]))

    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    report = {
        "method": "BERT2BERT (Rothe et al., 2020)",
        "checkpoint": Path(checkpoint).name,  # the name, not a local path
        "encoder_layers": encoder_config.num_hidden_layers,
        "decoder_layers": decoder_config.num_hidden_layers,
        "decoder_start_token_id": start,
        "eos_token_id": end,
        "new_modules": [f"decoder.{name}" for name in new_modules],
        "new_parameters": [f"decoder.{name}" for name in new_parameters],
    }
    (output_dir / WARM_START_FILE).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    logger.info(
        "warm-started %s -> %s: %d encoder / %d decoder layers, %d new modules",
        checkpoint, output_dir, report["encoder_layers"], report["decoder_layers"], len(new_modules),
    )  # fmt: skip
    return report


def warm_start_new_modules(checkpoint: str | os.PathLike) -> list[str] | None:
    """The new modules `warm_start_encoder_decoder` recorded for `checkpoint`, or `None` for any other checkpoint.

    Raises:
        ValueError: `warm_start.json` exists but holds no list of module names.
    """
    path = Path(checkpoint) / WARM_START_FILE
    if not path.is_file():
        return None
    modules = json.loads(path.read_text(encoding="utf-8")).get("new_modules")
    if not isinstance(modules, list) or not all(isinstance(m, str) and m for m in modules):
        raise ValueError(f"{path}: `new_modules` must be a list of module names, got {modules!r}.")
    return modules


def _new_weights(model, missing: set[str]) -> tuple[list[str], list[str]]:
    """The highest modules whose every parameter is in `missing`, and the missing parameters outside them."""
    parameters = {name for name, _ in model.named_parameters(remove_duplicate=False)}
    missing &= parameters
    modules, covered = [], set()
    for name, module in model.named_modules():
        if not name or any(name.startswith(f"{m}.") for m in modules):
            continue
        own = {f"{name}.{p}" for p, _ in module.named_parameters(remove_duplicate=False)}
        if own and own <= missing:
            modules.append(name)
            covered |= own
    return modules, sorted(missing - covered)
