"""Publishing a corpus to a Hub dataset repo with a dataset card, and the card itself.

Only ``HF_ENDPOINT`` decides which server is used (the Hub, or a server of your own); nothing here hard-codes an
address. The token is passed through to `huggingface_hub` and is never logged or written into a card.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

from datasets import Dataset, DatasetDict
from huggingface_hub import DatasetCard, DatasetCardData

from .schema import CORPUS_FEATURES, validate_corpus


logger = logging.getLogger(__name__)

CARD_TEMPLATE_PATH = Path(__file__).with_name("corpus_card_template.md")

_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` value for `n` rows."""
    for bound, name in _SIZE_CATEGORIES:
        if n < bound:
            return name
    return "n>100M"


def _as_dict(dataset) -> DatasetDict:
    if isinstance(dataset, DatasetDict):
        return dataset
    if isinstance(dataset, Dataset):
        return DatasetDict({"train": dataset})
    raise TypeError(f"expected a datasets.Dataset or DatasetDict, got {type(dataset).__name__}.")


def corpus_statistics(dataset) -> dict:
    """Rows per split, origin and language pair, the languages, and the provenance of synthetic rows.

    Returns:
        `dict` with ``languages`` (sorted codes), ``total_rows``, ``sizes`` (a list of ``{split, origin, pair,
        rows}``) and ``provenance`` (a list of ``{model, direction, date, decoding, rows}``).
    """
    splits = _as_dict(dataset)
    languages, sizes, provenance = set(), Counter(), Counter()
    for split, data in splits.items():
        columns = data.select_columns(["source_lang", "target_lang", "origin", "provenance"]).to_dict()
        for source, target, origin, prov in zip(
            columns["source_lang"], columns["target_lang"], columns["origin"], columns["provenance"]
        ):
            languages.update((source, target))
            sizes[(split, origin, f"{source}-{target}")] += 1
            if prov is not None:
                provenance[(prov["model"], prov["direction"], prov["date"], prov["decoding"])] += 1
    return {
        "languages": sorted(languages),
        "total_rows": sum(sizes.values()),
        "sizes": [{"split": s, "origin": o, "pair": p, "rows": n} for (s, o, p), n in sorted(sizes.items())],
        "provenance": [
            {"model": m, "direction": d, "date": t, "decoding": c, "rows": n}
            for (m, d, t, c), n in sorted(provenance.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
        ],
    }


def corpus_dataset_card(
    dataset,
    repo_id: str,
    license: str = "unknown",
    pretty_name: str | None = None,
    citation: str | None = None,
    extra_metadata: dict | None = None,
) -> DatasetCard:
    """Renders the dataset card of a corpus: languages, sizes per origin and language pair, provenance, license.

    Args:
        dataset (`datasets.Dataset` or `datasets.DatasetDict`): the corpus (`CORPUS_FEATURES`).
        repo_id (`str`): the repo it is published to (shown in the loading example).
        license (`str`, defaults to `"unknown"`): a Hub license id, e.g. ``"cc-by-sa-4.0"``. The license of the
            real data the corpus was built from applies; set it.
        pretty_name (`str`, *optional*): the title; derived from `repo_id` by default.
        citation (`str`, *optional*): a BibTeX entry to show.
        extra_metadata (`dict`, *optional*): more YAML metadata (e.g. the ``configs`` that `push_to_hub` wrote).

    Returns:
        `huggingface_hub.DatasetCard`: YAML metadata (``language`` as base codes, ``license``, ``size_categories``,
        ``task_categories: [translation]``, tags) and a Markdown body.
    """
    stats = corpus_statistics(dataset)
    pretty_name = pretty_name or repo_id.split("/")[-1].replace("-", " ").replace("_", " ")
    # Hub metadata takes ISO 639 codes: a FLORES-style code (jav_Latn) is listed by its language part.
    hub_languages = sorted({code.split("_")[0] for code in stats["languages"]})
    origins = sorted({row["origin"] for row in stats["sizes"]})
    card_data = DatasetCardData(
        language=hub_languages,
        license=license,
        pretty_name=pretty_name,
        size_categories=[size_category(stats["total_rows"])],
        task_categories=["translation"],
        multilinguality=["translation" if len(stats["languages"]) <= 2 else "multilingual"],
        tags=["hf_lowres", "parallel-corpus"] + (["back-translation"] if "back-translated" in origins else []),
        **(extra_metadata or {}),
    )
    if license == "unknown":
        logger.warning("Dataset card of %s has license 'unknown': pass the license of the data.", repo_id)
    return DatasetCard.from_template(
        card_data,
        template_path=str(CARD_TEMPLATE_PATH),
        pretty_name=pretty_name,
        languages=stats["languages"],
        license=license,
        total_rows=stats["total_rows"],
        sizes=stats["sizes"],
        provenance=[{**row, "decoding": _compact_json(row["decoding"])} for row in stats["provenance"]],
        repo_id=repo_id,
        citation=citation,
    )


def _compact_json(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except json.JSONDecodeError:
        return text


def push_corpus_to_hub(
    dataset,
    repo_id: str,
    token: str | None = None,
    private: bool = False,
    license: str = "unknown",
    pretty_name: str | None = None,
    citation: str | None = None,
    commit_message: str | None = None,
    revision: str | None = None,
):
    """Pushes a corpus to a Hub dataset repo (parquet, via `datasets`) and writes its dataset card.

    The data goes up with `datasets.DatasetDict.push_to_hub`; the card rendered by `corpus_dataset_card` then
    replaces the README that `datasets` wrote, keeping that README's ``configs``/``dataset_info`` metadata so the
    repo still loads by repo id (`load_parallel_corpus(repo_id)`). Set ``HF_ENDPOINT`` to use another server.

    Args:
        dataset (`datasets.Dataset` or `datasets.DatasetDict`): the corpus; a single dataset becomes the ``train``
            split.
        repo_id (`str`): ``"user/name"``.
        token (`str`, *optional*): a write token; the cached login by default. Never logged.
        private (`bool`, defaults to `False`): create the repo private.
        license (`str`, defaults to `"unknown"`): the license id for the card (see `corpus_dataset_card`).
        pretty_name, citation: see `corpus_dataset_card`.
        commit_message (`str`, *optional*): the data commit's message.
        revision (`str`, *optional*): the branch to push to.

    Returns:
        `huggingface_hub.CommitInfo` of the card's commit.
    """
    splits = _as_dict(dataset)
    for split, data in splits.items():
        validate_corpus(data, f"{repo_id} [{split}]")
    splits = DatasetDict({name: data.cast(CORPUS_FEATURES) for name, data in splits.items()})
    logger.info("Pushing corpus %s (%s) to the Hub.", repo_id, {s: len(d) for s, d in splits.items()})
    splits.push_to_hub(
        repo_id,
        token=token,
        private=private,
        revision=revision,
        commit_message=commit_message or "Upload corpus with hf_lowres",
    )
    existing = {}
    try:
        previous = DatasetCard.load(repo_id, repo_type="dataset", token=token)
        existing = {k: v for k, v in previous.data.to_dict().items() if k in ("configs", "dataset_info")}
    except Exception as e:  # noqa: BLE001 - a missing README only means there is no metadata to keep
        logger.info("No README metadata to keep from %s (%s).", repo_id, type(e).__name__)
    card = corpus_dataset_card(
        splits, repo_id, license=license, pretty_name=pretty_name, citation=citation, extra_metadata=existing
    )
    return card.push_to_hub(
        repo_id, repo_type="dataset", token=token, revision=revision, commit_message="Add hf_lowres dataset card"
    )
