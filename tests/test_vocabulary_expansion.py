"""Vocabulary expansion: tokenizer surgery for WordPiece, Unigram and BPE, embedding initialization, round trips."""

import copy

import pytest
import torch
from vocabulary_fixtures import (
    OLD_TEXTS,
    TARGET_TEXTS,
    tiny_bpe_tokenizer,
    tiny_unigram_tokenizer,
    tiny_wordpiece_tokenizer,
)

from hf_lowres import LowResConfig, LowResForMaskedLM, LowResForSequenceClassification
from hf_lowres.testing_utils import tiny_backbone_config
from hf_lowres.vocabulary import (
    NewToken,
    expand_vocabulary,
    extend_tokenizer,
    focus_weights,
    select_new_tokens,
    sparsemax,
    train_target_tokenizer,
)


def build(model_class, tokenizer, family="bert"):
    torch.manual_seed(0)
    config = LowResConfig(
        text_config=tiny_backbone_config(family, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id),
        languages=["eng", "jav"],
        num_labels=3,
    )
    return model_class(config).eval()


TOKENIZERS = {"wordpiece": tiny_wordpiece_tokenizer, "unigram": tiny_unigram_tokenizer}


@pytest.fixture(scope="module")
def expanded_mlm():
    """A tiny BERT MLM expanded with 12 new WordPiece tokens (mean init), with a copy of the model before."""
    tokenizer = tiny_wordpiece_tokenizer()
    model = build(LowResForMaskedLM, tokenizer)
    before = copy.deepcopy(model)
    expansion = expand_vocabulary(model, tokenizer, TARGET_TEXTS, num_new_tokens=12, target_vocab_size=200)
    return tokenizer, before, model, expansion


@pytest.mark.parametrize("kind", sorted(TOKENIZERS))
def test_new_word_tokens_encode_as_single_ids_and_are_model_vocabulary(kind):
    tokenizer = TOKENIZERS[kind]()
    expansion = expand_vocabulary(None, tokenizer, TARGET_TEXTS, num_new_tokens=10, target_vocab_size=200)
    extended = expansion.tokenizer
    assert len(expansion.new_tokens) == 10
    assert expansion.new_token_ids == list(range(len(tokenizer), len(tokenizer) + 10))
    assert type(extended) is type(tokenizer)
    # Real entries of the subword model, not "added tokens" cut out before segmentation.
    model_vocab = extended.backend_tokenizer.get_vocab(with_added_tokens=False)
    assert all(model_vocab[t.token] == i for t, i in zip(expansion.new_tokens, expansion.new_token_ids))
    assert len(extended.get_added_vocab()) == len(tokenizer.get_added_vocab())
    # Word-initial tokens (`word`, not `##piece`; `▁word`, not a piece inside a word) encode alone as one id.
    word_initial = (lambda t: t.startswith("▁")) if kind == "unigram" else (lambda t: not t.startswith("##"))
    word_tokens = [(t, i) for t, i in zip(expansion.new_tokens, expansion.new_token_ids) if word_initial(t.token)]
    assert len(word_tokens) >= 2
    for token, token_id in word_tokens:
        surface = token.token.lstrip("▁")
        assert extended(surface, add_special_tokens=False)["input_ids"] == [token_id], token.token
    # Target text gets shorter; old text is segmented exactly as before.
    before = sum(len(tokenizer(t)["input_ids"]) for t in TARGET_TEXTS)
    after = sum(len(extended(t)["input_ids"]) for t in TARGET_TEXTS)
    assert after < before
    for text in OLD_TEXTS:
        assert extended(text)["input_ids"] == tokenizer(text)["input_ids"]


def test_wordpiece_continuation_pieces_take_part_in_segmentation():
    tokenizer = tiny_wordpiece_tokenizer()
    extended, added = extend_tokenizer(tokenizer, ["regane", "##nya", "harga", "makanan"])
    assert [t.token for t in added] == ["regane", "##nya", "harga"]  # "makanan" is already in the vocabulary
    # Words are split by ordinary WordPiece over the extended vocabulary, not cut around an "added token".
    assert extended.tokenize("harganya regane makanannya") == ["harga", "##nya", "regane", "makanan", "##nya"]
    assert extended.tokenize("xharga") == ["x", "##h", "##a", "##r", "##g", "##a"]
    assert added[1].base_pieces == ["##n", "##y", "##a"]


