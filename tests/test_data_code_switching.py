"""Code-switching augmentation (CoSDA-ML): ratios, determinism per (seed, epoch), BIO alignment, and a
`CrossLingualTrainer` run in which every epoch reads new mixes through the `datasets` transform."""

import pytest
from datasets import ClassLabel, Dataset, Features, List, Value
from training_fixtures import DICTIONARY, single_thread, task_dataset, tiny_lora_classifier  # noqa: F401

from hf_lowres.data import CodeSwitchingCallback, CodeSwitchingTransform, Lexicon, apply_code_switching
from hf_lowres.data.code_switching import IGNORE_INDEX
from hf_lowres.testing_utils import tiny_tokenizer
from hf_lowres.training import CrossLingualTrainer, CrossLingualTrainingArguments


ENG_IND = Lexicon.from_dict({w: t[0] for w, t in DICTIONARY.items()}, "eng", "ind", name="toy/eng-ind")
ENG_JAV = Lexicon.from_dict({w: t[1] for w, t in DICTIONARY.items()}, "eng", "jav", name="toy/eng-jav")
IND_WORDS = {t[0] for t in DICTIONARY.values()}
JAV_WORDS = {t[1] for t in DICTIONARY.values()}
SENTENCES = [
    "i like this good food",
    "i do not like that bad food",
    "this food and that food very good",
    "that movie is very bad",
    "i like this and that",
    "not very good and not very bad",
]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def test_same_epoch_same_mix_other_epoch_other_mix():
    switch = CodeSwitchingTransform([ENG_IND, ENG_JAV], word_ratio=0.5, seed=0)
    epoch0 = [switch.switch_text(s, epoch=0) for s in SENTENCES]
    assert epoch0 == [switch.switch_text(s, epoch=0) for s in SENTENCES]
    assert epoch0 == [
        CodeSwitchingTransform([ENG_JAV, ENG_IND], word_ratio=0.5, seed=0).switch_text(s) for s in SENTENCES
    ]
    epoch1 = [switch.switch_text(s, epoch=1) for s in SENTENCES]
    assert epoch1 != epoch0 and sum(a != b for a, b in zip(epoch0, epoch1)) >= 3
    other_seed = CodeSwitchingTransform([ENG_IND, ENG_JAV], word_ratio=0.5, seed=1)
    assert [other_seed.switch_text(s, epoch=0) for s in SENTENCES] != epoch0
    switch.set_epoch(1)
    assert [switch.switch_text(s) for s in SENTENCES] == epoch1  # the current epoch by default


def test_word_and_sentence_ratios():
    assert CodeSwitchingTransform([ENG_IND], word_ratio=0.0).switch_text(SENTENCES[0]) == SENTENCES[0]
    assert (
        CodeSwitchingTransform([ENG_IND], word_ratio=1.0, sentence_ratio=0.0).switch_text(SENTENCES[0])
        == (SENTENCES[0])
    )
    # Every switchable word switched; "movie" and "is" are in no lexicon and stay.
    full = CodeSwitchingTransform([ENG_IND, ENG_JAV], word_ratio=1.0)
    words = full.switch_text("that movie is very bad").split()
    assert words[1:3] == ["movie", "is"]
    assert all(w in IND_WORDS | JAV_WORDS for w in words[:1] + words[3:])
    # Each word draws its language: one sentence mixes both target languages somewhere in a few epochs.
    mixes = [set(full.switch_text(SENTENCES[2], epoch=e).split()) for e in range(5)]
    assert any(m & IND_WORDS and m & JAV_WORDS for m in mixes)
    many = [f"{s} {i}" for i in range(100) for s in SENTENCES[:2]]
    half = CodeSwitchingTransform([ENG_IND], word_ratio=1.0, sentence_ratio=0.5, seed=0)
    switched = sum(half.switch_text(s) != s for s in many)
    assert 70 <= switched <= 130  # Binomial(200, 0.5)
    with pytest.raises(ValueError, match=r"`word_ratio` must be a number in \[0, 1\]"):
        CodeSwitchingTransform([ENG_IND], word_ratio=1.5)
    with pytest.raises(ValueError, match="several languages"):
        CodeSwitchingTransform([ENG_IND, ENG_IND.invert()])


