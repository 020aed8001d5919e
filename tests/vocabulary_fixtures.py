"""Tiny tokenizers of the three subword model types and a toy target-language corpus, built in code."""

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from hf_lowres.testing_utils import tiny_tokenizer


# Javanese/Indonesian-like toy sentences: many words absent from the tiny vocabularies, repeated so that a target
# tokenizer learns them as whole tokens.
TARGET_TEXTS = [
    "panganane enak banget lan regane murah",
    "aku seneng panganane ning kene",
    "makanannya enak sekali dan harganya murah",
    "saya suka makanannya di sini",
    "pelayanane apik banget aku bakal bali maneh",
    "pelayanannya bagus sekali saya akan kembali lagi",
    "regane larang nanging panganane enak",
    "harganya mahal tapi makanannya enak",
] * 6

OLD_TEXTS = ["the movie was very good", "i like this film and that food", "hello world"]

_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
_WORDS = "the a is good bad movie i like do not very this that and it was hello world".split()


def tiny_wordpiece_tokenizer() -> PreTrainedTokenizerFast:
    return tiny_tokenizer()


def tiny_unigram_tokenizer() -> PreTrainedTokenizerFast:
    """A SentencePiece-style Unigram tokenizer (Metaspace `▁`, XLM-R specials) with letters and a few English words."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = [(t, 0.0) for t in _SPECIALS]
    vocab += [("▁", -3.0)] + [(c, -5.0) for c in letters] + [("▁" + c, -5.5) for c in letters]
    vocab += [("▁" + w, -4.0) for w in _WORDS]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=64,
    )


def tiny_bpe_tokenizer() -> PreTrainedTokenizerFast:
    """A character-level BPE tokenizer (whitespace pre-tokenizer) with a few merges."""
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = {t: i for i, t in enumerate(_SPECIALS + letters)}
    merges = [("t", "h"), ("th", "e"), ("i", "n"), ("a", "n")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
