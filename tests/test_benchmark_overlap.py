"""Protocol v2 of ``benchmarks/nusax_transfer.py`` on a tiny NusaX + NusaTranslation folder built in the test: the
labeled/parallel split, the exclusion of shared sentences, and the overlap check that stops a run."""

import dataclasses
import sys

import pytest
from benchmark_modules import load_benchmark
from protocol_v2_data import build_data

from hf_lowres.data.overlap import SentenceOverlapError


@pytest.fixture(scope="module")
def transfer():
    # A private copy of the script's module: its settings and data cache belong to this file alone.
    module = load_benchmark("nusax_transfer")
    module.SETTINGS.update(labeled_rows=10, ood_pairs_per_language=4)
    yield module
    del sys.modules[module.__name__]


@pytest.fixture(scope="module")
def data_root(transfer, tmp_path_factory):
    return build_data(tmp_path_factory.mktemp("data"), transfer)


def test_split_is_stratified_deterministic_and_disjoint(transfer):
    ids = [str(k) for k in range(500)]
    labels = [0] * 192 + [1] * 119 + [2] * 189  # NusaX-Senti train's label counts
    labeled, parallel = transfer.split_labeled_parallel(ids, labels, 0, 250)
    label_of = dict(zip(ids, labels))
    # Largest remainder: 96 / 59.5 / 94.5 -> the one left over goes to the lower label id of the tied remainders.
    assert [sum(label_of[i] == c for i in labeled) for c in range(3)] == [96, 60, 94]
    assert len(parallel) == 250 and not set(labeled) & set(parallel) and set(labeled) | set(parallel) == set(ids)
    assert labeled == sorted(labeled, key=int)  # file order
    assert transfer.split_labeled_parallel(ids, labels, 0, 250) == (labeled, parallel)
    assert transfer.split_labeled_parallel(ids, labels, 1, 250)[0] != labeled
    with pytest.raises(ValueError, match="labeled=500 must be between 1 and 499"):
        transfer.split_labeled_parallel(ids, labels, 0, 500)
    with pytest.raises(ValueError, match="the train ids repeat"):
        transfer.split_labeled_parallel(["1", "1", "2"], [0, 0, 1], 0, 1)


def test_protocol_data_drops_and_counts_shared_sentences(transfer, data_root):
    root, shared_id = data_root
    data = transfer.protocol_data(str(root))
    assert len(data.labeled) == 10 and set(data.labeled["id"]) == set(data.labeled_ids)
    assert not set(data.labeled_ids) & set(data.parallel_ids)
    # The P Buginese sentence that is a test sentence is dropped, with its pair, and counted.
    assert shared_id not in [i for i, _ in data.parallel_text["bug"]]
    assert shared_id not in [i for i, _, _ in data.pairs["bug"]]
    assert len(data.pairs["jav"]) == 10 and len(data.pairs["bug"]) == 9
    assert data.excluded["P sentences bug"] == 1 and data.excluded["P pairs eng-bug"] == 1
    assert data.excluded["P pairs eng-jav"] == 0
    # NusaTranslation btk (NusaX bbc): the pair whose target is a jav *test* sentence and the one whose Indonesian is
    # a labeled English sentence are dropped; the repeated pair counted apart. bew's valid/test are references too.
    assert data.excluded["NusaTranslation btk train pairs (shared with a reference or empty)"] == 2
    assert data.excluded["NusaTranslation btk train pairs (repeated)"] == 1
    assert set(data.ood_pairs) == {"bbc", "jav", "mad", "min", "sun"}
    assert all(len(pairs) == 4 for pairs in data.ood_pairs.values())
    assert "NusaTranslation valid+test (6 languages)" in data.references
    ood = transfer.pair_rows(data, "out_of_domain")
    assert sum(r["source_lang"] == "eng" and r["target_lang"] == "ind" for r in ood) == 10  # P's eng<->ind pairs
    assert {r["target_lang"] for r in ood if r["source_lang"] == "ind"} == {"bbc", "jav", "mad", "min", "sun"}
    assert transfer.ood_aligned_languages() == ["ind", "bbc", "jav", "mad", "min", "sun"]


def test_overlap_check_passes_on_the_protocol_and_stops_a_run_that_reuses_labeled_sentences(
    transfer, data_root, capsys
):
    root, _ = data_root
    data = transfer.protocol_data(str(root))
    pseudo = {i: 2 for i, _ in transfer.parallel_english(data)}
    for arm in transfer.ARMS:
        report = transfer.check_overlap(arm, data, pseudo if arm == "T" else None)
        assert report["total"] == 0
        assert "labeled rows (L)" in report["per_signal"]
    printed = capsys.readouterr().out
    assert (
        "[D_ood] overlap check: 0 shared sentences (labeled rows (L) 0 of 10, alignment pairs (both sides) 0"
        in printed
    )
    # T trains on P's target sides with the pseudo-labels, never on P's gold labels.
    rows = transfer.projection_rows(data, pseudo)
    assert len(rows) == sum(len(p) for p in data.pairs.values()) and {r["label"] for r in rows} == {2}
    with pytest.raises(ValueError, match="the pseudo-labels lack 10 P ids"):
        transfer.projection_rows(data, {})

    # What protocol v1 did: pairs for the labeled ids (translations of the labeled sentences).
    text = {lang: dict(zip(data.sentiment[lang]["train"]["id"], data.sentiment[lang]["train"]["text"]))
            for lang in ("eng", *transfer.TARGETS)}  # fmt: skip
    leaky = {t: [(i, text["eng"][i], text[t][i]) for i in data.labeled_ids] for t in transfer.TARGETS}
    with pytest.raises(SentenceOverlapError) as error:
        transfer.check_overlap("D", dataclasses.replace(data, pairs=leaky))
    message = str(error.value)
    assert "alignment pairs (both sides) vs L (12 languages): 220" in message  # 10 ids x 11 targets x 2 sides
    assert f"'eng train sentence {data.labeled_ids[0]}'" in message
    assert "[D] overlap check: 220 shared sentences" in capsys.readouterr().out


