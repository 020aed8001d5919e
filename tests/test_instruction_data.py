"""Instruction data (xP3 / Aya style): templates, the builder over tiny NusaX / NusaWrites folders, the chat-template
label masking and the dataset card."""

import csv
import logging
import re

import pytest
from datasets import ClassLabel, Dataset, Features, Value
from instruction_data_folder import CHAT_TEMPLATE, ROWS, SENTIMENTS, STEMS, write_instruction_data
from transformers import HfArgumentParser

from hf_lowres.data import (
    INSTRUCTION_TASKS,
    INSTRUCTION_TEMPLATES,
    NUSA_PARAGRAPH_TOPICS,
    InstructionDataConfig,
    InstructionTemplate,
    build_instruction_dataset,
    get_template,
    instruction_dataset_card,
    instructions,
    load_nusa_paragraph,
    load_nusax_sentiment,
    template_languages,
    tokenize_chat_example,
    tokenize_instruction_dataset,
)
from hf_lowres.data.instructions import LANGUAGE_NAMES_IN, TASK_LABELS
from hf_lowres.testing_utils import tiny_tokenizer


TAGGED = re.compile(r"\b(train|valid|test)\b")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_instruction_data(tmp_path_factory.mktemp("nusa"))


def small_config(**overrides):
    settings = {
        "sentiment_languages": ["jav", "sun"],
        "translation_languages": ["jav", "sun"],
        "topic_languages": ["jav", "sun"],
    }
    return InstructionDataConfig(**{**settings, **overrides})


@pytest.fixture(scope="module")
def built(data_dir):
    return build_instruction_dataset(data_dir, small_config(instruction_languages=["eng", "ind", "jav", "sun"]))


def test_every_task_has_three_english_and_three_indonesian_templates_and_local_ones():
    assert template_languages() == {task: ["eng", "ind", "jav", "sun"] for task in INSTRUCTION_TASKS}
    for task in INSTRUCTION_TASKS:
        for lang in ("eng", "ind"):
            assert len([t for t in INSTRUCTION_TEMPLATES if t.task == task and t.language == lang]) >= 3
    assert len({t.id for t in INSTRUCTION_TEMPLATES}) == len(INSTRUCTION_TEMPLATES)
    assert get_template("translation-jav-1").language == "jav"
    with pytest.raises(KeyError, match="no template with id 'nope'"):
        get_template("nope")


@pytest.mark.parametrize("template", INSTRUCTION_TEMPLATES, ids=lambda t: t.id)
def test_every_template_fills_every_placeholder(template):
    target = "jav" if template.task == "translation" else None
    prompt = template.render("TEXT_0", "ind", target)
    assert "TEXT_0" in prompt
    assert not re.search(r"\{\w+\}", prompt), prompt
    names = LANGUAGE_NAMES_IN[template.language]
    if template.placeholders & {"language", "source_language"}:
        assert names["ind"] in prompt
    if target:
        assert names["jav"] in prompt
    if "options" in template.placeholders:
        assert all(choice in prompt for choice in template.choices)


def test_verbalizers_cover_every_label_of_the_data(data_dir):
    data_labels = {
        "sentiment": load_nusax_sentiment(data_dir, "jav", "train").features["label"].names,
        "topic": load_nusa_paragraph(data_dir, "jav", "train").features["label"].names,
    }
    for template in INSTRUCTION_TEMPLATES:
        if template.task == "translation":
            assert template.verbalizer is None and template.choices is None
            continue
        assert list(template.verbalizer) == list(TASK_LABELS[template.task]) == data_labels[template.task]
        assert len(set(template.choices)) == len(template.choices) and all(c.strip() for c in template.choices)


