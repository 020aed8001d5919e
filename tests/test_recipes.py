"""The recipes end to end on tiny models and tiny data, the YAML/command-line parser, and the `hf-lowres` command."""

import json
import pathlib
import subprocess
import sys

import pytest
import torch
import yaml
from datasets import load_from_disk
from transformers import MarianConfig, MarianMTModel

from hf_lowres.cli import RECIPES
from hf_lowres.cli import main as cli_main
from hf_lowres.testing_utils import tiny_tokenizer, tiny_translation_tokenizer


ROOT = pathlib.Path(__file__).resolve().parents[1]
JAVANESE = ["aku seneng film iki", "panganan iki enak banget", "aku ora seneng panganan kuwi", "film iki ala banget"]


@pytest.fixture(scope="module")
def tiny_marian_dir(tmp_path_factory):
    """A tiny Marian jav->ind model with its tokenizer, saved as a checkpoint directory."""
    directory = tmp_path_factory.mktemp("marian")
    tokenizer = tiny_translation_tokenizer([">>ind<<", ">>jav<<"])
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=len(tokenizer),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=0,
        forced_eos_token_id=2,
    )
    MarianMTModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def back_translate_args(model_dir, monolingual, output_dir):
    return [
        "--model_name_or_path",
        str(model_dir),
        "--monolingual_file",
        str(monolingual),
        "--output_dir",
        str(output_dir),
        "--source_lang",
        "ind",
        "--target_lang",
        "jav",
        "--num_beams",
        "1",
        "--max_new_tokens",
        "8",
        "--filter_max_length_ratio",
        "100",
        "--filter_copy_threshold",
        "1.0",
    ]


def test_back_translate_recipe_end_to_end(tiny_marian_dir, tmp_path):
    monolingual = tmp_path / "jav.txt"
    monolingual.write_text("\n".join(JAVANESE) + "\n")
    assert cli_main(["back_translate", *back_translate_args(tiny_marian_dir, monolingual, tmp_path / "out")]) == 0
    corpus = load_from_disk(tmp_path / "out" / "corpus")
    assert len(corpus) >= 1 and set(corpus["target_text"]) <= set(JAVANESE)
    assert set(corpus["origin"]) == {"back-translated"}
    assert set(corpus["source_lang"]) == {"ind"} and set(corpus["target_lang"]) == {"jav"}
    assert corpus[0]["provenance"]["model"] == str(tiny_marian_dir)


def test_yaml_and_command_line_give_the_same_arguments(tiny_marian_dir, tmp_path):
    from hf_lowres.recipes.back_translate import make_parser

    args = back_translate_args(tiny_marian_dir, tmp_path / "jav.txt", tmp_path / "out")
    from_cli = make_parser().parse_args_and_config(args)
    config = {key.lstrip("-"): value for key, value in zip(args[::2], args[1::2], strict=True)}
    config_path = tmp_path / "run.yaml"
    config_path.write_text(yaml.safe_dump(config))
    from_yaml = make_parser().parse_args_and_config(["--config", str(config_path)])
    assert from_yaml == from_cli
    # The command line overrides the file.
    overridden = make_parser().parse_args_and_config(["--config", str(config_path), "--num_beams", "3"])
    assert overridden[1].num_beams == 3 and from_yaml[1].num_beams == 1


def test_misspelt_arguments_fail_naming_them(tiny_marian_dir, tmp_path, capsys):
    from hf_lowres.recipes.back_translate import make_parser

    args = back_translate_args(tiny_marian_dir, tmp_path / "jav.txt", tmp_path / "out")
    with pytest.raises(ValueError, match=r"unknown arguments \['--num_beam', '4'\]"):
        make_parser().parse_args_and_config([*args, "--num_beam", "4"])
    config_path = tmp_path / "bad.yaml"
    config_path.write_text(yaml.safe_dump({"num_beam": 4}))
    with pytest.raises(ValueError, match=r"unknown arguments \['num_beam'\]"):
        make_parser().parse_args_and_config([*args, "--config", str(config_path)])
    with pytest.raises(SystemExit):
        cli_main(["back_translate", *args, "--num_beam", "4"])
    assert "--num_beam" in capsys.readouterr().err


