"""Back-translation with tiny Marian, mBART-50, M2M-100 and NLLB models built in code: language codes, batching,
determinism, resuming."""

import json
import random

import pytest
import torch
from transformers import (
    EncoderDecoderConfig,
    EncoderDecoderModel,
    M2M100Config,
    M2M100ForConditionalGeneration,
    MarianConfig,
    MarianMTModel,
    MBart50Tokenizer,
    MBartConfig,
    MBartForConditionalGeneration,
    NllbTokenizer,
    T5ForConditionalGeneration,
)

from hf_lowres.data import (
    CORPUS_FEATURES,
    BackTranslationConfig,
    BackTranslator,
    add_noise,
    detect_convention,
    generate_back_translations,
    language_token_id,
    load_monolingual,
    model_language_code,
)
from hf_lowres.testing_utils import TINY_WORDS, tiny_backbone_config, tiny_tokenizer
from hf_lowres.testing_utils import tiny_translation_tokenizer as word_level_fast_tokenizer


SMALL = dict(
    d_model=16,
    encoder_layers=1,
    decoder_layers=1,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=32,
    decoder_ffn_dim=32,
    max_position_embeddings=128,
)
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'")
JAVANESE = [
    "aku seneng banget film iki",
    "iki apik",
    "kuwi ala lan ora apik banget",
    "aku",
    "panganan iki enak banget lan aku seneng",
    "kuwi",
    "aku ora seneng panganan kuwi",
    "iki film apik",
    "lan",
    "aku seneng iki lan kuwi",
    "ora",
    "film iki ala banget",
]


@pytest.fixture(scope="session")
def marian():
    tokenizer = word_level_fast_tokenizer([">>ind<<", ">>eng<<"])
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=len(tokenizer),
        pad_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=0,
        forced_eos_token_id=2,
        **SMALL,
    )
    return MarianMTModel(config).eval(), tokenizer


@pytest.fixture(scope="session")
def m2m100():
    tokenizer = word_level_fast_tokenizer(["__en__", "__id__", "__jv__"])
    torch.manual_seed(0)
    config = M2M100Config(vocab_size=len(tokenizer), pad_token_id=0, eos_token_id=2, decoder_start_token_id=2, **SMALL)
    return M2M100ForConditionalGeneration(config).eval(), tokenizer


@pytest.fixture(scope="session")
def nllb():
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "▁": 4}
    for piece in CHARS + ["▁" + w for w in TINY_WORDS]:
        vocab.setdefault(piece, len(vocab))
    tokenizer = NllbTokenizer(vocab=vocab, merges=[])  # language codes are added as special tokens
    torch.manual_seed(0)
    config = M2M100Config(vocab_size=len(tokenizer), pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, **SMALL)
    return M2M100ForConditionalGeneration(config).eval(), tokenizer


@pytest.fixture(scope="session")
def mbart50():
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(c, -5.0) for c in CHARS] + [("▁" + w, -1.0) for w in TINY_WORDS]
    from transformers.models.mbart50.tokenization_mbart50 import FAIRSEQ_LANGUAGE_CODES

    # An mBART-50 vocabulary extended with a code for Javanese, as one does to add a language.
    pieces += [(code, 0.0) for code in FAIRSEQ_LANGUAGE_CODES] + [("<mask>", 0.0)]
    tokenizer = MBart50Tokenizer(vocab=pieces)
    torch.manual_seed(0)
    config = MBartConfig(
        vocab_size=len(tokenizer), pad_token_id=1, eos_token_id=2, bos_token_id=0, decoder_start_token_id=2, **SMALL
    )
    return MBartForConditionalGeneration(config).eval(), tokenizer


def spy_generate(model, calls):
    original = model.generate

    def generate(**kwargs):
        calls.append({"inference_mode": torch.is_inference_mode_enabled(), **kwargs})
        output = original(**kwargs)
        calls[-1]["output"] = output
        return output

    model.generate = generate
    return original


def test_language_code_table():
    assert model_language_code("jav", "nllb") == "jav_Latn"
    assert model_language_code("swa", "nllb") == "swh_Latn"  # NLLB writes Swahili as swh
    assert model_language_code("ind", "mbart50") == "id_ID"
    assert model_language_code("jav", "mbart50") == "jv_XX"
    assert model_language_code("jav", "m2m100") == "jv"
    assert model_language_code("jav", "marian") == "jav"
    assert model_language_code("jav", "t5") == "Javanese"
    assert model_language_code("jav_Latn", "nllb") == "jav_Latn"
    with pytest.raises(ValueError, match="no m2m100 language code is known for 'bbc'"):
        model_language_code("bbc", "m2m100")
    with pytest.raises(ValueError, match="unknown language-code convention"):
        model_language_code("jav", "fairseq")