def test_each_split_is_built_from_its_own_files_only(built):
    assert set(built) == {"train", "validation", "test"}
    for split, data in built.items():
        stem = STEMS[split]
        assert set(data["split"]) == {split}
        for row in data:
            assert set(TAGGED.findall(row["prompt"] + " " + row["response"])) <= {stem}, row
            assert stem in row["prompt"]
        n = ROWS[split]
        # sentiment and topic: 2 languages x n rows; translation: 2 languages x 2 directions (jav train: n unique).
        assert len(data) == 2 * n + 2 * n + 4 * n
        topic = data.filter(lambda r: r["task"] == "topic" and r["data_language"] == "sun")
        assert sorted(topic["source_id"]) == sorted(f"p{k}" for k in range(n))


def test_rows_carry_the_chat_exchange_label_and_answer(built):
    for row in built["train"]:
        template = get_template(row["template_id"])
        assert row["messages"] == [
            {"role": "user", "content": row["prompt"]},
            {"role": "assistant", "content": row["response"]},
        ]
        assert (row["task"], row["instruction_language"]) == (template.task, template.language)
        if row["task"] == "translation":
            assert row["label"] is None and row["choices"] is None
        else:
            k = int(row["source_id"][1:])
            labels = SENTIMENTS if row["task"] == "sentiment" else NUSA_PARAGRAPH_TOPICS
            assert row["label"] == labels[k % len(labels)]
            assert row["response"] == template.answer(row["label"]) == row["choices"][labels.index(row["label"])]
            assert row["target_language"] is None and f"{row['data_language']} train" in row["prompt"]


def test_translation_both_ways_with_the_file_ids(data_dir, built):
    train = built["train"].filter(
        lambda r: r["task"] == "translation" and "jav" in (r["data_language"], r["target_language"])
    )
    forward = train.filter(lambda r: r["data_language"] == "ind")
    reverse = train.filter(lambda r: r["data_language"] == "jav")
    # The repeated pair keeps its first row's id and the empty pair is dropped, as the loader drops them.
    assert forward["source_id"] == reverse["source_id"] == [f"mt-train-{k}" for k in range(12)]
    for row in forward:
        k = row["source_id"].split("-")[-1]
        assert f"ind train tweet {k}" in row["prompt"] and row["response"] == f"jav train tweet {k}"
        assert row["target_language"] == "jav"
    for row in reverse:
        k = row["source_id"].split("-")[-1]
        assert f"jav train tweet {k}" in row["prompt"] and row["response"] == f"ind train tweet {k}"
        assert row["target_language"] == "ind"
    config = small_config(tasks=["translation"], translation_directions=["local->ind"], splits=["test"])
    only_reverse = build_instruction_dataset(data_dir, config)["test"]
    assert set(only_reverse["target_language"]) == {"ind"} and len(only_reverse) == 2 * ROWS["test"]


def test_template_choice_is_deterministic_and_per_example(data_dir, built):
    config = small_config(instruction_languages=["eng", "ind", "jav", "sun"])
    again = build_instruction_dataset(data_dir, config)
    assert again["train"]["template_id"] == built["train"]["template_id"]
    other_seed = build_instruction_dataset(
        data_dir, small_config(instruction_languages=config.instruction_languages, template_seed=1)
    )
    assert other_seed["train"]["source_id"] == built["train"]["source_id"]
    assert other_seed["train"]["template_id"] != built["train"]["template_id"]
    # A row's template depends on the row only: building fewer languages does not change it.
    jav_only = build_instruction_dataset(
        data_dir,
        InstructionDataConfig(
            tasks=["sentiment"], sentiment_languages=["jav"], instruction_languages=config.instruction_languages
        ),
    )["train"]
    jav_rows = built["train"].filter(lambda r: r["task"] == "sentiment" and r["data_language"] == "jav")
    assert jav_only["template_id"] == jav_rows["template_id"]
    # Several templates are drawn, and a local-language template only for data in that language.
    assert len(set(built["train"]["template_id"])) >= 10
    for row in built["train"]:
        if row["instruction_language"] not in ("eng", "ind"):
            assert row["instruction_language"] in (row["data_language"], row["target_language"]), row
    pivots = build_instruction_dataset(data_dir, small_config(splits=["train"]))["train"]
    assert set(pivots["instruction_language"]) == {"eng", "ind"}