def test_rows_of_other_languages_pass_unchanged_and_missing_columns_are_named():
    switch = CodeSwitchingTransform([ENG_IND], word_ratio=1.0)
    out = switch({"text": ["i like this", "aku seneng iki"], "lang": ["eng", "jav"], "label": [1, 1]})
    assert out["text"] == ["saya suka ini", "aku seneng iki"] and out["label"] == [1, 1]
    with pytest.raises(ValueError, match="remove_unused_columns=False"):
        switch({"input_ids": [[1, 2]]})


def test_datasets_transform_reads_new_mixes_per_epoch_and_tokenizes_them(tokenizer):
    rows = Dataset.from_dict({"text": SENTENCES, "label": [1, 0, 1, 0, 1, 0], "lang": ["eng"] * 6})
    switch = CodeSwitchingTransform([ENG_IND, ENG_JAV], word_ratio=0.5, seed=0, tokenizer=tokenizer)
    train = apply_code_switching(rows, switch)
    assert {"input_ids", "attention_mask"} <= set(train.column_names)  # declared for the trainer's checks
    epoch0 = [train[i] for i in range(len(train))]
    assert epoch0 == [train[i] for i in range(len(train))]
    assert [row["input_ids"] for row in epoch0] == tokenizer([row["text"] for row in epoch0])["input_ids"]
    assert [row["text"] for row in epoch0] == [switch.switch_text(s, epoch=0) for s in SENTENCES]
    switch.set_epoch(1)
    epoch1 = [train[i] for i in range(len(train))]
    assert [row["text"] for row in epoch1] == [switch.switch_text(s, epoch=1) for s in SENTENCES]
    assert [row["input_ids"] for row in epoch1] != [row["input_ids"] for row in epoch0]
    assert [row["label"] for row in epoch1] == rows["label"][:]
    assert rows["text"][:] == SENTENCES  # the dataset itself is never changed


def test_token_classification_tags_and_subword_labels_stay_aligned(tokenizer):
    tags = ["O", "B-PER", "I-PER"]
    lexicon = Lexicon.from_dict({"john": "jon raya", "food": "makanan enak", "i": "saya"}, "eng", "ind")
    features = Features({"tokens": List(Value("string")), "ner_tags": List(ClassLabel(names=tags))})
    rows = Dataset.from_dict({"tokens": [["John", "i", "food", "."]], "ner_tags": [[1, 0, 0, 0]]}, features=features)
    switch = CodeSwitchingTransform(
        [lexicon], word_ratio=1.0, tokens_column="tokens", tags_column="ner_tags", tokenizer=tokenizer
    )
    row = apply_code_switching(rows, switch)[0]  # tag names taken from the ClassLabel
    assert row["tokens"] == ["Jon", "raya", "saya", "makanan", "enak", "."]
    assert [tags[t] for t in row["ner_tags"]] == ["B-PER", "I-PER", "O", "O", "O", "O"]
    encoded = tokenizer(row["tokens"], is_split_into_words=True)
    expected, previous = [], None
    for word in encoded.word_ids():
        expected.append(IGNORE_INDEX if word is None or word == previous else row["ner_tags"][word])
        previous = word
    assert row["labels"] == expected and row["input_ids"] == encoded["input_ids"]


def test_callback_refuses_persistent_workers(tmp_path):
    switch = CodeSwitchingTransform([ENG_IND])
    args = CrossLingualTrainingArguments(
        str(tmp_path), dataloader_num_workers=1, dataloader_persistent_workers=True, use_cpu=True
    )
    with pytest.raises(ValueError, match="persistent dataloader workers"):
        CodeSwitchingCallback(switch).on_train_begin(args, None, None)