def test_smoke_cuts_every_source_but_the_trimming_text_stays_whole(transfer, data_root, monkeypatch):
    root, _ = data_root
    monkeypatch.setattr(transfer, "SMOKE_ROWS", 3)
    full = transfer.protocol_data(str(root), smoke=False)
    small = transfer.protocol_data(str(root), smoke=True)
    assert len(small.labeled) == 3 and all(len(p) == 3 for p in small.pairs.values())
    assert len(full.labeled) == 10 and small.summary()["smoke"] and not full.summary()["smoke"]
    texts = set(transfer.benchmark_texts(str(root)))
    assert {t for pairs in full.ood_pairs.values() for pair in pairs for t in pair} <= texts
    assert {t for _, t in full.parallel_text["bbc"]} <= texts
    # The lexicon arms' words (as written and capitalized, as replacement writes them) and the rows G trains on.
    assert {"kreta", "Kreta", "ayat", "Ayat", "kereta", "ada"} <= texts
    assert f"eng kreta ayat {full.labeled_ids[0]}" in texts


def test_lexicon_arms_are_checked_on_exactly_what_they_train_on(transfer, data_root):
    from hf_lowres.data import apply_code_switching

    root, _ = data_root
    data = transfer.protocol_data(str(root))
    first = data.labeled_ids[0]
    # G: one word-by-word translation of L per GATITOS language, labels kept.
    signals = transfer.lexicon_signals(transfer.ARMS["G"], data, 0, str(root))
    assert list(signals) == ["word-translated L (gatitos)"]
    texts = signals["word-translated L (gatitos)"]
    assert len(texts) == 2 * len(data.labeled)  # ace and bug
    assert {f"eng kreta ayat {first}", f"eng kereta ada {first}"} <= set(texts)
    report = transfer.check_overlap("G", data, lexicon_texts=signals)
    assert report["total"] == 0 and "word-translated L (gatitos)" in report["per_signal"]
    rows = transfer.word_translated_rows(transfer.ARMS["G"], data, 0, str(root))
    assert list(rows["label"]) == 2 * list(data.labeled["label"])
    # G_nusax reads the NusaX lexicon through its English list: eng -> ind -> ace.
    nusax = transfer.lexicon_signals(transfer.ARMS["G_nusax"], data, 0, str(root))["word-translated L (nusax)"]
    assert f"eng kreta sentence {first}" in nusax

    # H: the check reads the code-switched rows the trainer reads, epoch by epoch, and they change across epochs.
    switch = transfer.code_switching_transform(transfer.ARMS["H"], 0, str(root))
    train = apply_code_switching(transfer.english_labeled_rows(data), switch)
    read = []
    for epoch in range(3):
        switch.set_epoch(epoch)
        read.append(list(train["text"]))
    signals = transfer.lexicon_signals(transfer.ARMS["H"], data, 0, str(root), epochs=3)
    assert signals == {"code-switched L (gatitos)": [text for epoch in read for text in epoch]}
    assert read[0] != read[1] and any(text != original for text, original in zip(read[0], data.labeled["text"]))

    # A lexicon row that is a test sentence stops the run: the translations of L are not exempt from the check.
    with pytest.raises(SentenceOverlapError, match="word-translated L \\(gatitos\\) vs"):
        transfer.check_overlap("G", data, lexicon_texts={"word-translated L (gatitos)": ["ace test sentence t0"]})


def test_a_steps_trains_as_many_rows_as_g_on_the_real_lexicons(transfer):
    # G trains on L + one translation per GATITOS language; its control A_steps repeats L as many times.
    gatitos = transfer.DEFAULT_DATA_DIR / "gatitos"
    if not gatitos.is_dir():
        pytest.skip(f"needs the shared data ({gatitos})")
    covered = [t for t in transfer.TARGETS if (gatitos / f"en_{t}.tsv").is_file()]
    assert covered == transfer.LEXC_GEN_LANGUAGES
    assert transfer.ARMS["A_steps"]["repeat_labeled"] == 1 + len(covered)


def test_a_steps_repeats_l_in_its_task_rows_and_a_does_not(transfer, data_root):
    from hf_lowres.testing_utils import tiny_tokenizer

    root, _ = data_root
    data = transfer.protocol_data(str(root))
    tokenizer = tiny_tokenizer()
    once = transfer.labeled_task_rows(transfer.ARMS["A"], data, tokenizer)
    repeated = transfer.labeled_task_rows(transfer.ARMS["A_steps"], data, tokenizer)
    assert len(once) == len(data.labeled) == 10
    assert len(repeated) == transfer.ARMS["A_steps"]["repeat_labeled"] * len(once)
    assert list(repeated["input_ids"]) == list(once["input_ids"]) * transfer.ARMS["A_steps"]["repeat_labeled"]
    assert set(repeated["lang"]) == {"eng"} and list(repeated["labels"])[: len(once)] == list(once["labels"])