def test_cap_per_task_language_and_split_is_a_seeded_subset(data_dir, built):
    config = small_config(instruction_languages=["eng", "ind", "jav", "sun"], max_examples_per_language=5)
    capped = build_instruction_dataset(data_dir, config)
    for split, data in capped.items():
        groups = {}
        for row in data:
            groups.setdefault((row["task"], row["data_language"], row["target_language"]), []).append(row)
        assert len(groups) == 8
        for rows in groups.values():
            assert len(rows) == min(5, ROWS[split])
        # The kept rows are rows of the full build, with the same template.
        full = {
            (r["task"], r["data_language"], r["target_language"], r["source_id"]): r["template_id"]
            for r in built[split]
        }
        for row in data:
            assert (
                full[row["task"], row["data_language"], row["target_language"], row["source_id"]] == row["template_id"]
            )
    assert build_instruction_dataset(data_dir, config)["train"]["source_id"] == capped["train"]["source_id"]
    # A random subset (seeded), not the first rows of each file.
    reseeded = build_instruction_dataset(
        data_dir, small_config(max_examples_per_language=5, template_seed=1, splits=["train"])
    )
    assert reseeded["train"]["source_id"] != capped["train"]["source_id"]
    sentiment = capped["train"].filter(lambda r: r["task"] == "sentiment" and r["data_language"] == "jav")
    assert sentiment["source_id"] != [f"s{k}" for k in range(5)]


def test_held_out_tasks_are_left_out(data_dir):
    config = small_config(held_out_tasks=["topic"], splits=["validation"])
    assert config.active_tasks == ["sentiment", "translation"]
    data = build_instruction_dataset(data_dir, config)["validation"]
    assert set(data["task"]) == {"sentiment", "translation"} and len(data) == 6 * ROWS["validation"]
    with pytest.raises(ValueError, match=r"every task of `tasks` \['topic'\] is in `held_out_tasks`"):
        InstructionDataConfig(tasks=["topic"], held_out_tasks=["topic"])


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"tasks": ["ner"]}, ValueError, r"`tasks`: unknown value 'ner'; expected values among \['sentiment'"),
        ({"held_out_tasks": ["qa"]}, ValueError, r"`held_out_tasks`: unknown value 'qa'"),
        ({"splits": ["dev"]}, ValueError, r"`splits`: unknown value 'dev'; expected values among \['train'"),
        (
            {"translation_languages": ["ace"]},
            ValueError,
            r"`translation_languages`: 'ace' is not a NusaTranslation \(NusaWrites\) language; expected languages "
            r"among \['abs'",
        ),
        ({"topic_languages": ["jav", "javanese"]}, ValueError, r"`topic_languages` names 'jav' twice"),
        ({"translation_directions": ["jav->ind"]}, ValueError, r"`translation_directions`: unknown value 'jav->ind'"),
        ({"instruction_languages": ["ace"]}, ValueError, r"`instruction_languages`: unknown value 'ace'"),
        ({"max_examples_per_language": 0}, ValueError, r"`max_examples_per_language` must be an integer >= 1"),
    ],
)
def test_bad_settings_name_the_field(overrides, error, message):
    with pytest.raises(error, match=message):
        small_config(**overrides)


def test_bad_data_requests_name_the_task_language_and_file(data_dir):
    missing_topic = (
        r"instruction task 'topic' \(NusaParagraph \(NusaWrites\)\), language 'mad' \(`topic_languages`\), split "
        r"'train': .*nusa_alinea-topic-mad-train\.csv.* Or leave 'mad' out of `topic_languages`\."
    )
    with pytest.raises(FileNotFoundError, match=missing_topic):
        build_instruction_dataset(data_dir, InstructionDataConfig(tasks=["topic"], topic_languages=["mad"]))
    with pytest.raises(FileNotFoundError, match=r"instruction task 'sentiment' .* language 'ace'.*acehnese"):
        build_instruction_dataset(data_dir, InstructionDataConfig(tasks=["sentiment"], sentiment_languages=["ace"]))
    no_template = (
        r"no sentiment template applies to data in 'sun' with `instruction_languages` \['jav'\]: sentiment "
        r"templates exist in \['eng', 'ind', 'jav', 'sun'\]"
    )
    with pytest.raises(ValueError, match=no_template):
        build_instruction_dataset(data_dir, small_config(tasks=["sentiment"], instruction_languages=["jav"]))
    only_eng = [t for t in INSTRUCTION_TEMPLATES if t.language == "eng"]
    with pytest.raises(
        ValueError, match=r"`instruction_languages` \['ind'\]: no template of the tasks .* is written in it"
    ):
        build_instruction_dataset(data_dir, small_config(), templates=only_eng)
    with pytest.raises(ValueError, match="the id 'sentiment-eng-1' is used twice"):
        build_instruction_dataset(data_dir, small_config(), templates=[only_eng[0], only_eng[0]])