def test_detect_convention(marian, m2m100, nllb, mbart50):
    assert detect_convention(*marian) == "marian"
    assert detect_convention(*m2m100) == "m2m100"
    assert detect_convention(*nllb) == "nllb"
    assert detect_convention(*mbart50) == "mbart50"
    t5 = T5ForConditionalGeneration(tiny_backbone_config("t5"))
    assert detect_convention(t5, tiny_tokenizer()) == "t5"


def test_nllb_codes_inputs_and_forced_output_language(nllb):
    model, tokenizer = nllb
    translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=2)
    jav_id, ind_id = tokenizer.convert_tokens_to_ids("jav_Latn"), tokenizer.convert_tokens_to_ids("ind_Latn")
    encoded = translator.encode(["aku seneng"])[0]
    assert encoded[0] == jav_id and encoded[-1] == tokenizer.eos_token_id
    tokenizer.src_lang = "jav_Latn"
    expected = tokenizer("aku seneng")["input_ids"]
    tokenizer.src_lang = "eng_Latn"
    assert encoded == expected
    assert tokenizer.src_lang == "eng_Latn"  # the tokenizer was left as it was
    assert translator.forced_bos_token_id == ind_id
    calls = []
    original = spy_generate(model, calls)
    try:
        outputs = translator.translate(["aku seneng", "iki apik banget"])
    finally:
        model.generate = original
    assert len(outputs) == 2
    generated = calls[0]["output"]
    assert calls[0]["inference_mode"] and calls[0]["forced_bos_token_id"] == ind_id
    assert (generated[:, 0] == 2).all() and (generated[:, 1] == ind_id).all()
    assert all("ind_Latn" not in text for text in outputs)  # language codes are special: not in the text


def test_nllb_unsupported_language_is_a_clear_error(nllb):
    model, tokenizer = nllb
    with pytest.raises(ValueError) as error:
        BackTranslator(model, tokenizer, source_lang="ind", target_lang="bbc")
    message = str(error.value)
    assert "'bbc' is not supported by this NllbTokenizer" in message and "'bbc_Latn'" in message
    assert "jav_Latn" in message or "Language tokens it has" in message


def test_mbart50_codes(mbart50):
    model, tokenizer = mbart50
    with pytest.raises(
        ValueError, match=r"'jav' is not supported by this MBart50Tokenizer: its mbart50 token 'jv_XX'"
    ):
        BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav")
    translator = BackTranslator(model, tokenizer, source_lang="eng", target_lang="ind", num_beams=1)
    encoded = translator.encode(["saya suka"])[0]
    assert encoded[0] == tokenizer.convert_tokens_to_ids("id_ID") and encoded[-1] == 2
    calls = []
    original = spy_generate(model, calls)
    try:
        translator.translate(["saya suka ini"])
    finally:
        model.generate = original
    en_id = tokenizer.convert_tokens_to_ids("en_XX")
    assert calls[0]["forced_bos_token_id"] == en_id and (calls[0]["output"][:, 1] == en_id).all()


def test_m2m100_codes(m2m100):
    model, tokenizer = m2m100
    translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=1)
    jv, id_ = tokenizer.convert_tokens_to_ids("__jv__"), tokenizer.convert_tokens_to_ids("__id__")
    encoded = translator.encode(["aku seneng"])[0]
    assert (
        encoded[0] == jv and encoded[-1] == 2 and tokenizer.convert_ids_to_tokens(encoded[1:-1]) == ["aku", "seneng"]
    )
    assert translator.forced_bos_token_id == id_
    with pytest.raises(ValueError, match=r"'sun' is not supported.*'__su__'.*\['__en__', '__id__', '__jv__'\]"):
        BackTranslator(model, tokenizer, source_lang="sun", target_lang="jav")


def test_marian_target_token_and_bilingual_models(marian):
    model, tokenizer = marian
    translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav")
    encoded = translator.encode(["aku seneng"])[0]
    assert tokenizer.convert_ids_to_tokens(encoded) == [">>ind<<", "aku", "seneng", "</s>"]
    assert translator.forced_bos_token_id is None
    with pytest.raises(ValueError, match="'>>sun<<' is not in the vocabulary"):
        BackTranslator(model, tokenizer, source_lang="sun", target_lang="jav")
    bilingual = word_level_fast_tokenizer([])
    plain = BackTranslator(model, bilingual, source_lang="ind", target_lang="jav", convention="marian")
    assert bilingual.convert_ids_to_tokens(plain.encode(["aku"])[0]) == ["aku", "</s>"]