def test_unigram_pieces_get_scores_above_their_base_segmentation():
    tokenizer = tiny_unigram_tokenizer()
    extended, added = extend_tokenizer(tokenizer, [NewToken("▁murah", ["▁m", "u", "r", "a", "h"], [], score=-30.0)])
    assert added[0].extra["unigram_score"] > -5.5 - 4 * 5.0  # raised above the base pieces' sum
    assert extended.tokenize("murah") == ["▁murah"]
    assert extended.tokenize("the murah movie") == ["▁the", "▁murah", "▁movie"]


def test_bpe_tokens_are_added_with_merges():
    tokenizer = tiny_bpe_tokenizer()
    extended, added = extend_tokenizer(tokenizer, ["enak", "murah"])
    assert extended.tokenize("enak murah") == ["enak", "murah"]
    assert "enak" in [t.token for t in added] and "murah" in [t.token for t in added]
    assert extended.tokenize("the") == tokenizer.tokenize("the") == ["the"]
    merges = extended.backend_tokenizer.to_str()
    assert "murah" in merges


def test_selection_ranks_by_tokens_saved_and_skips_base_tokens():
    tokenizer = tiny_wordpiece_tokenizer()
    target = train_target_tokenizer(tokenizer, TARGET_TEXTS, vocab_size=200)
    tokens = select_new_tokens(tokenizer, target, TARGET_TEXTS, num_tokens=50)
    base_vocab = tokenizer.get_vocab()
    assert tokens and all(t.token not in base_vocab for t in tokens)
    assert [t.gain for t in tokens] == sorted((t.gain for t in tokens), reverse=True)
    assert all(t.gain == t.count * (len(t.base_pieces) - 1) > 0 for t in tokens)
    assert all(tokenizer.convert_tokens_to_ids(t.base_pieces) == t.base_piece_ids for t in tokens)


def test_old_inputs_give_identical_outputs_after_expansion(expanded_mlm):
    tokenizer, before, after, expansion = expanded_mlm
    old_vocab = len(tokenizer)
    assert after.get_input_embeddings().weight.shape[0] == len(expansion.tokenizer)
    assert after.get_output_embeddings().weight is after.get_input_embeddings().weight  # still tied
    batch = expansion.tokenizer(OLD_TEXTS, padding=True, return_tensors="pt")
    assert torch.equal(batch["input_ids"], tokenizer(OLD_TEXTS, padding=True, return_tensors="pt")["input_ids"])
    with torch.no_grad():
        out_before = before(**batch, output_hidden_states=True)
        out_after = after(**batch, output_hidden_states=True)
    torch.testing.assert_close(out_after.hidden_states[-1], out_before.hidden_states[-1], rtol=0, atol=0)
    torch.testing.assert_close(out_after.logits[..., :old_vocab], out_before.logits, rtol=0, atol=0)


def test_mean_initialized_rows_equal_the_mean_of_the_base_pieces(expanded_mlm):
    tokenizer, before, after, expansion = expanded_mlm
    old_embeddings = before.get_input_embeddings().weight
    new_embeddings = after.get_input_embeddings().weight
    old_bias = before.get_output_embeddings().bias
    new_bias = after.get_output_embeddings().bias
    for token, token_id in zip(expansion.new_tokens, expansion.new_token_ids):
        pieces = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(token.token.removeprefix("##")))
        if not token.token.startswith("##"):
            assert pieces == token.base_piece_ids
        ids = torch.tensor(token.base_piece_ids)
        torch.testing.assert_close(new_embeddings[token_id], old_embeddings[ids].mean(0))
        torch.testing.assert_close(new_bias[token_id], old_bias[ids].mean())