class RecordingTransform(CodeSwitchingTransform):
    """Records the epoch and the texts of every read."""

    reads: list

    def __call__(self, batch, switch=True):
        out = super().__call__(batch, switch)
        if switch:
            self.reads.append((self.epoch, list(batch["text"]), list(out["text"]), list(out["input_ids"])))
        return out


def test_cross_lingual_trainer_reads_a_new_mix_every_epoch(tmp_path, tokenizer):
    english = task_dataset(tokenizer, 8, languages=("eng",))
    rows = english.remove_columns([c for c in english.column_names if c not in ("text", "labels", "lang")])
    switch = RecordingTransform([ENG_IND, ENG_JAV], word_ratio=0.5, seed=0, tokenizer=tokenizer, max_length=16)
    switch.reads = []
    args = CrossLingualTrainingArguments(
        str(tmp_path),
        num_train_epochs=2,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        save_strategy="no",
        seed=0,
    )
    trainer = CrossLingualTrainer(
        tiny_lora_classifier(),
        args,
        train_dataset=apply_code_switching(rows, switch),
        processing_class=tokenizer,
        callbacks=[CodeSwitchingCallback(switch)],
    )
    trainer.train()
    assert trainer.state.global_step == 4
    by_epoch = {}
    for epoch, originals, texts, input_ids in switch.reads:
        for original, text, ids in zip(originals, texts, input_ids):
            by_epoch.setdefault(epoch, {})[original] = text
            assert text == switch.switch_text(original, epoch=epoch)
            assert ids == tokenizer(text, truncation=True, max_length=16)["input_ids"]
    assert sorted(by_epoch) == [0, 1] and all(set(texts) == set(rows["text"]) for texts in by_epoch.values())
    assert by_epoch[0] != by_epoch[1]
    assert any(text != original for original, text in by_epoch[0].items())


def test_training_arguments_code_switch_the_task_rows_with_a_lexicon_folder(tmp_path, tokenizer):
    # GATITOS layout; the model's languages are eng, ind, jav: ace is not read, ind and jav are.
    lexicons = tmp_path / "gatitos"
    lexicons.mkdir()
    for code, column in (("ind", 0), ("jav", 1)):
        (lexicons / f"en_{code}.tsv").write_text("".join(f"{w}\t{t[column]}\n" for w, t in DICTIONARY.items()))
    (lexicons / "en_ace.tsv").write_text("food\tbu\n")
    english = task_dataset(tokenizer, 8, languages=("eng",))
    rows = english.select_columns(["text", "labels", "lang"])

    def arguments(**kwargs):
        return CrossLingualTrainingArguments(
            str(tmp_path / "run"), num_train_epochs=2, per_device_train_batch_size=4, report_to="none", use_cpu=True,
            disable_tqdm=True, save_strategy="no", seed=0, **kwargs,
        )  # fmt: skip

    args = arguments(lexicon_dir=str(lexicons), code_switching_word_ratio=1.0, code_switching_max_length=16)
    trainer = CrossLingualTrainer(tiny_lora_classifier(), args, train_dataset=rows, processing_class=tokenizer)
    switch = trainer.code_switching
    assert sorted(switch.languages) == ["ind", "jav"] and switch.word_ratio == 1.0
    assert any(isinstance(c, CodeSwitchingCallback) for c in trainer.callback_handler.callbacks)
    first = trainer.train_dataset[0]
    expected = tokenizer(switch.switch_text(rows[0]["text"], epoch=0), truncation=True, max_length=16)
    assert (
        first["input_ids"] == expected["input_ids"] and first["input_ids"] != tokenizer(rows[0]["text"])["input_ids"]
    )
    trainer.train()
    assert trainer.state.global_step == 4 and switch.epoch == 1  # the callback moved it to the second epoch

    with pytest.raises(ValueError, match="needs `lexicon_dir`"):
        arguments(code_switching_word_ratio=0.5)
    with pytest.raises(ValueError, match=r"reads the column\(s\) \['text'\]"):  # tokenized rows: no text to switch
        CrossLingualTrainer(
            tiny_lora_classifier(), args, train_dataset=english.remove_columns("text"), processing_class=tokenizer
        )