def test_t5_prefix():
    model = T5ForConditionalGeneration(tiny_backbone_config("t5"))
    tokenizer = tiny_tokenizer()
    translator = BackTranslator(model, tokenizer, source_lang="eng", target_lang="jav", num_beams=1)
    assert translator._source_prefix == "translate Javanese to English: "
    assert translator.encode(["aku"])[0] == tokenizer("translate Javanese to English: aku")["input_ids"]


def test_single_pair_encoder_decoder_needs_no_language_codes():
    """A BERT2BERT `EncoderDecoderModel` translates one direction: plain inputs, no forced output token."""
    tokenizer = tiny_tokenizer()
    encoder = tiny_backbone_config("bert")
    decoder = tiny_backbone_config("bert", is_decoder=True, add_cross_attention=True)
    torch.manual_seed(0)
    model = EncoderDecoderModel(config=EncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder))
    model.config.decoder_start_token_id = tokenizer.cls_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    assert detect_convention(model, tokenizer) == "single_pair"
    translator = BackTranslator(model, tokenizer, source_lang="eng", target_lang="jav", num_beams=1, max_new_tokens=4)
    assert translator.convention == "single_pair" and translator.forced_bos_token_id is None
    assert translator.encode(["aku seneng"])[0] == tokenizer("aku seneng")["input_ids"]
    synthetic = translator.translate(JAVANESE[:3])
    assert len(synthetic) == 3 and all(isinstance(text, str) for text in synthetic)
    assert model_language_code("jav", "single_pair") == "jav"


def test_generate_schema_provenance_and_order(marian):
    model, tokenizer = marian
    translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=2, batch_size=4)
    synthetic = translator.generate(JAVANESE, progress=False)
    assert synthetic.features == CORPUS_FEATURES and len(synthetic) == len(JAVANESE)
    assert synthetic["target_text"] == JAVANESE  # the input order is restored after length sorting
    assert set(synthetic["origin"]) == {"back-translated"}
    assert set(synthetic["source_lang"]) == {"ind"} and set(synthetic["target_lang"]) == {"jav"}
    provenance = synthetic[0]["provenance"]
    assert provenance["model"] == "MarianMTModel" and provenance["direction"] == "jav->ind"
    assert json.loads(provenance["decoding"])["num_beams"] == 2
    # Each output is the translation of its own input: translating one sentence alone gives the same text.
    alone = translator.translate([JAVANESE[4]])
    assert alone == [synthetic[4]["source_text"]]


def test_length_sorting_cuts_padding(marian):
    model, tokenizer = marian
    stats = {}
    for sort in (True, False):
        translator = BackTranslator(
            model,
            tokenizer,
            source_lang="ind",
            target_lang="jav",
            num_beams=1,
            batch_size=4,
            sort_by_length=sort,
            max_length_ratio=None,  # the same output cap for every batch, so that outputs can be compared
            max_new_tokens=12,
        )
        outputs = translator.translate(JAVANESE)
        stats[sort] = (translator.stats, outputs)
    assert stats[True][0].padding_fraction < stats[False][0].padding_fraction
    assert stats[True][0].input_tokens == stats[False][0].input_tokens
    assert stats[True][1] == stats[False][1]  # greedy decoding: same outputs whatever the batching


def test_monolingual_dataset_input_and_language_check(marian, tmp_path):
    model, tokenizer = marian
    path = tmp_path / "jav.txt"
    path.write_text("\n".join(JAVANESE[:3]) + "\n", encoding="utf-8")
    translator = BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=1)
    assert translator.generate(load_monolingual(path, "jav"), progress=False)["target_text"] == JAVANESE[:3]
    with pytest.raises(ValueError, match="monolingual row 0 is in 'sun'"):
        translator.generate(load_monolingual(path, "sun"), progress=False)


def test_progress_bar_reports_sentences_per_second(marian, capsys):
    model, tokenizer = marian
    BackTranslator(model, tokenizer, source_lang="ind", target_lang="jav", num_beams=1).generate(JAVANESE[:2])
    assert "sent/s" in capsys.readouterr().err


SAMPLED = dict(
    source_lang="ind", target_lang="jav", num_beams=1, do_sample=True, top_k=10, noise=True, batch_size=2, shard_size=3
)