@pytest.mark.parametrize(
    "task, instruction, verbalizer, message",
    [
        ("ner", "{text}", None, r"unknown task 'ner'"),
        (
            "translation",
            "Translate: {text}",
            None,
            r"the instruction lacks placeholder\(s\) \['\{target_language\}'\]; a translation template must",
        ),
        ("sentiment", "{text} {labels}", SENTIMENTS, r"unknown placeholder\(s\) \['\{labels\}'\]"),
        ("sentiment", "{text:>10}", SENTIMENTS, r"placeholder \{text:>10\} is not a plain name"),
        ("sentiment", "{text", SENTIMENTS, r"the instruction is not a valid format string"),
        (
            "sentiment",
            "{text}",
            None,
            r"a sentiment template needs a verbalizer \(a mapping label -> answer\) for \['negative', 'neutral', "
            r"'positive'\], got None",
        ),
        (
            "sentiment",
            "{text}",
            {"negative": "no", "positive": "yes"},
            r"the verbalizer must cover exactly the sentiment labels .*; missing \['neutral'\], unknown \[\]",
        ),
        ("sentiment", "{text}", ["x", "x", "y"], r"every label needs a distinct, non-empty answer"),
        ("translation", "{text} {target_language}", {"a": "b"}, r"a translation template takes no verbalizer"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(task, instruction, verbalizer, message):
    if isinstance(verbalizer, list):
        verbalizer = dict(zip(SENTIMENTS, verbalizer))
    with pytest.raises(ValueError, match=f"template 'mine': {message}"):
        InstructionTemplate("mine", task, "eng", instruction, verbalizer)
    with pytest.raises(ValueError, match=r"template 'mine': instruction language 'fra' has no language-name table"):
        InstructionTemplate("mine", "sentiment", "fra", "{text}", dict(zip(SENTIMENTS, SENTIMENTS)))


@pytest.fixture(scope="module")
def chat_tokenizer():
    tokenizer = tiny_tokenizer(model_max_length=512)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def test_prompt_tokens_are_masked_and_answer_tokens_kept(built, chat_tokenizer):
    row = built["train"].filter(lambda r: r["task"] == "sentiment")[0]
    features = tokenize_chat_example(row["messages"], chat_tokenizer)
    prompt_ids = chat_tokenizer.apply_chat_template(row["messages"][:1], add_generation_prompt=True, return_dict=True)
    n = len(prompt_ids["input_ids"])
    assert features["input_ids"][:n] == prompt_ids["input_ids"]
    assert features["labels"][:n] == [-100] * n
    assert features["labels"][n:] == features["input_ids"][n:] and len(features["labels"]) > n
    normalize = chat_tokenizer.backend_tokenizer.normalizer.normalize_str  # lowercase, accents stripped
    assert chat_tokenizer.decode(features["labels"][n:]) == f"{normalize(row['response'])} </s>"
    assert features["attention_mask"] == [1] * len(features["input_ids"]) and not features["truncated"]

    tokenized = tokenize_instruction_dataset(built["validation"], chat_tokenizer)
    assert tokenized.column_names == ["input_ids", "attention_mask", "labels"]
    assert len(tokenized) == len(built["validation"])
    for messages, ids, labels in zip(built["validation"]["messages"], tokenized["input_ids"], tokenized["labels"]):
        n_prompt = len(chat_tokenizer.apply_chat_template(messages[:1], add_generation_prompt=True)["input_ids"])
        assert labels[:n_prompt] == [-100] * n_prompt and -100 not in labels[n_prompt:]
        assert labels[n_prompt:] == ids[n_prompt:]
        assert chat_tokenizer.decode(labels[n_prompt:]) == f"{normalize(messages[1]['content'])} </s>"


def test_max_length_cuts_the_answer_never_the_prompt(chat_tokenizer, caplog):
    messages = [{"role": "user", "content": "saya suka"}, {"role": "assistant", "content": "aku seneng banget iki"}]
    full = tokenize_chat_example(messages, chat_tokenizer)
    n_prompt = full["labels"].count(-100)
    cut = tokenize_chat_example(messages, chat_tokenizer, max_length=n_prompt + 2)
    assert cut["truncated"] and cut["input_ids"] == full["input_ids"][: n_prompt + 2]
    assert cut["labels"] == [-100] * n_prompt + full["input_ids"][n_prompt : n_prompt + 2]
    with pytest.raises(ValueError, match=rf"the prompt alone has {n_prompt} tokens, leaving none of the answer"):
        tokenize_chat_example(messages, chat_tokenizer, max_length=n_prompt)
    short = [messages[0], {"role": "assistant", "content": "iki"}]  # answer + </s>: 2 tokens, fits
    rows = Dataset.from_dict({"messages": [messages, short, messages]})
    with caplog.at_level(logging.WARNING, logger="hf_lowres.data.instructions"):
        tokenized = tokenize_instruction_dataset(rows, chat_tokenizer, max_length=n_prompt + 2)
    assert f"2 of 3 rows had their answer cut to max_length={n_prompt + 2} tokens" in caplog.text
    assert tokenized["input_ids"] == [cut["input_ids"], tokenize_chat_example(short, chat_tokenizer)["input_ids"],
                                      cut["input_ids"]]  # fmt: skip


def test_chat_templates_that_cannot_mask_are_refused(chat_tokenizer):
    messages = [{"role": "user", "content": "ba"}, {"role": "assistant", "content": "d"}]
    with pytest.raises(ValueError, match="has no chat template"):
        tokenize_chat_example(messages, tiny_tokenizer())
    with pytest.raises(ValueError, match=r"must end with an assistant turn .* got roles \['user'\]"):
        tokenize_chat_example(messages[:1], chat_tokenizer)
    rewrites_last_turn = (
        "{% for m in messages %}{% if loop.last and m['role'] == 'assistant' %}answer {{ m['content'] }}"
        "{% else %}{{ m['role'] }} {{ m['content'] }} {% endif %}{% endfor %}"
        "{% if add_generation_prompt %}assistant {% endif %}"
    )
    with pytest.raises(
        ValueError, match=r"does not render the prompt .* as a prefix .* 'ssistant ' vs conversation 'nswer d'"
    ):
        tokenize_chat_example(messages, chat_tokenizer, chat_template=rewrites_last_turn)
    glued = "{% for m in messages %}{{ m['content'] }}{% endfor %}"  # "ba" + "d" tokenizes as one word, "bad"
    with pytest.raises(ValueError, match="the prompt's tokens are not a prefix of the conversation's tokens"):
        tokenize_chat_example(messages, chat_tokenizer, chat_template=glued)
    with pytest.raises(ValueError, match=r"row 1: .*must end with an assistant turn"):
        tokenize_instruction_dataset(Dataset.from_dict({"messages": [messages, messages[:1]]}), chat_tokenizer)
    with pytest.raises(ValueError, match=r"the dataset has no `messages` column; columns: \['prompt'\]"):
        tokenize_instruction_dataset(Dataset.from_dict({"prompt": ["ba"]}), chat_tokenizer)


def test_dataset_card_lists_templates_counts_and_licenses(data_dir):
    config = small_config(instruction_languages=["eng", "ind", "jav", "sun"], held_out_tasks=["topic"])
    data = build_instruction_dataset(data_dir, config)
    card = instruction_dataset_card(data, "someone/nusa-instructions", config=config)
    text = str(card)
    assert card.data.license == "cc-by-sa-4.0" and card.data.task_categories == ["text-generation"]
    assert card.data.language == ["eng", "ind", "jav", "sun"]
    for template_id in set(data["train"]["template_id"]) | set(data["test"]["template_id"]):
        assert f"| {template_id} |" in text
    assert "topic-" not in text.split("## Templates")[1].split("## Sources")[0]
    assert f"| train | sentiment | jav | - | {ROWS['train']} |" in text
    assert "| validation | translation | ind | sun | 3 |" in text
    assert "| test | translation | jav | ind | 4 |" in text
    assert "Held-out tasks (not in this data):** topic" in text
    assert "| translation | NusaTranslation (NusaWrites) | CC BY-SA 4.0 per the authors' dataset cards" in text
    assert "| sentiment | NusaX-Senti | CC BY-SA 4.0 (nusax/LICENSE) |" in text
    assert "Crosslingual Generalization through Multitask Finetuning" in text and "Üstün et al. (2024)" in text
    assert "What is the sentiment of the following text? Answer with one of: {options}.\\n\\nText: {text}" in text
    assert str(data_dir) not in text
    with pytest.raises(ValueError, match=r"template id\(s\) \['sentiment-eng-1'"):
        instruction_dataset_card(data, "someone/x", templates=[get_template("translation-eng-1")])


@pytest.mark.slow
def test_the_shared_data_builds(shared_data_dir):
    config = InstructionDataConfig(
        sentiment_languages=["bug"], translation_languages=["rej"], topic_languages=["rej"],
        instruction_languages=["eng", "ind", "jav", "sun"],
    )  # fmt: skip
    data = build_instruction_dataset(shared_data_dir, config)
    sentiment = data["test"].filter(lambda r: r["task"] == "sentiment")
    assert len(sentiment) == 400 and set(sentiment["instruction_language"]) == {"eng", "ind"}
    assert len(data["train"].filter(lambda r: r["task"] == "topic")) == 105
    with (shared_data_dir / "nusawrites" / "nusa_kalimat-mt-rej-train.csv").open(encoding="utf-8") as f:
        ids = [row["id"] for row in csv.DictReader(f)]
    translation = data["train"].filter(lambda r: r["task"] == "translation" and r["data_language"] == "ind")
    assert translation["source_id"] == ids and len(ids) == 1000


def test_the_config_parses_from_the_command_line():
    (config,) = HfArgumentParser(InstructionDataConfig).parse_args_into_dataclasses(
        ["--translation_languages", "jav", "sundanese", "--held_out_tasks", "topic"]
        + ["--max_examples_per_language", "7"]
    )
    assert config.translation_languages == ["jav", "sun"] and config.active_tasks == ["sentiment", "translation"]
    assert config.max_examples_per_language == 7 and config.instruction_languages == ["eng", "ind"]


def test_a_data_label_without_a_verbalization_is_named(data_dir, monkeypatch):
    """The label set is read from the data: a topic the templates cannot verbalize stops the build."""
    topics = [*NUSA_PARAGRAPH_TOPICS, "politics"]
    features = Features({"id": Value("string"), "text": Value("string"), "label": ClassLabel(names=topics)})

    def load_with_a_new_topic(data_dir, language, split):
        return Dataset.from_dict({"id": ["1"], "text": ["a paragraph"], "label": [8]}, features=features)

    monkeypatch.setattr(instructions, "load_nusa_paragraph", load_with_a_new_topic)
    with pytest.raises(ValueError, match=r"template 'topic-eng-1' has no verbalization for the label\(s\) "
                       r"\['politics'\] of NusaParagraph \(NusaWrites\) 'jav' \[train\]"):  # fmt: skip
        build_instruction_dataset(data_dir, InstructionDataConfig(tasks=["topic"], topic_languages=["jav"]))