def test_command_lists_the_recipes():
    result = subprocess.run(
        [sys.executable, "-m", "hf_lowres.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    for name in RECIPES:
        assert name in result.stdout
    assert cli_main(["no_such_recipe"]) == 2


ENGLISH = [
    ("i like this food", "positive"),
    ("this movie is very good", "positive"),
    ("this film was bad", "negative"),
    ("i do not like that movie", "negative"),
    ("the food is good", "positive"),
    ("that film is bad", "negative"),
]
JAVANESE_LABELED = [
    ("aku seneng panganan iki", "positive"),
    ("film iki apik banget", "positive"),
    ("panganan kuwi ala", "negative"),
    ("aku ora seneng film kuwi", "negative"),
]
INDONESIAN_LABELED = [("saya suka makanan ini", "positive"), ("film itu buruk", "negative")]


def write_csv(path, rows):
    path.write_text("text,label\n" + "".join(f"{text},{label}\n" for text, label in rows))
    return str(path)


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    """A tiny BERT with an MLM head and the tiny tokenizer, saved as a checkpoint directory."""
    from transformers import AutoModelForMaskedLM

    from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer

    directory = tmp_path_factory.mktemp("tiny_bert")
    torch.manual_seed(0)
    AutoModelForMaskedLM.from_config(tiny_backbone_config("bert")).save_pretrained(directory)
    tiny_tokenizer().save_pretrained(directory)
    return directory


TRAINING = [
    "--max_steps",
    "3",
    "--per_device_train_batch_size",
    "4",
    "--learning_rate",
    "1e-2",
    "--report_to",
    "none",
    "--save_strategy",
    "no",
    "--logging_steps",
    "1",
    "--use_cpu",
    "true",
    "--seed",
    "0",
]


def test_adapt_language_then_train_task_end_to_end(tiny_bert_dir, tmp_path):
    import json

    from hf_lowres.adapters import COMPOSITION_FILE, AdapterManager

    languages = ["eng", "ind", "jav"]
    text = {lang: tmp_path / f"{lang}.txt" for lang in languages}
    text["eng"].write_text("\n".join(t for t, _ in ENGLISH) + "\n")
    text["ind"].write_text("\n".join(t for t, _ in INDONESIAN_LABELED) + "\n")
    text["jav"].write_text("\n".join(t for t, _ in JAVANESE_LABELED) + "\n")
    adapters = tmp_path / "adapters"
    for language in ("eng", "jav"):
        others = [f"{other}={text[other]}" for other in languages if other != language]
        code = cli_main(
            [
                "adapt_language",
                "--model_name_or_path",
                str(tiny_bert_dir),
                "--languages",
                *languages,
                "--language",
                language,
                "--text_file",
                str(text[language]),
                "--adapters_dir",
                str(adapters),
                "--output_dir",
                str(tmp_path / f"run_{language}"),
                "--unlabeled_files",
                *others,
                "--adversarial_weight",
                "0.1",
                *TRAINING,
            ]
        )
        assert code == 0
    composition = json.loads((adapters / COMPOSITION_FILE).read_text())
    assert set(composition["adapters"]) == {"lang_eng", "lang_jav"}
    # The card records what the last run (jav) read: its MLM text and the other languages' unlabeled text.
    adapter_card = (adapters / "README.md").read_text()
    for line in (
        "| jav.txt | language modeling | 4 | 4 |",
        "| eng.txt | unlabeled | 6 | 6 |",
        "| ind.txt | unlabeled | 2 | 2 |",
    ):
        assert line in adapter_card, line
    assert "Not recorded." not in adapter_card and str(tmp_path) not in adapter_card
    assert (adapters / "README.md").is_file() and (adapters / "lm_head.safetensors").is_file()

    output = tmp_path / "task"
    code = cli_main(
        [
            "train_task",
            "--model_name_or_path",
            str(tiny_bert_dir),
            "--languages",
            *languages,
            "--adapters_dir",
            str(adapters),
            "--train_file",
            write_csv(tmp_path / "train.csv", ENGLISH),
            "--test_files",
            f"jav={write_csv(tmp_path / 'jav.csv', JAVANESE_LABELED)}",
            f"ind={write_csv(tmp_path / 'ind.csv', INDONESIAN_LABELED)}",
            "--source_test_file",
            write_csv(tmp_path / "eng_test.csv", ENGLISH[:3]),
            "--class_names",
            "negative",
            "neutral",
            "positive",
            "--output_dir",
            str(output),
            *TRAINING,
        ]
    )
    assert code == 0
    results = json.loads((output / "results.json").read_text())
    assert [row["language"] for row in results["rows"]] == ["jav", "ind"]
    assert {row["n"] for row in results["rows"]} == {4, 2}
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in results["rows"])
    # The in-language test stands apart: its own file and line, never in the zero-shot macro average.
    source = json.loads((output / "source_results.json").read_text())
    assert [(row["language"], row["n"]) for row in source["rows"]] == [("eng", 3)]
    summary = (output / "results.md").read_text()
    assert "| jav |" in summary and "| eng |" not in summary
    assert f"In-language (eng) test: accuracy {source['rows'][0]['accuracy']:.3f}" in summary
    saved = json.loads((output / "adapters" / COMPOSITION_FILE).read_text())
    assert saved["active"] == ["lang_eng", "task_sentiment"]
    card = (output / "adapters" / "README.md").read_text()
    assert "jav" in card and "accuracy" in card
    # The saved task adapters load back and compose with the Javanese adapter.
    from hf_lowres import LowResForSequenceClassification

    model = LowResForSequenceClassification.from_backbone(
        str(tiny_bert_dir), languages, id2label={0: "negative", 1: "neutral", 2: "positive"}
    )
    manager = AdapterManager.from_pretrained(output / "adapters", model=model)
    assert manager.activate(language="jav", task="sentiment") == ["lang_jav", "task_sentiment"]


def test_train_translation_end_to_end(tiny_marian_dir, tmp_path):
    import json

    pairs = [("aku seneng film iki", "saya suka film ini"), ("panganan iki enak", "makanan ini enak"),
             ("aku ora seneng", "saya tidak suka"), ("film iki ala", "film ini buruk")]  # fmt: skip
    multiway = tmp_path / "mt.csv"
    multiway.write_text("javanese,indonesian\n" + "".join(f"{j},{i}\n" for j, i in pairs))
    synthetic = tmp_path / "bt"
    monolingual = tmp_path / "jav.txt"
    monolingual.write_text("\n".join(JAVANESE) + "\n")
    cli_main(["back_translate", *back_translate_args(tiny_marian_dir, monolingual, synthetic)])
    output = tmp_path / "mt"
    code = cli_main(
        [
            "train_translation",
            "--model_name_or_path",
            str(tiny_marian_dir),
            "--source_lang",
            "ind",
            "--target_lang",
            "jav",
            "--train_file",
            str(multiway),
            "--test_file",
            str(multiway),
            "--synthetic_corpus",
            str(synthetic / "corpus"),
            "--tag_synthetic",
            "--both_directions",
            "--num_beams",
            "1",
            "--max_new_tokens",
            "6",
            "--output_dir",
            str(output),
            *TRAINING,
        ]
    )
    assert code == 0
    results = json.loads((output / "results.json").read_text())
    assert [row["language"] for row in results["rows"]] == ["ind-jav", "jav-ind"]
    assert all(row["n"] == 4 and 0.0 <= row["chrf"] <= 100.0 and "bleu" in row for row in results["rows"])
    assert (output / "adapters" / "task_translation" / "adapter_model.safetensors").is_file()
    # The card counts the training mix in both directions: 4 real pairs and 4 back-translated ones, each way.
    card = (output / "adapters" / "README.md").read_text()
    assert "| mt.csv | parallel | 16 | 8 | 8 |" in card and "ind-jav: 8, jav-ind: 8" in card
    assert str(tmp_path) not in card


def test_publish_recipe_pushes_through_the_hub_server(tiny_bert_dir, hub_server, tmp_path):
    from hub_fixtures import run_with_hub

    from hf_lowres import LowResForSequenceClassification
    from hf_lowres.adapters import AdapterManager

    manager = AdapterManager(LowResForSequenceClassification.from_backbone(str(tiny_bert_dir), ["eng", "jav"]))
    manager.add_language_adapter("jav")
    manager.save(tmp_path / "adapters")
    mark = hub_server.log_mark()
    code = f"""
import json, sys
from huggingface_hub import HfApi, hf_hub_download
from hf_lowres.cli import main
args = ["publish", "--adapters_dir", {str(tmp_path / "adapters")!r}, "--repo_id", "alice/publish-recipe"]
assert main([*args, "--private", "--commit_message", "recipe push"]) == 0
HfApi().upload_file(path_or_fileobj=b"my own card", path_in_repo="README.md", repo_id="alice/publish-recipe")
card = lambda: open(hf_hub_download("alice/publish-recipe", "README.md", force_download=True)).read()
assert main(args) == 0
kept = card()
assert main([*args, "--overwrite_card"]) == 0
print(json.dumps({{"kept": kept, "overwritten": card()}}))
"""
    result = run_with_hub(hub_server, code)
    assert result.returncode == 0, result.stderr[-2000:]
    paths = [entry.path for entry in hub_server.request_log(since=mark)]
    assert any("/commit/" in path for path in paths)
    assert hub_server.token not in result.stdout + result.stderr
    cards = json.loads(result.stdout.strip().splitlines()[-1])
    assert cards["kept"] == "my own card"  # a card edited on the Hub survives a re-push...
    assert cards["overwritten"] != "my own card" and "hf_lowres" in cards["overwritten"]  # ...unless asked


DEMO_PATHS = {
    "train_task": [
        "--model_name_or_path",
        "m",
        "--languages",
        "eng",
        "--train_file",
        "t.csv",
        "--test_files",
        "eng=t",
    ],
}


@pytest.mark.parametrize("config", sorted((ROOT / "recipes" / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_example_configs_parse_with_their_recipe(config):
    import importlib

    recipe = next(name for name in RECIPES if name in config.name)
    parser = importlib.import_module(f"hf_lowres.recipes.{recipe}").make_parser()
    # The demo's configs hold only settings; `recipes/demo.py` passes the model and data paths.
    paths = DEMO_PATHS[recipe] if config.name.startswith("demo_") else []
    arguments = parser.parse_args_and_config(["--config", str(config), *paths])
    assert arguments and all(hasattr(a, "__dataclass_fields__") for a in arguments)


def test_train_task_trains_on_lexicon_translations_and_code_switching(tiny_bert_dir, tmp_path, monkeypatch):
    import importlib

    recipe = importlib.import_module("hf_lowres.recipes.train_task")
    seen = {}

    class RecordingTrainer(recipe.CrossLingualTrainer):
        def __init__(self, *args, train_dataset=None, **kwargs):
            seen["train"] = train_dataset
            super().__init__(*args, train_dataset=train_dataset, **kwargs)
            seen["trainer"] = self

    monkeypatch.setattr(recipe, "CrossLingualTrainer", RecordingTrainer)
    lexicons = tmp_path / "gatitos"
    lexicons.mkdir()
    (lexicons / "en_jav.tsv").write_text("food\tpanganan\nlike\tseneng\ngood\tapik\nbad\tala\nmovie\tfilm\n")
    (lexicons / "en_ace.tsv").write_text("food\tbu\n")  # a language the run does not train: not read
    args = ["train_task", "--model_name_or_path", str(tiny_bert_dir), "--languages", "eng", "jav",
            "--train_file", write_csv(tmp_path / "train.csv", ENGLISH),
            "--test_files", f"jav={write_csv(tmp_path / 'jav.csv', JAVANESE_LABELED)}",
            "--class_names", "negative", "neutral", "positive", "--lexicon_dir", str(lexicons)]  # fmt: skip

    assert cli_main([*args, "--translate_train", "true", "--output_dir", str(tmp_path / "g"), *TRAINING]) == 0
    train = seen["train"]
    assert len(train) == 2 * len(ENGLISH) and train["lang"].count("jav") == len(ENGLISH)
    tokenizer = recipe.AutoTokenizer.from_pretrained(tiny_bert_dir)
    javanese = [ids for ids, lang in zip(train["input_ids"], train["lang"]) if lang == "jav"]
    assert tokenizer("i seneng this panganan")["input_ids"] in javanese  # "i like this food", word by word
    assert tokenizer("i like this food")["input_ids"] not in javanese

    out = tmp_path / "h"
    assert cli_main([*args, "--code_switching_word_ratio", "1.0", "--output_dir", str(out), *TRAINING]) == 0
    # The trainer code-switches the text rows itself (CrossLingualTrainingArguments), with the recipe's lexicons.
    switch = seen["trainer"].code_switching
    assert seen["train"].column_names == ["text", "labels", "lang"]
    assert switch.languages == ["jav"] and switch.word_ratio == 1.0 and switch.max_length == 128
    assert switch.switch_text("i like this food", epoch=0) == "i seneng this panganan"
    assert seen["trainer"].adapter_manager.peft_model is seen["trainer"].model  # for auxiliary_language_adapters

    with pytest.raises(SystemExit) as error:  # no lexicon: a usage error before anything loads
        cli_main([*args[:-2], "--translate_train", "true", "--output_dir", str(out), *TRAINING])
    assert error.value.code == 2


def test_train_task_refuses_auxiliary_language_adapters_without_language_adapters(tiny_bert_dir, tmp_path, capsys):
    args = ["train_task", "--model_name_or_path", str(tiny_bert_dir), "--languages", "eng", "jav",
            "--train_file", write_csv(tmp_path / "train.csv", ENGLISH),
            "--test_files", f"jav={write_csv(tmp_path / 'jav.csv', JAVANESE_LABELED)}",
            "--class_names", "negative", "neutral", "positive", "--auxiliary_language_adapters", "true",
            "--output_dir", str(tmp_path / "out"), *TRAINING]  # fmt: skip
    with pytest.raises(SystemExit) as error:
        cli_main(args)
    assert error.value.code == 2
    assert "--auxiliary_language_adapters: routes the auxiliary rows" in capsys.readouterr().err


def test_chart_note_names_the_model_and_test_sizes_never_a_path(tmp_path):
    from hf_lowres.evaluation import PerLanguageReport
    from hf_lowres.recipes.train_task import chart_note

    def report(sizes):
        rows = [{"language": lang, "n": n, "accuracy": 0.5} for lang, n in sizes.items()]
        return PerLanguageReport(rows, ["accuracy"], {"accuracy": 0.5})

    local = tmp_path / "checkpoints" / "my-bert"
    local.mkdir(parents=True)
    assert chart_note(str(local), report({"ace": 200, "bug": 200})) == "my-bert; n = 200 per language (test)"
    assert chart_note("intfloat/multilingual-e5-small", report({"ace": 200, "bug": 50})) == (
        "intfloat/multilingual-e5-small; n = ace 200, bug 50 (test)"
    )


def test_recipe_translations_come_back_in_input_order_though_batched_by_length():
    from types import SimpleNamespace

    import hf_lowres.recipes.train_translation as recipe

    class EchoModel(torch.nn.Module):
        device = torch.device("cpu")

        def generate(self, input_ids, attention_mask, **kwargs):
            return input_ids  # the "translation" is the source: its order is what the test follows

    tokenizer = tiny_tokenizer()
    texts = ["the cat sat on the mat"] + [f"the cat {'sat ' * (k % 5)}" for k in range(20)] + ["mat"]
    manager = SimpleNamespace(model=EchoModel(), peft_model=EchoModel())
    args = SimpleNamespace(max_length=32, num_beams=1, max_new_tokens=4)
    expected = tokenizer.batch_decode(tokenizer(texts)["input_ids"], skip_special_tokens=True)
    assert recipe.translate(manager, tokenizer, texts, args) == expected
