"""The dataset card of a corpus (rendered offline) and what `push_corpus_to_hub` sends."""

import logging

import yaml
from datasets import DatasetDict, concatenate_datasets
from huggingface_hub import DatasetCard

import hf_lowres.data.publishing as publishing
from hf_lowres.data import (
    Provenance,
    corpus_dataset_card,
    corpus_from_pairs,
    corpus_from_rows,
    corpus_row,
    push_corpus_to_hub,
)


def corpus():
    real = corpus_from_pairs(
        ["saya suka", "ini bagus", "itu buruk"], ["aku seneng", "iki apik", "kuwi ala"], "ind", "jav"
    )
    real_sun = corpus_from_pairs(["saya"], ["abdi"], "ind", "sun")
    provenance = Provenance("Helsinki-NLP/opus-mt-jav-ind", "jav->ind", {"num_beams": 5, "seed": 0}, "2026-01-02")
    synthetic = corpus_from_rows(
        [corpus_row(f"s{i}", f"t{i}", "ind", "jav", "back-translated", provenance) for i in range(2)]
    )
    return DatasetDict({"train": concatenate_datasets([real, real_sun, synthetic]), "test": real.select([0])})


def parse(card: DatasetCard):
    text = str(card)
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_card_metadata_and_body():
    card = corpus_dataset_card(corpus(), "me/ind-jav-bt", license="cc-by-sa-4.0")
    metadata, body = parse(card)
    assert metadata["language"] == ["ind", "jav", "sun"]
    assert metadata["license"] == "cc-by-sa-4.0"
    assert metadata["size_categories"] == ["n<1K"] and metadata["task_categories"] == ["translation"]
    assert "back-translation" in metadata["tags"]
    rows = [line for line in body.splitlines() if line.startswith("| train |") or line.startswith("| test |")]
    assert rows == [
        "| test | real | ind-jav | 1 |",
        "| train | back-translated | ind-jav | 2 |",
        "| train | real | ind-jav | 3 |",
        "| train | real | ind-sun | 1 |",
    ]
    assert '| Helsinki-NLP/opus-mt-jav-ind | jav->ind | 2026-01-02 | 2 | `{"num_beams":5,"seed":0}` |' in body
    assert "**Rows:** 7" in body and 'load_parallel_corpus("me/ind-jav-bt")' in body
    assert "Edunov" in body and "Caswell" in body


def test_card_without_synthetic_rows_and_flores_codes():
    real = corpus_from_pairs(["a"], ["b"], "ind_Latn", "jav_Latn")
    metadata, body = parse(corpus_dataset_card(real, "me/x", license="cc-by-4.0"))
    assert metadata["language"] == ["ind", "jav"] and "The corpus holds no synthetic rows." in body
    assert "back-translation" not in metadata["tags"]


class FakeHub:
    def __init__(self, monkeypatch):
        self.pushed, self.cards = [], []
        hub = self

        def push_to_hub(self, repo_id, **kwargs):
            hub.pushed.append((repo_id, dict(self), kwargs))

        monkeypatch.setattr(DatasetDict, "push_to_hub", push_to_hub)

        class Card(DatasetCard):
            @classmethod
            def load(cls, repo_id, **kwargs):
                return DatasetCard("---\nconfigs:\n- config_name: default\n  data_files: data/*\nfoo: bar\n---\nold\n")

            def push_to_hub(self, repo_id, **kwargs):
                hub.cards.append((repo_id, str(self), kwargs))

        monkeypatch.setattr(publishing, "DatasetCard", Card)


def test_push_sends_data_then_card_and_never_logs_the_token(monkeypatch, caplog):
    hub = FakeHub(monkeypatch)
    secret = "hf_SECRETsecretSECRET"
    with caplog.at_level(logging.DEBUG):
        push_corpus_to_hub(corpus(), "me/ind-jav-bt", token=secret, private=True, license="cc-by-sa-4.0")
    ((repo_id, splits, kwargs),) = hub.pushed
    assert repo_id == "me/ind-jav-bt" and kwargs["token"] == secret and kwargs["private"] is True
    assert {name: len(data) for name, data in splits.items()} == {"train": 6, "test": 1}
    ((card_repo, card_text, card_kwargs),) = hub.cards
    assert card_repo == "me/ind-jav-bt" and card_kwargs["repo_type"] == "dataset" and card_kwargs["token"] == secret
    metadata = yaml.safe_load(card_text.split("---\n")[1])
    assert metadata["configs"] == [{"config_name": "default", "data_files": "data/*"}]  # kept from datasets' README
    assert "foo" not in metadata and metadata["license"] == "cc-by-sa-4.0"
    assert secret not in card_text and secret not in caplog.text


def test_push_wraps_a_single_dataset_as_train_and_validates(monkeypatch):
    hub = FakeHub(monkeypatch)
    push_corpus_to_hub(corpus()["train"], "me/x", license="cc-by-4.0")
    assert list(hub.pushed[0][1]) == ["train"]
    bad = corpus()["train"].map(lambda row: {"origin": "invented"})
    import pytest

    from hf_lowres.data import CorpusFormatError

    with pytest.raises(CorpusFormatError, match=r"me/x \[train\]: row 0: origin 'invented'"):
        push_corpus_to_hub(bad, "me/x")
    assert len(hub.pushed) == 1


def test_push_corpus_then_load_by_repo_id_through_the_hub_server(hub_server, tmp_path):
    """Real HTTP traffic through the local hub server: one process pushes, a fresh one loads by repo id."""
    import json

    from hub_fixtures import last_json, run_with_hub

    original = corpus()
    original.save_to_disk(tmp_path / "corpus")
    repo_id = "alice/ind-jav-bt-roundtrip"
    run_with_hub(
        hub_server,
        """
        import sys
        from datasets import load_from_disk
        from hf_lowres.data import push_corpus_to_hub
        push_corpus_to_hub(load_from_disk(sys.argv[1]), sys.argv[2], private=True, license="cc-by-sa-4.0")
        """,
        str(tmp_path / "corpus"),
        repo_id,
    )
    loaded = run_with_hub(
        hub_server,
        """
        import json, sys
        from huggingface_hub import hf_hub_download
        from hf_lowres.data import load_parallel_corpus
        corpus = load_parallel_corpus(sys.argv[1])
        card = open(hf_hub_download(sys.argv[1], "README.md", repo_type="dataset"), encoding="utf-8").read()
        print(json.dumps({"rows": {split: corpus[split].to_list() for split in corpus}, "card": card}))
        """,
        repo_id,
    )
    got = last_json(loaded)

    def canonical(rows):
        return [json.dumps(row, sort_keys=True) for row in rows]

    assert sorted(got["rows"]) == ["test", "train"]
    for split in ("train", "test"):
        assert canonical(got["rows"][split]) == canonical(original[split].to_list()), split
    metadata, body = parse(DatasetCard(got["card"]))
    assert metadata["language"] == ["ind", "jav", "sun"] and metadata["license"] == "cc-by-sa-4.0"
    assert metadata["configs"]  # datasets' loading metadata was kept, so the repo id loads
    for line in (
        "| test | real | ind-jav | 1 |",
        "| train | back-translated | ind-jav | 2 |",
        "| train | real | ind-jav | 3 |",
        "| train | real | ind-sun | 1 |",
        "**Rows:** 7",
        "**License:** cc-by-sa-4.0",
    ):
        assert line in body, line