def test_focus_and_random_initialization():
    tokenizer = tiny_wordpiece_tokenizer()
    target = train_target_tokenizer(tokenizer, TARGET_TEXTS, vocab_size=200)
    tokens = select_new_tokens(tokenizer, target, TARGET_TEXTS, num_tokens=8)
    weights = focus_weights(tokenizer, target, TARGET_TEXTS, tokens)
    assert any(w for w in weights)
    for w in weights:
        if w:
            assert abs(sum(w.values()) - 1) < 1e-6 and all(v > 0 for v in w.values())
            assert all(tokenizer.convert_ids_to_tokens(i) in target.get_vocab() for i in w)  # overlapping tokens only

    model = build(LowResForSequenceClassification, tokenizer)
    base = model.get_input_embeddings().weight.detach().clone()
    expansion = expand_vocabulary(
        model, tokenizer, TARGET_TEXTS, num_new_tokens=8, init="focus", target_vocab_size=200
    )
    new_rows = model.get_input_embeddings().weight.detach()
    for token, token_id, w in zip(expansion.new_tokens, expansion.new_token_ids, weights):
        expected = sum(v * base[i] for i, v in w.items()) if w else base[token.base_piece_ids].mean(0)
        torch.testing.assert_close(new_rows[token_id], expected)

    rows = {}
    for seed in (0, 0, 1):
        model = build(LowResForSequenceClassification, tokenizer)
        expansion = expand_vocabulary(model, tokenizer, TARGET_TEXTS, num_new_tokens=8, init="random", seed=seed)
        rows.setdefault(seed, []).append(model.get_input_embeddings().weight[expansion.new_token_ids].detach())
    torch.testing.assert_close(rows[0][0], rows[0][1])
    assert not torch.equal(rows[0][0], rows[1][0])
    with pytest.raises(ValueError, match="unknown initialization"):
        expand_vocabulary(None, tokenizer, TARGET_TEXTS, init="wechsel")


def test_sparsemax_is_a_sparse_distribution():
    weights = sparsemax(torch.tensor([2.0, 1.9, -1.0, 0.0]).numpy())
    assert abs(weights.sum() - 1) < 1e-6 and weights[2] == 0 and weights[3] == 0 and weights[0] > weights[1]


def test_per_language_budgets():
    tokenizer = tiny_wordpiece_tokenizer()
    corpora = {"jav": TARGET_TEXTS[0::2], "ind": TARGET_TEXTS[1::2]}
    expansion = expand_vocabulary(None, tokenizer, corpora, num_new_tokens=4, target_vocab_size=200)
    assert expansion.languages == {"jav": 4, "ind": 4}
    assert len({t.token for t in expansion.new_tokens}) == 8
    assert {t.extra["language"] for t in expansion.new_tokens} == {"jav", "ind"}
    assert expansion.to_dict()["num_new_tokens"] == 8


@pytest.mark.parametrize("kind", sorted(TOKENIZERS))
def test_save_load_restores_tokenizer_and_new_embeddings(kind, tmp_path):
    tokenizer = TOKENIZERS[kind]()
    family = "bert" if kind == "wordpiece" else "xlm-roberta"
    model = build(LowResForMaskedLM, tokenizer, family)
    expansion = expand_vocabulary(model, tokenizer, TARGET_TEXTS, num_new_tokens=10, target_vocab_size=200)
    model.save_pretrained(tmp_path)
    expansion.tokenizer.save_pretrained(tmp_path)

    loaded_tokenizer = type(tokenizer).from_pretrained(tmp_path)
    loaded = LowResForMaskedLM.from_pretrained(tmp_path).eval()
    assert loaded_tokenizer.get_vocab() == expansion.tokenizer.get_vocab()
    for text in TARGET_TEXTS[:8] + OLD_TEXTS:
        assert loaded_tokenizer(text)["input_ids"] == expansion.tokenizer(text)["input_ids"]
    torch.testing.assert_close(
        loaded.get_input_embeddings().weight, model.get_input_embeddings().weight, rtol=0, atol=0
    )
    assert loaded.get_output_embeddings().weight is loaded.get_input_embeddings().weight
    batch = loaded_tokenizer(TARGET_TEXTS[:4], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model(**batch).logits, rtol=0, atol=0)
