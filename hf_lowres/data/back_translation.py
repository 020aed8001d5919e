"""Back-translation: synthetic source sentences from monolingual target-language text (Sennrich et al., 2016).

`BackTranslator` runs a target->source translation model over monolingual target text and returns rows of the
corpus schema with ``origin="back-translated"``. Batches are built from sentences sorted by length (so little of
each batch is padding), generation runs under `torch.inference_mode`, and decoding is beam search, sampling or
top-k sampling, optionally with noise on the output: the variants compared by Edunov et al. (2018).

Generation writes shards to an output directory; a re-run with the same settings skips the finished shards and
continues where the last run stopped, and the result does not depend on where that was: each shard's decoding is
seeded from the seed and the shard's index.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import math
import os
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import torch
from datasets import Dataset, IterableDataset, concatenate_datasets
from tqdm.auto import tqdm

from hf_lowres.models.language_codes import is_valid_language_code

from .noise import add_noise
from .schema import CORPUS_FEATURES, Provenance
from .translation_codes import (
    CONVENTIONS,
    LANGUAGE_TOKEN_CONVENTIONS,
    detect_convention,
    language_token,
    language_token_id,
    model_language_code,
    tokenizer_language_tokens,
)


logger = logging.getLogger(__name__)

MANIFEST_NAME = "back_translation.json"
SHARD_PATTERN = "shard-{index:05d}.parquet"
SHARD_META_PATTERN = "shard-{index:05d}.json"


def _is_number(value) -> bool:
    """An int or float that is neither a bool, NaN nor infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class BackTranslationConfig:
    """Settings of a back-translation run.

    The model translates `target_lang` (the language of the monolingual text) into `source_lang` (the language of
    the synthetic sentences), so that the pairs train a `source_lang` -> `target_lang` system.

    Args:
        source_lang (`str`): language code of the synthetic output, e.g. ``"ind"``.
        target_lang (`str`): language code of the monolingual input, e.g. ``"jav"``.
        convention (`str`, *optional*): the model family's language-code convention (`marian`, `mbart50`, `m2m100`,
            `nllb`, `t5`, or `single_pair` for a model that translates `target_lang` -> `source_lang` only, such as
            a BERT2BERT `EncoderDecoderModel`); guessed from the tokenizer and model by default.
        batch_size (`int`, defaults to 32): sentences per `generate` call.
        sort_by_length (`bool`, defaults to `True`): batch sentences of similar length together.
        num_beams (`int`, defaults to 5): beam size (1 with sampling).
        do_sample (`bool`, defaults to `False`): sample instead of beam search (Edunov et al., 2018).
        top_k (`int`, *optional*): restrict sampling to the k likeliest tokens (Edunov et al. use 10).
        top_p (`float`, *optional*): nucleus sampling threshold, in (0, 1].
        temperature (`float`, defaults to 1.0): sampling temperature, > 0.
        noise (`bool`, defaults to `False`): noise the output (deletions, fillers, local swaps; Edunov et al., 2018).
        noise_drop_prob, noise_blank_prob, noise_blank_token, noise_max_shift: the noise's settings (see `add_noise`).
        max_new_tokens (`int`, defaults to 256): the hard cap on output length.
        max_length_ratio (`float`, *optional*, defaults to 1.5): cap a batch's output at
            ``max_length_ratio * longest input + max_length_offset`` tokens (as fairseq's max_len_a/b); `None` to use
            `max_new_tokens` only.
        max_length_offset (`int`, defaults to 10): see `max_length_ratio`; >= 0.
        max_input_length (`int`, defaults to 256): inputs are truncated to this many tokens.
        shard_size (`int`, defaults to 1000): sentences per shard written to the output directory.
        seed (`int`, defaults to 0): the seed; shard *i* is decoded with seed ``seed + i``.
        t5_prefix (`str`, *optional*): the task prefix of T5-style models; ``"translate {Target} to {Source}: "`` by
            default.
        model_name (`str`, *optional*): recorded as provenance; the model's `name_or_path` by default.
        date (`str`, *optional*): ISO date recorded as provenance; the date the output directory was started (today
            without one).
    """

    source_lang: str = field(metadata={"help": "Language code of the synthetic output (e.g. 'ind')."})
    target_lang: str = field(metadata={"help": "Language code of the monolingual input (e.g. 'jav')."})
    convention: str | None = field(default=None, metadata={"help": f"One of {CONVENTIONS}; guessed by default."})
    batch_size: int = field(default=32, metadata={"help": "Sentences per generate call."})
    sort_by_length: bool = field(default=True, metadata={"help": "Batch sentences of similar length together."})
    num_beams: int = field(default=5, metadata={"help": "Beam size (1 with sampling)."})
    do_sample: bool = field(default=False, metadata={"help": "Sample instead of beam search."})
    top_k: int | None = field(default=None, metadata={"help": "Top-k sampling (Edunov et al. 2018 use 10)."})
    top_p: float | None = field(default=None, metadata={"help": "Nucleus sampling threshold."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    noise: bool = field(default=False, metadata={"help": "Noise the output (Edunov et al., 2018)."})
    noise_drop_prob: float = field(default=0.1, metadata={"help": "Probability of deleting a word."})
    noise_blank_prob: float = field(default=0.1, metadata={"help": "Probability of replacing a word by the filler."})
    noise_blank_token: str = field(default="<BLANK>", metadata={"help": "The filler token."})
    noise_max_shift: int = field(default=3, metadata={"help": "Largest distance a word moves in the shuffle."})
    max_new_tokens: int = field(default=256, metadata={"help": "Hard cap on output length."})
    max_length_ratio: float | None = field(
        default=1.5, metadata={"help": "Per-batch output cap: ratio * longest input + offset."}
    )
    max_length_offset: int = field(default=10, metadata={"help": "See max_length_ratio."})
    max_input_length: int = field(default=256, metadata={"help": "Truncate inputs to this many tokens."})
    shard_size: int = field(default=1000, metadata={"help": "Sentences per shard in the output directory."})
    seed: int = field(default=0, metadata={"help": "Seed; shard i is decoded with seed + i."})
    t5_prefix: str | None = field(default=None, metadata={"help": "Task prefix for T5-style models."})
    model_name: str | None = field(default=None, metadata={"help": "Model name recorded as provenance."})
    date: str | None = field(default=None, metadata={"help": "ISO date recorded as provenance."})

    def __post_init__(self):
        for name in ("source_lang", "target_lang"):
            if not is_valid_language_code(getattr(self, name)):
                raise ValueError(
                    f"`{name}` is {getattr(self, name)!r}, an ill-formed language code; expected ISO 639-3 (e.g. "
                    "'jav'), ISO 639-1 or FLORES-200 style (e.g. 'jav_Latn')."
                )
        if self.convention is not None and self.convention not in CONVENTIONS:
            raise ValueError(f"`convention` must be one of {list(CONVENTIONS)}, got {self.convention!r}.")
        for name in ("batch_size", "num_beams", "max_new_tokens", "max_input_length", "shard_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be at least 1, got {getattr(self, name)}.")
        if self.do_sample and self.num_beams != 1:
            raise ValueError("sampling draws one output per sentence: set `num_beams=1` with `do_sample=True`.")
        if not self.do_sample and (self.top_k is not None or self.top_p is not None):
            raise ValueError("`top_k`/`top_p` only apply with `do_sample=True`.")
        # Checked here rather than at the first `generate` call, minutes (or a loaded model) later. Each comparison
        # is written so that NaN fails it.
        if not (_is_number(self.temperature) and self.temperature > 0):
            raise ValueError(f"`temperature` must be a finite number > 0 (1.0 = the model's distribution), got "
                             f"{self.temperature!r}.")  # fmt: skip
        if self.top_k is not None and not (isinstance(self.top_k, int) and self.top_k >= 1):
            raise ValueError(f"`top_k` must be an integer >= 1 or None, got {self.top_k!r}.")
        if self.top_p is not None and not (_is_number(self.top_p) and 0.0 < self.top_p <= 1.0):
            raise ValueError(f"`top_p` must be in (0, 1] or None, got {self.top_p!r}.")
        for name in ("noise_drop_prob", "noise_blank_prob"):
            if not (_is_number(getattr(self, name)) and 0.0 <= getattr(self, name) <= 1.0):
                raise ValueError(f"`{name}` must be in [0, 1], got {getattr(self, name)}.")
        for name in ("noise_max_shift", "max_length_offset"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 0):
                raise ValueError(f"`{name}` must be an integer >= 0, got {getattr(self, name)!r}.")
        if self.max_length_ratio is not None and not (_is_number(self.max_length_ratio) and self.max_length_ratio > 0):
            raise ValueError(f"`max_length_ratio` must be positive or None, got {self.max_length_ratio}.")

    def decoding_settings(self) -> dict:
        """The settings that decide the output (everything but the languages and provenance labels)."""
        settings = dataclasses.asdict(self)
        for key in ("source_lang", "target_lang", "model_name", "date"):
            settings.pop(key)
        return settings


@dataclass
class GenerationStats:
    """Throughput and padding counters of a `BackTranslator`, accumulated over its calls."""

    sentences: int = 0
    batches: int = 0
    seconds: float = 0.0
    input_tokens: int = 0
    input_padding: int = 0
    output_tokens: int = 0
    output_padding: int = 0

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0

    @property
    def padding_fraction(self) -> float:
        """Fraction of the encoder input positions that were padding."""
        total = self.input_tokens + self.input_padding
        return self.input_padding / total if total else 0.0

    @property
    def output_padding_fraction(self) -> float:
        """Fraction of the generated positions that were padding (sequences finished before their batch)."""
        total = self.output_tokens + self.output_padding
        return self.output_padding / total if total else 0.0


def _texts_sha256(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


class BackTranslator:
    """Generates back-translations (Sennrich et al., 2016) with a seq2seq translation model.

    Supports Marian (with ``>>xxx<<`` target tokens for multi-target models), mBART-50 (``jv_XX``), M2M-100
    (``__jv__``), NLLB (``jav_Latn``) and T5-style task prefixes; see `translation_codes`. Beam search is the
    default; ``do_sample=True`` (optionally with ``top_k=10``) and ``noise=True`` give the sampled and noised
    back-translation of Edunov et al. (2018), which train better models than beam outputs at scale.

    Args:
        model (`PreTrainedModel`): a seq2seq model translating `config.target_lang` -> `config.source_lang`.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer.
        config (`BackTranslationConfig`, *optional*): the settings; keyword arguments build one otherwise.

    Example:

    ```python
    >>> translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=1)
    >>> synthetic = translator.generate(load_monolingual("jav.txt", "jav"), output_dir="bt-jav-ind")
    >>> synthetic[0]["origin"], synthetic[0]["provenance"]["direction"]
    ('back-translated', 'jav->ind')
    ```

    References: Sennrich, Haddow & Birch (2016), "Improving Neural Machine Translation Models with Monolingual
    Data"; Edunov, Ott, Auli & Grangier (2018), "Understanding Back-Translation at Scale".
    """

    def __init__(self, model, tokenizer, config: BackTranslationConfig | None = None, **kwargs):
        if config is None:
            config = BackTranslationConfig(**kwargs)
        elif kwargs:
            config = dataclasses.replace(config, **kwargs)
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.convention = config.convention or detect_convention(model, tokenizer)
        self.stats = GenerationStats()
        self._prefix_token = None
        self._source_prefix = ""
        self.forced_bos_token_id = None
        self._check_languages()
        self.pad_token_id = tokenizer.pad_token_id
        if self.pad_token_id is None:
            self.pad_token_id = model.config.pad_token_id
        if self.pad_token_id is None:
            raise ValueError("the tokenizer and the model config define no pad token; batching needs one.")

    @property
    def model_name(self) -> str:
        return self.config.model_name or getattr(self.model, "name_or_path", "") or type(self.model).__name__

    @property
    def direction(self) -> str:
        return f"{self.config.target_lang}->{self.config.source_lang}"

    def _check_languages(self) -> None:
        config, tokenizer, convention = self.config, self.tokenizer, self.convention
        if convention in LANGUAGE_TOKEN_CONVENTIONS:
            # The input is in the target language; the output is forced to start with the source language's code.
            self._input_lang_id = language_token_id(tokenizer, config.target_lang, convention)
            self.forced_bos_token_id = language_token_id(tokenizer, config.source_lang, convention)
        elif convention == "marian":
            # Multi-target OPUS-MT models choose the output language from a `>>xxx<<` token before the source text.
            if tokenizer_language_tokens(tokenizer, "marian"):
                language_token_id(tokenizer, config.source_lang, "marian")
                self._prefix_token = language_token(config.source_lang, "marian")
        elif convention == "t5":
            if config.t5_prefix is not None:
                self._source_prefix = config.t5_prefix
            else:
                source = model_language_code(config.source_lang, "t5")
                target = model_language_code(config.target_lang, "t5")
                self._source_prefix = f"translate {target} to {source}: "

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text as the model expects them (language tokens or prefixes included), unpadded."""
        tokenizer, max_length = self.tokenizer, self.config.max_input_length
        if self.convention in LANGUAGE_TOKEN_CONVENTIONS:
            if hasattr(tokenizer, "set_src_lang_special_tokens") and hasattr(type(tokenizer), "src_lang"):
                # A real mBART-50/M2M-100/NLLB tokenizer places the code itself (NLLB's legacy mode puts it last).
                previous = tokenizer.src_lang
                tokenizer.src_lang = model_language_code(self.config.target_lang, self.convention)
                try:
                    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
                finally:
                    tokenizer.src_lang = previous
            eos = tokenizer.eos_token_id
            ids = tokenizer(texts, add_special_tokens=False, truncation=True, max_length=max_length - 2)["input_ids"]
            return [[self._input_lang_id, *row, eos] for row in ids]
        if self._prefix_token is not None:
            texts = [f"{self._prefix_token} {text}" for text in texts]
        elif self._source_prefix:
            texts = [self._source_prefix + text for text in texts]
        return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]

    def _batch_order(self, lengths: list[int]) -> list[int]:
        order = list(range(len(lengths)))
        if self.config.sort_by_length:
            # Longest first: a batch that does not fit in memory fails at once, not at the end of a long run.
            order.sort(key=lambda i: -lengths[i])
        return order

    def _generate_batch(self, batch: list[list[int]]) -> list[str]:
        config = self.config
        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, : len(ids)] = 1
        max_new_tokens = config.max_new_tokens
        if config.max_length_ratio is not None:
            max_new_tokens = min(
                max_new_tokens, math.ceil(config.max_length_ratio * longest) + config.max_length_offset
            )
        kwargs = {"num_beams": config.num_beams, "do_sample": config.do_sample, "max_new_tokens": max_new_tokens}
        if config.do_sample:
            kwargs.update(temperature=config.temperature, top_k=config.top_k or 0)
            if config.top_p is not None:
                kwargs["top_p"] = config.top_p
        if self.forced_bos_token_id is not None:
            kwargs["forced_bos_token_id"] = self.forced_bos_token_id
        device = next(self.model.parameters()).device
        outputs = self.model.generate(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), **kwargs
        ).cpu()
        stats = self.stats
        stats.batches += 1
        stats.input_tokens += int(attention_mask.sum())
        stats.input_padding += int(attention_mask.numel() - attention_mask.sum())
        n_pad = int((outputs == self.pad_token_id).sum())
        stats.output_padding += n_pad
        stats.output_tokens += int(outputs.numel()) - n_pad
        return self.tokenizer.batch_decode(outputs, skip_special_tokens=True)

    def translate(self, texts: list[str], seed: int | None = None) -> list[str]:
        """Translates `texts` (target language) into the source language, in length-sorted batches.

        Args:
            texts (`list[str]`): the sentences.
            seed (`int`, *optional*): seeds sampling and noise (the config's seed by default). The global torch RNG
                is left as it was.

        Returns:
            `list[str]`: one output per input, in the input order (noised when `config.noise`).
        """
        if not texts:
            return []
        config = self.config
        seed = config.seed if seed is None else seed
        start = time.perf_counter()
        encoded = self.encode(list(texts))
        order = self._batch_order([len(ids) for ids in encoded])
        outputs: list[str | None] = [None] * len(texts)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.random.fork_rng(devices=[]), torch.inference_mode():
                torch.manual_seed(seed)
                for begin in range(0, len(order), config.batch_size):
                    indices = order[begin : begin + config.batch_size]
                    decoded = self._generate_batch([encoded[i] for i in indices])
                    for i, text in zip(indices, decoded):
                        outputs[i] = text.strip()
        finally:
            self.model.train(was_training)
        if config.noise:
            rng = random.Random(seed)
            outputs = [
                add_noise(
                    text,
                    rng,
                    config.noise_drop_prob,
                    config.noise_blank_prob,
                    config.noise_blank_token,
                    config.noise_max_shift,
                )
                for text in outputs
            ]
        self.stats.sentences += len(texts)
        self.stats.seconds += time.perf_counter() - start
        return outputs

    __call__ = translate

    def _provenance(self, date: str) -> dict:
        return Provenance(self.model_name, self.direction, self.config.decoding_settings(), date).to_row()

    def _rows(self, texts: list[str], synthetic: list[str], provenance: dict) -> dict:
        n = len(texts)
        return {
            "source_text": synthetic,
            "target_text": list(texts),
            "source_lang": [self.config.source_lang] * n,
            "target_lang": [self.config.target_lang] * n,
            "origin": ["back-translated"] * n,
            "provenance": [provenance] * n,
            "quality": [None] * n,
        }

    def _iter_shards(self, monolingual) -> Iterator[list[str]]:
        shard_size = self.config.shard_size
        if isinstance(monolingual, (Dataset, IterableDataset)):
            columns = monolingual.column_names or []
            if "text" not in columns:
                raise ValueError(f"the monolingual dataset has no 'text' column; columns found: {columns}.")
            rows: Iterable = monolingual
        else:
            rows = ({"text": text} for text in monolingual)
        shard: list[str] = []
        for number, row in enumerate(rows):
            language = row.get("lang")
            if language is not None and language != self.config.target_lang:
                raise ValueError(
                    f"monolingual row {number} is in {language!r}, but this back-translator reads "
                    f"{self.config.target_lang!r} (target_lang)."
                )
            shard.append(row["text"])
            if len(shard) == shard_size:
                yield shard
                shard = []
        if shard:
            yield shard

    def _open_output_dir(self, output_dir: Path) -> str:
        output_dir.mkdir(parents=True, exist_ok=True)
        manifest_path = output_dir / MANIFEST_NAME
        settings = {
            "model": self.model_name,
            "direction": self.direction,
            "convention": self.convention,
            "decoding": self.config.decoding_settings(),
        }
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            previous = {key: manifest.get(key) for key in settings}
            if previous != json.loads(json.dumps(settings)):
                changed = sorted(k for k in settings if previous[k] != json.loads(json.dumps(settings[k])))
                raise ValueError(
                    f"{output_dir} holds shards generated with other settings (differing: {changed}); resume with "
                    "the same settings, or use a new output directory."
                )
            return self.config.date or manifest["date"]
        date = self.config.date or datetime.date.today().isoformat()
        _write_atomic(manifest_path, json.dumps({**settings, "date": date}, indent=2, sort_keys=True))
        return date

    def generate(
        self,
        monolingual,
        output_dir: str | os.PathLike | None = None,
        max_shards: int | None = None,
        progress: bool = True,
    ) -> Dataset:
        """Back-translates monolingual text into corpus rows (``origin="back-translated"``), resumably.

        Args:
            monolingual (`datasets.Dataset`, `datasets.IterableDataset` or an iterable of `str`): the target-language
                text (a ``text`` column, as `load_monolingual` returns; a ``lang`` column, when present, must be
                `config.target_lang`).
            output_dir (`str` or `os.PathLike`, *optional*): where shards are written. A re-run with the same
                directory and settings skips the shards already there (their inputs are checked by hash) and
                continues; different settings are refused.
            max_shards (`int`, *optional*): stop after generating this many new shards (e.g. to split a long run
                into jobs); the finished shards so far are returned.
            progress (`bool`, defaults to `True`): show a tqdm bar with sentences per second.

        Returns:
            `datasets.Dataset` with `CORPUS_FEATURES`, in the order of the input.
        """
        directory = Path(output_dir) if output_dir is not None else None
        date = self._open_output_dir(directory) if directory is not None else None
        if date is None:
            date = self.config.date or datetime.date.today().isoformat()
        provenance = self._provenance(date)
        total = None
        try:
            total = len(monolingual)
        except TypeError:
            pass
        bar = tqdm(total=total, unit="sent", desc=f"back-translating {self.direction}", disable=not progress)
        parts: list[Dataset] = []
        new_shards = skipped = 0
        try:
            for index, texts in enumerate(self._iter_shards(monolingual)):
                if max_shards is not None and new_shards >= max_shards:
                    logger.info("Stopped after %d new shards (max_shards); re-run to continue.", new_shards)
                    break
                if directory is not None:
                    shard = self._load_shard(directory, index, texts)
                    if shard is not None:
                        parts.append(shard)
                        skipped += 1
                        bar.update(len(texts))
                        continue
                synthetic = self.translate(texts, seed=self.config.seed + index)
                shard = Dataset.from_dict(self._rows(texts, synthetic, provenance), features=CORPUS_FEATURES)
                if directory is not None:
                    self._save_shard(directory, index, texts, shard)
                parts.append(shard)
                new_shards += 1
                bar.update(len(texts))
        finally:
            bar.close()
        if skipped:
            logger.info("Resumed %s: %d shards were already done, %d generated now.", directory, skipped, new_shards)
        if not parts:
            return Dataset.from_dict({name: [] for name in CORPUS_FEATURES}, features=CORPUS_FEATURES)
        return concatenate_datasets(parts) if len(parts) > 1 else parts[0]

    def _load_shard(self, directory: Path, index: int, texts: list[str]) -> Dataset | None:
        meta_path = directory / SHARD_META_PATTERN.format(index=index)
        shard_path = directory / SHARD_PATTERN.format(index=index)
        if not (meta_path.exists() and shard_path.exists()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("input_sha256") != _texts_sha256(texts) or meta.get("rows") != len(texts):
            raise ValueError(
                f"{shard_path} was generated from other input sentences than shard {index} of this input; resume "
                "with the same monolingual data (same order and shard_size), or use a new output directory."
            )
        return Dataset.from_dict(pq.read_table(shard_path).to_pydict(), features=CORPUS_FEATURES)

    def _save_shard(self, directory: Path, index: int, texts: list[str], shard: Dataset) -> None:
        shard_path = directory / SHARD_PATTERN.format(index=index)
        tmp_path = shard_path.with_suffix(".parquet.tmp")
        pq.write_table(shard.data.table, tmp_path)
        os.replace(tmp_path, shard_path)
        # The metadata is written last: a shard counts as done only when both files exist.
        meta = {"index": index, "rows": len(texts), "input_sha256": _texts_sha256(texts)}
        _write_atomic(directory / SHARD_META_PATTERN.format(index=index), json.dumps(meta, indent=2))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def generate_back_translations(model, tokenizer, monolingual, output_dir=None, **config_kwargs) -> Dataset:
    """Shortcut for ``BackTranslator(model, tokenizer, **config_kwargs).generate(monolingual, output_dir)``."""
    progress = config_kwargs.pop("progress", True)
    max_shards = config_kwargs.pop("max_shards", None)
    translator = BackTranslator(model, tokenizer, BackTranslationConfig(**config_kwargs))
    return translator.generate(monolingual, output_dir=output_dir, max_shards=max_shards, progress=progress)


__all__ = ["BackTranslationConfig", "BackTranslator", "GenerationStats", "generate_back_translations"]
