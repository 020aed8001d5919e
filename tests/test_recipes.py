"""The recipes end to end on tiny models and tiny data, the YAML/command-line parser, and the `hf-lowres` command."""

import subprocess
import sys

import pytest
import torch
import yaml
from datasets import load_from_disk
from transformers import MarianConfig, MarianMTModel

from hf_lowres.cli import RECIPES
from hf_lowres.cli import main as cli_main
from hf_lowres.testing_utils import tiny_translation_tokenizer


JAVANESE = ["aku seneng film iki", "panganan iki enak banget", "aku ora seneng panganan kuwi", "film iki ala banget"]


@pytest.fixture(scope="module")
def tiny_marian_dir(tmp_path_factory):
    """A tiny Marian jav->ind model with its tokenizer, saved as a checkpoint directory."""
    directory = tmp_path_factory.mktemp("marian")
    tokenizer = tiny_translation_tokenizer([">>ind<<", ">>jav<<"])
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=0, eos_token_id=2, decoder_start_token_id=0, forced_eos_token_id=2,
    )  # fmt: skip
    MarianMTModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def back_translate_args(model_dir, monolingual, output_dir):
    return [
        "--model_name_or_path", str(model_dir), "--monolingual_file", str(monolingual), "--output_dir",
        str(output_dir), "--source_lang", "ind", "--target_lang", "jav", "--num_beams", "1", "--max_new_tokens", "8",
        "--filter_max_length_ratio", "100", "--filter_copy_threshold", "1.0",
    ]  # fmt: skip


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
