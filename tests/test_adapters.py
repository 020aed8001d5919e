"""Language and task adapters: training phases, MAD-X composition, save/load of every trained module."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file

from hf_lowres import (
    LowResConfig,
    LowResForCausalLM,
    LowResForMaskedLM,
    LowResForSeq2SeqLM,
    LowResForSequenceClassification,
)
from hf_lowres.adapters import (
    COMPOSITION_FILE,
    DISCRIMINATOR_FILE,
    LM_HEAD_FILE,
    TASK_HEAD_FILE,
    AdapterManager,
    resolve_target_modules,
)
from hf_lowres.testing_utils import seeded_random_batch, tiny_backbone_config


LANGUAGES = ["eng", "jav", "sun"]
LANG_LABELS = torch.tensor([0, 1, 2, 0])
# Per family: the class a language adapter is trained with (self-supervised) and the task class.
LANGUAGE_CLASS = {"bert": LowResForMaskedLM, "t5": LowResForSeq2SeqLM, "llama": LowResForCausalLM}
FAMILIES = list(LANGUAGE_CLASS)


def build(model_class, family):
    config = LowResConfig(text_config=tiny_backbone_config(family), languages=LANGUAGES, num_labels=3)
    return model_class(config)


def train(manager, steps=3, **inputs):
    """A few Adam steps on whatever is trainable."""
    batch = seeded_random_batch()
    params = [p for p in manager.model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-2)
    manager.model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        manager.peft_model(**batch, **inputs, lang_labels=LANG_LABELS).loss.backward()
        optimizer.step()
    manager.model.eval()


def snapshot(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(model, before):
    return {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}


def language_phase(family):
    """A language model with three language adapters; `jav` trained for a few steps."""
    model = build(LANGUAGE_CLASS[family], family)
    manager = AdapterManager(model)
    for language in LANGUAGES:
        manager.add_language_adapter(language)
    manager.prepare_language_training("jav")
    batch = seeded_random_batch()
    train(manager, labels=batch["input_ids"])
    return manager


@pytest.mark.parametrize("family", FAMILIES)
def test_language_phase_trains_exactly_its_adapter_lm_head_and_discriminator(family):
    model = build(LANGUAGE_CLASS[family], family)
    manager = AdapterManager(model)
    for language in LANGUAGES:
        manager.add_language_adapter(language)
    counts = manager.prepare_language_training("jav")
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    before = snapshot(model)
    train(manager, labels=seeded_random_batch()["input_ids"])

    assert changed(model, before) == trainable
    assert any(".lang_jav." in name for name in trainable)
    assert not any(".lang_eng." in name or ".lang_sun." in name for name in trainable)
    assert any(name.startswith("discriminator.") for name in trainable)
    assert counts["base"]["trainable"] == 0
    assert counts["adapter:lang_jav"]["trainable"] == counts["adapter:lang_jav"]["total"] > 0
    assert counts["adapter:lang_eng"]["trainable"] == 0
    if family == "bert":  # BERT's MLM head has its own transform; the decoder stays tied to the frozen embeddings
        assert counts["lm_head"]["trainable"] > 0
        assert model.get_input_embeddings().weight.requires_grad is False


@pytest.mark.parametrize("family", FAMILIES)
def test_task_phase_trains_task_adapter_and_head_with_language_adapter_frozen(family, tmp_path):
    language_manager = language_phase(family)
    language_manager.save(tmp_path)
    task_model = build(LowResForSequenceClassification, family)
    manager = AdapterManager.from_pretrained(tmp_path, model=task_model)
    manager.add_task_adapter("sentiment")
    manager.prepare_task_training("sentiment", language="eng")
    assert manager.active_adapters == ["lang_eng", "task_sentiment"]

    before = snapshot(task_model)
    train(manager, labels=torch.tensor([0, 1, 2, 1]))
    updated = changed(task_model, before)
    assert updated == {name for name, p in task_model.named_parameters() if p.requires_grad}
    assert any(".task_sentiment." in name for name in updated)
    assert {name for name in updated if name.startswith("classifier.")} == {"classifier.1.weight", "classifier.1.bias"}
    assert not any(".lang_" in name for name in updated)
    assert not any(name.startswith("backbone.") and ".task_sentiment." not in name for name in updated)


@pytest.mark.parametrize("family", FAMILIES)
def test_language_adapter_moves_from_language_model_to_classifier(family, tmp_path):
    """A language adapter trained in the LM class loads into the classification class: same LoRA tensors."""
    manager = language_phase(family)
    manager.save(tmp_path)
    classifier = build(LowResForSequenceClassification, family)
    loaded = AdapterManager.from_pretrained(tmp_path, model=classifier, adapters=["lang_jav"])

    source_path, target_path = manager.model.base_transformer_path, classifier.base_transformer_path
    source = {k: v for k, v in manager.model.state_dict().items() if ".lang_jav." in k and k.startswith(source_path)}
    target = {k: v for k, v in classifier.state_dict().items() if ".lang_jav." in k}
    assert len(source) == len(target) > 0
    for key, value in source.items():
        moved = target_path + key[len(source_path) :]
        assert torch.equal(target[moved], value), moved
    assert loaded.active_adapters == ["lang_jav"]


@pytest.fixture
def composed(tmp_path):
    """A classifier with language adapters eng/jav/sun and a trained task adapter, saved to tmp_path/'saved'."""
    torch.manual_seed(0)
    model = build(LowResForSequenceClassification, "bert")
    manager = AdapterManager(model)
    for language in LANGUAGES:
        manager.add_language_adapter(language)
    for language in LANGUAGES:  # give every language adapter non-zero deltas
        manager.prepare_language_training(language)
        train(manager, steps=2)
    manager.add_task_adapter("sentiment")
    manager.prepare_task_training("sentiment", language="eng")
    train(manager, labels=torch.tensor([0, 1, 2, 1]))
    manager.activate(language="jav", task="sentiment")
    directory = tmp_path / "saved"
    manager.save(directory)
    return manager, directory


def base_state(manager):
    """The model's state without adapters, under the names of a model that never had any."""
    state = manager.model.state_dict()
    return {k.replace(".base_layer.", "."): v for k, v in state.items() if ".lora_" not in k}


