"""Tiny backbones and tokenizers built in code, for tests, examples and benchmarks that must run offline.

Nothing here downloads anything: configs are written out in full and tokenizers are built in memory
with the `tokenizers` library.
"""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import AutoConfig, PreTrainedConfig, PreTrainedTokenizerFast


# One small vocabulary shared by every tiny tokenizer: a few English, Indonesian and Javanese words so that
# toy sentences in two languages tokenize to whole words.
TINY_WORDS = (
    "the a is good bad movie food i like do not very this that and it was "
    "film makanan saya suka tidak sangat ini itu dan enak buruk bagus "
    "aku seneng ora banget iki kuwi lan apik ala panganan "
    "hello world cat dog house tree water fire red blue green big small one two three"
).split()
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<s>", "</s>"]


_CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'")


def _vocab(head: list[str]) -> list[str]:
    """`head` tokens, single characters and their `##` continuations (any lowercase word spells), the tiny words."""
    return head + _CHARS + ["##" + c for c in _CHARS] + [w for w in TINY_WORDS if w not in head + _CHARS]


def _wordpiece_backend(vocab_list: list[str], unk_token: str, post_processor) -> tuple[Tokenizer, dict[str, int]]:
    vocab = {token: i for i, token in enumerate(vocab_list)}
    backend = Tokenizer(models.WordPiece(vocab=vocab, unk_token=unk_token, max_input_chars_per_word=50))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = post_processor(vocab)
    backend.decoder = decoders.WordPiece(prefix="##")
    return backend, vocab


def tiny_vocab() -> list[str]:
    """Special tokens, single characters (so any lowercase ASCII word can be spelled) and the tiny words."""
    return _vocab(SPECIAL_TOKENS)


def tiny_tokenizer(model_max_length: int = 64) -> PreTrainedTokenizerFast:
    """A lowercase WordPiece tokenizer with BERT-style specials, built in memory."""
    backend, _ = _wordpiece_backend(
        tiny_vocab(),
        "[UNK]",
        lambda vocab: processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        ),
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        bos_token="<s>",
        eos_token="</s>",
        model_max_length=model_max_length,
    )


def tiny_translation_tokenizer(language_tokens: list[str]) -> PreTrainedTokenizerFast:
    """A WordPiece tokenizer for translation models: `<pad> <unk> </s>`, then `language_tokens` (e.g. Marian's
    `>>ind<<`, M2M-100's `__jv__`), characters and the tiny words; `</s>` is appended to every sentence."""
    backend, _ = _wordpiece_backend(
        _vocab(["<pad>", "<unk>", "</s>", *language_tokens]),
        "<unk>",
        lambda vocab: processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]),
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        unk_token="<unk>",
        eos_token="</s>",
        additional_special_tokens=list(language_tokens),
    )


TINY_VOCAB_SIZE = len(tiny_vocab())

# Family -> config kwargs. hidden 32, 2 layers, 4 heads: forward and backward take milliseconds on a CPU.
_COMMON = {"vocab_size": TINY_VOCAB_SIZE, "pad_token_id": 0}
TINY_CONFIGS: dict[str, dict] = {
    "bert": dict(
        model_type="bert",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
        type_vocab_size=2,
        **_COMMON,
    ),
    "xlm-roberta": dict(
        model_type="xlm-roberta",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=130,
        type_vocab_size=1,
        bos_token_id=5,
        eos_token_id=6,
        **_COMMON,
    ),
    "t5": dict(
        model_type="t5",
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        eos_token_id=6,
        decoder_start_token_id=0,
        **_COMMON,
    ),
    "marian": dict(
        model_type="marian",
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        eos_token_id=6,
        decoder_start_token_id=0,
        forced_eos_token_id=6,
        **_COMMON,
    ),
    "llama": dict(
        model_type="llama",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        bos_token_id=5,
        eos_token_id=6,
        **_COMMON,
    ),
    "qwen2": dict(
        model_type="qwen2",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        bos_token_id=5,
        eos_token_id=6,
        tie_word_embeddings=True,
        **_COMMON,
    ),
}
ENCODER_FAMILIES = ("bert", "xlm-roberta")
ENCODER_DECODER_FAMILIES = ("t5", "marian")
DECODER_FAMILIES = ("llama", "qwen2")


def tiny_backbone_config(family: str = "bert", **overrides) -> PreTrainedConfig:
    """The config of a tiny backbone of one of the families in `TINY_CONFIGS`."""
    if family not in TINY_CONFIGS:
        raise ValueError(f"unknown tiny family {family!r}; expected one of {sorted(TINY_CONFIGS)}")
    kwargs = {**TINY_CONFIGS[family], **overrides}
    return AutoConfig.for_model(kwargs.pop("model_type"), **kwargs)


def seeded_random_batch(batch_size: int = 4, seq_len: int = 8, vocab_size: int = TINY_VOCAB_SIZE, seed: int = 0):
    """Random token ids (avoiding the special ids) with an attention mask whose last row is right-padded."""
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(len(SPECIAL_TOKENS), vocab_size, (batch_size, seq_len), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[-1, seq_len // 2 :] = 0
    input_ids[-1, seq_len // 2 :] = 0
    return {"input_ids": input_ids, "attention_mask": attention_mask}