def test_sampling_is_deterministic_for_a_seed(marian):
    model, tokenizer = marian
    torch.manual_seed(123)
    first = BackTranslator(model, tokenizer, seed=7, **SAMPLED).generate(JAVANESE, progress=False)
    state = torch.get_rng_state()
    second = BackTranslator(model, tokenizer, seed=7, **SAMPLED).generate(JAVANESE, progress=False)
    assert torch.equal(torch.get_rng_state(), state)  # the caller's RNG is untouched
    other = BackTranslator(model, tokenizer, seed=8, **SAMPLED).generate(JAVANESE, progress=False)
    assert first["source_text"] == second["source_text"]
    assert first["source_text"] != other["source_text"]


def test_resume_after_interruption_gives_the_uninterrupted_result(marian, tmp_path):
    model, tokenizer = marian
    config = BackTranslationConfig(seed=3, date="2026-01-02", **SAMPLED)
    full = BackTranslator(model, tokenizer, config).generate(JAVANESE, output_dir=tmp_path / "full", progress=False)

    interrupted = BackTranslator(model, tokenizer, config)
    partial = interrupted.generate(JAVANESE, output_dir=tmp_path / "resumed", max_shards=2, progress=False)
    assert len(partial) == 6
    assert sorted(p.name for p in (tmp_path / "resumed").glob("shard-*.parquet")) == [
        "shard-00000.parquet",
        "shard-00001.parquet",
    ]
    (tmp_path / "resumed" / "shard-00002.parquet.tmp").write_bytes(b"half-written")  # a crash mid-write

    resumed_translator = BackTranslator(model, tokenizer, config)
    resumed = resumed_translator.generate(JAVANESE, output_dir=tmp_path / "resumed", progress=False)
    assert resumed_translator.stats.sentences == 6  # only the two missing shards were generated
    assert resumed.to_list() == full.to_list()
    assert len(list((tmp_path / "resumed").glob("shard-*.parquet"))) == 4


def test_resume_refuses_other_settings_or_input(marian, tmp_path):
    model, tokenizer = marian
    config = BackTranslationConfig(**SAMPLED)
    BackTranslator(model, tokenizer, config).generate(JAVANESE, output_dir=tmp_path, max_shards=1, progress=False)
    with pytest.raises(ValueError, match=r"other settings \(differing: \['decoding'\]\)"):
        BackTranslator(model, tokenizer, config, top_k=5).generate(JAVANESE, output_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="shard-00000.parquet was generated from other input sentences"):
        BackTranslator(model, tokenizer, config).generate(JAVANESE[::-1], output_dir=tmp_path, progress=False)


def test_generate_back_translations_shortcut(m2m100):
    model, tokenizer = m2m100
    out = generate_back_translations(
        model, tokenizer, JAVANESE[:3], source_lang="ind", target_lang="jav", num_beams=1, progress=False
    )
    assert out["target_text"] == JAVANESE[:3] and out[0]["provenance"]["direction"] == "jav->ind"


def test_config_validation():
    with pytest.raises(ValueError, match="num_beams=1"):
        BackTranslationConfig(source_lang="ind", target_lang="jav", do_sample=True, num_beams=4)
    with pytest.raises(ValueError, match="ill-formed language code"):
        BackTranslationConfig(source_lang="Indonesian", target_lang="jav")
    with pytest.raises(ValueError, match="only apply with `do_sample=True`"):
        BackTranslationConfig(source_lang="ind", target_lang="jav", top_k=10)


def test_noise_deletes_blanks_and_shuffles_locally():
    words = [f"w{i}" for i in range(2000)]
    noised = add_noise(" ".join(words), random.Random(0)).split()
    blanks = noised.count("<BLANK>")
    kept = [w for w in noised if w != "<BLANK>"]
    assert 150 < blanks < 250 and 150 < 2000 - len(noised) < 250  # about 10% each
    positions = {w: i for i, w in enumerate(noised)}
    # Without deletions a word never moves more than 3 places.
    shuffled = add_noise(" ".join(words), random.Random(1), drop_prob=0.0, blank_prob=0.0).split()
    assert sorted(shuffled) == sorted(words) and shuffled != words
    assert max(abs(i - int(w[1:])) for i, w in enumerate(shuffled)) <= 3
    assert all(w in positions for w in kept)
    assert add_noise("a b c", random.Random(0), 0.0, 0.0, max_shift=0) == "a b c"


def test_language_token_id_checks_vocabulary(m2m100):
    _, tokenizer = m2m100
    assert language_token_id(tokenizer, "jav", "m2m100") == tokenizer.convert_tokens_to_ids("__jv__")