def logits(manager, batch=None):
    with torch.no_grad():
        return manager.peft_model(**(batch or seeded_random_batch())).logits


def test_saved_files_follow_peft_and_hold_every_head_once(composed):
    manager, directory = composed
    composition = json.loads((directory / COMPOSITION_FILE).read_text())
    assert composition["active"] == ["lang_jav", "task_sentiment"]
    assert composition["adapters"]["lang_sun"] == {"kind": "language", "language": "sun"}
    assert composition["model_class"] == "LowResForSequenceClassification"
    assert composition["lowres_config"]["languages"] == LANGUAGES
    assert (directory / DISCRIMINATOR_FILE).is_file()
    # The discriminator is shared: one file at the top, none inside the adapters.
    assert not list(directory.glob("*/" + DISCRIMINATOR_FILE))
    assert (directory / "task_sentiment" / TASK_HEAD_FILE).is_file()
    assert not (directory / LM_HEAD_FILE).exists()  # a classifier has no MLM head
    for name in ("lang_eng", "lang_jav", "lang_sun", "task_sentiment"):
        assert (directory / name / "adapter_config.json").is_file()
        weights = load_file(directory / name / "adapter_model.safetensors")
        assert weights and all(".lora_" in key for key in weights)
    head = load_file(directory / "task_sentiment" / TASK_HEAD_FILE)
    assert set(head) == {"classifier.1.weight", "classifier.1.bias"}


def test_composition_differs_by_language_and_equals_merged_model(composed):
    manager, _ = composed
    batch = seeded_random_batch()
    jav = logits(manager, batch)
    merged = manager.merge().eval()
    assert type(merged) is LowResForSequenceClassification and not isinstance(merged, PeftModel)
    with torch.no_grad():
        torch.testing.assert_close(merged(**batch).logits, jav, rtol=1e-5, atol=1e-5)
    manager.switch_language("sun")
    assert manager.active_adapters == ["lang_sun", "task_sentiment"]
    assert not torch.allclose(logits(manager, batch), jav)
    manager.switch_language("jav")
    torch.testing.assert_close(logits(manager, batch), jav)


def test_switching_language_leaves_task_weights_untouched(composed):
    manager, _ = composed
    task_state = {
        k: v.clone() for k, v in manager.model.state_dict().items() if "task_sentiment" in k or "classifier" in k
    }
    for language in ("sun", "eng", "jav"):
        manager.switch_language(language)
        assert manager.active_task == "sentiment" and manager.active_language == language
    after = manager.model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in task_state.items())


def test_using_evaluates_another_language_mid_training_and_restores_the_training_state(composed):
    manager, _ = composed
    manager.add_task_adapter("topic")  # a second head, to check that the right one comes back
    manager.model.eval()  # reference logits without dropout
    manager.activate(language="jav", task="sentiment")
    javanese = logits(manager)
    manager.activate(language="eng", task="sentiment")
    english = logits(manager)
    manager.prepare_task_training("sentiment", language="eng")
    manager.model.train()
    trainable = {name for name, p in manager.model.named_parameters() if p.requires_grad}

    with manager.using(language="jav", task="sentiment"):
        assert manager.active_language == "jav"
        assert not any(p.requires_grad for p in manager.model.parameters())
        manager.model.eval()  # what an evaluation loop does
        torch.testing.assert_close(logits(manager), javanese)
    assert manager.active_adapters == ["lang_eng", "task_sentiment"]
    assert {name for name, p in manager.model.named_parameters() if p.requires_grad} == trainable
    assert manager.model.training

    with pytest.raises(RuntimeError, match="inside"):
        with manager.using(task="topic"):
            raise RuntimeError("inside the block")
    assert manager.active_task == "sentiment"
    assert {name for name, p in manager.model.named_parameters() if p.requires_grad} == trainable
    manager.model.eval()
    torch.testing.assert_close(logits(manager), english)  # the sentiment head is back, not topic's


def test_save_load_restores_everything_exactly(composed):
    manager, directory = composed
    fresh = build(LowResForSequenceClassification, "bert").eval()
    fresh.load_state_dict(base_state(manager))  # the same frozen base; heads and adapters come from the files
    torch.nn.init.normal_(fresh.classifier[1].weight)
    torch.nn.init.normal_(fresh.discriminator.classifier[-1].weight)
    loaded = AdapterManager.from_pretrained(directory, model=fresh)
    assert loaded.active_adapters == ["lang_jav", "task_sentiment"]
    expected, actual = manager.model.state_dict(), loaded.model.state_dict()
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[k], actual[k]) for k in expected)
    assert torch.equal(logits(loaded), logits(manager))


def test_plain_peft_loads_a_saved_adapter(composed):
    manager, directory = composed
    base = build(LowResForSequenceClassification, "bert")
    peft_model = PeftModel.from_pretrained(base, directory / "lang_jav", adapter_name="lang_jav")
    loaded = {k: v for k, v in peft_model.base_model.model.state_dict().items() if ".lang_jav." in k}
    trained = {k: v for k, v in manager.model.state_dict().items() if ".lang_jav." in k}
    assert loaded.keys() == trained.keys() and all(torch.equal(loaded[k], trained[k]) for k in loaded)


LOAD_IN_NEW_PROCESS = textwrap.dedent(
    """
    import sys, torch
    from hf_lowres import LowResForSequenceClassification
    from hf_lowres.adapters import AdapterManager
    base_dir, adapters_dir, out = sys.argv[1:4]
    model = LowResForSequenceClassification.from_pretrained(base_dir)
    manager = AdapterManager.from_pretrained(adapters_dir, model=model)
    batch = torch.load(out + "/batch.pt")
    with torch.no_grad():
        logits = manager.peft_model(**batch).logits
    state = manager.model.state_dict()
    torch.save({"state": state, "logits": logits, "active": manager.active_adapters}, out + "/loaded.pt")
    """
)


def test_save_load_in_a_new_process(composed, tmp_path):
    manager, directory = composed
    base_dir = tmp_path / "base"
    # The frozen base as a plain checkpoint: what a user has from the Hub.
    base = build(LowResForSequenceClassification, "bert")
    base.load_state_dict(base_state(manager))
    base.save_pretrained(base_dir)
    batch = seeded_random_batch()
    torch.save(batch, tmp_path / "batch.pt")
    script = tmp_path / "load.py"
    script.write_text(LOAD_IN_NEW_PROCESS)
    result = subprocess.run(
        [sys.executable, str(script), str(base_dir), str(directory), str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = torch.load(tmp_path / "loaded.pt")
    assert loaded["active"] == ["lang_jav", "task_sentiment"]
    expected = manager.model.state_dict()
    assert expected.keys() == loaded["state"].keys()
    assert all(torch.equal(expected[k], loaded["state"][k]) for k in expected)
    assert torch.equal(loaded["logits"], logits(manager, batch))


def test_second_task_adapter_gets_its_own_head(composed):
    manager, _ = composed
    first_head = manager.model.classifier[1].weight.detach().clone()
    manager.add_task_adapter("topic")
    manager.activate(language="jav", task="topic")
    assert not torch.equal(manager.model.classifier[1].weight, first_head)
    manager.activate(language="jav", task="sentiment")
    assert torch.equal(manager.model.classifier[1].weight, first_head)


def test_parameter_accounting_and_listing(composed, capsys):
    manager, _ = composed
    counts = manager.parameter_counts()
    printed = capsys.readouterr().out
    assert "adapter:lang_jav" in printed and "discriminator" in printed
    assert counts["total"]["total"] == sum(p.numel() for p in manager.model.parameters())
    parts = [v["total"] for k, v in counts.items() if k != "total"]
    assert sum(parts) == counts["total"]["total"]
    listing = {row["name"]: row for row in manager.list_adapters()}
    assert listing["lang_jav"]["active"] and not listing["lang_sun"]["active"]
    assert listing["task_sentiment"]["kind"] == "task" and listing["task_sentiment"]["parameters"] > 0


def test_clear_errors(composed, tmp_path):
    manager, directory = composed
    with pytest.raises(ValueError, match=r"no language adapter named 'lang_xho'; language adapters: \['lang_eng'"):
        manager.activate(language="xho")
    with pytest.raises(ValueError, match="no task adapter named 'task_ner'"):
        manager.activate(task="ner")
    with pytest.raises(ValueError, match="has no adapter \\['lang_ace'\\]"):
        AdapterManager.from_pretrained(
            directory, model=build(LowResForSequenceClassification, "bert"), adapters=["lang_ace"]
        )
    with pytest.raises(ValueError, match="not one of the model's languages"):
        manager.add_language_adapter("ace")
    with pytest.raises(ValueError, match="exists already"):
        manager.add_language_adapter("jav")

    other_size = LowResConfig(
        text_config=tiny_backbone_config("bert", hidden_size=48), languages=LANGUAGES, num_labels=3
    )
    with pytest.raises(ValueError, match="hidden size 32 .* hidden size 48"):
        AdapterManager.from_pretrained(directory, model=LowResForSequenceClassification(other_size))
    with pytest.raises(ValueError, match="trained on a bert backbone .* backbone is llama"):
        AdapterManager.from_pretrained(directory, model=build(LowResForSequenceClassification, "llama"))
    other_languages = LowResConfig(text_config=tiny_backbone_config("bert"), languages=["eng", "jav"], num_labels=3)
    with pytest.raises(ValueError, match="trained on languages"):
        AdapterManager.from_pretrained(directory, model=LowResForSequenceClassification(other_languages))

    (directory / "lang_sun" / "adapter_model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"lang_sun/adapter_model\.safetensors"):
        AdapterManager.from_pretrained(directory, model=build(LowResForSequenceClassification, "bert"))
    (directory / DISCRIMINATOR_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="discriminator"):
        AdapterManager.from_pretrained(
            directory, model=build(LowResForSequenceClassification, "bert"), adapters=["lang_jav"]
        )
    with pytest.raises(FileNotFoundError, match=COMPOSITION_FILE):
        AdapterManager.from_pretrained(tmp_path / "nowhere", model=build(LowResForSequenceClassification, "bert"))


def test_target_modules_are_resolved_per_family_and_stay_in_the_backbone():
    assert resolve_target_modules(build(LowResForMaskedLM, "bert")) == r"backbone\..*\.(query|value)"
    assert resolve_target_modules(build(LowResForSeq2SeqLM, "t5")) == r"backbone\..*\.(q|v)"
    assert resolve_target_modules(build(LowResForCausalLM, "llama")) == r"backbone\..*\.(q_proj|v_proj)"
    with pytest.raises(ValueError, match="not linear layers of the backbone"):
        resolve_target_modules(build(LowResForMaskedLM, "bert"), ["q_proj"])


def test_language_adapter_trains_new_token_rows_and_restores_them(tmp_path):
    from transformers import AutoTokenizer

    from hf_lowres.testing_utils import tiny_tokenizer
    from hf_lowres.vocabulary import expand_vocabulary

    texts = ["wong jawa mangan sega", "sega iku enak", "wong iku mangan", "jawa iku apik"] * 3
    model = build(LowResForSequenceClassification, "bert")
    expansion = expand_vocabulary(model, tiny_tokenizer(), texts, num_new_tokens=4, target_vocab_size=100)
    new_ids = expansion.new_token_ids
    assert new_ids
    manager = AdapterManager(model)
    manager.add_language_adapter("jav", new_token_ids=new_ids)
    manager.prepare_language_training("jav")
    old_rows = model.get_input_embeddings().weight.detach().clone()
    batch = expansion.tokenizer(texts[:4], padding=True, return_tensors="pt")
    assert torch.isin(batch["input_ids"], torch.tensor(new_ids)).any()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        manager.peft_model(**batch, lang_labels=torch.ones(4, dtype=torch.long)).loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        rows = manager.peft_model.get_input_embeddings()(torch.arange(old_rows.shape[0]))
    changed_rows = {i for i in range(len(rows)) if not torch.equal(rows[i], old_rows[i])}
    assert changed_rows == set(new_ids)

    manager.save(tmp_path, tokenizer=expansion.tokenizer)
    fresh = build(LowResForSequenceClassification, "bert").eval()
    fresh.resize_token_embeddings(old_rows.shape[0])
    with torch.no_grad():
        fresh.get_input_embeddings().weight.copy_(old_rows)
    loaded = AdapterManager.from_pretrained(tmp_path, model=fresh)
    with torch.no_grad():
        loaded_rows = loaded.peft_model.get_input_embeddings()(torch.arange(old_rows.shape[0]))
    assert torch.equal(loaded_rows, rows)
    reloaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded_tokenizer(texts[0])["input_ids"] == expansion.tokenizer(texts[0])["input_ids"]


def test_new_token_rows_move_from_the_masked_lm_to_the_classifier(tmp_path):
    """A language adapter with new vocabulary rows, trained in the MLM model, loads into the classifier (whose
    backbone sits at another module path) with the same trained rows: the MAD-X path of vocabulary adaptation."""
    from hf_lowres.testing_utils import tiny_tokenizer
    from hf_lowres.vocabulary import expand_vocabulary

    texts = ["wong jawa mangan sega", "sega iku enak", "wong iku mangan", "jawa iku apik"] * 3
    masked_lm = build(LowResForMaskedLM, "bert")
    expansion = expand_vocabulary(masked_lm, tiny_tokenizer(), texts, num_new_tokens=4, target_vocab_size=100)
    new_ids = expansion.new_token_ids
    initial_rows = masked_lm.get_input_embeddings().weight[new_ids].detach().clone()
    manager = AdapterManager(masked_lm)
    manager.add_language_adapter("jav", new_token_ids=new_ids)
    manager.prepare_language_training("jav")
    batch = expansion.tokenizer(texts[:4], padding=True, return_tensors="pt")
    optimizer = torch.optim.Adam([p for p in masked_lm.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        manager.peft_model(**batch, labels=batch["input_ids"]).loss.backward()
        optimizer.step()
    with torch.no_grad():
        trained_rows = manager.peft_model.get_input_embeddings()(torch.tensor(new_ids))
    assert not torch.equal(trained_rows, initial_rows)
    manager.save(tmp_path, tokenizer=expansion.tokenizer)

    classifier = build(LowResForSequenceClassification, "bert")
    assert classifier.base_transformer_path != masked_lm.base_transformer_path
    classifier.resize_token_embeddings(len(expansion.tokenizer), mean_resizing=False)
    with torch.no_grad():
        classifier.get_input_embeddings().weight[new_ids] = initial_rows
    loaded = AdapterManager.from_pretrained(tmp_path, model=classifier)
    loaded.add_task_adapter("sentiment")
    loaded.activate(language="jav", task="sentiment")
    with torch.no_grad():
        assert torch.equal(loaded.peft_model.get_input_embeddings()(torch.tensor(new_ids)), trained_rows)
        assert loaded.peft_model(**batch).logits.shape == (4, 3)
    loaded.activate(language=None, task="sentiment")  # without the language adapter: the initial rows
    with torch.no_grad():
        assert torch.equal(loaded.peft_model.get_input_embeddings()(torch.tensor(new_ids)), initial_rows)
