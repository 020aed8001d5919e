"""Training a target-language tokenizer of the same kind as a base tokenizer."""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, models, trainers
from transformers import PreTrainedTokenizerBase

from .tokenizer_json import SUPPORTED_MODEL_TYPES, tokenizer_json, tokenizer_model_type


def train_target_tokenizer(
    base_tokenizer: PreTrainedTokenizerBase,
    texts: Iterable[str],
    vocab_size: int = 8000,
    min_frequency: int = 2,
    max_piece_length: int = 16,
) -> Tokenizer:
    """Trains a `tokenizers` tokenizer on monolingual target-language text, with the base tokenizer's subword model
    type (WordPiece, SentencePiece-Unigram or BPE), normalizer and pre-tokenizer.

    Sharing the normalizer and pre-tokenizer puts the new pieces in the same space as the base vocabulary (lowercased
    for an uncased BERT, `▁`-prefixed for SentencePiece), so they can be compared with it and added to it. This is the
    first step of vocabulary expansion (Yamaguchi et al., 2024, "Vocabulary Expansion for Low-resource Cross-lingual
    Transfer"; Dobler & de Melo, 2023, "FOCUS"; Minixhofer et al., 2022, "WECHSEL").

    Args:
        base_tokenizer (`PreTrainedTokenizerBase`): the fast tokenizer of the model to adapt.
        texts (`Iterable[str]`): monolingual text in the target language(s).
        vocab_size (`int`, defaults to 8000): size of the target vocabulary (a small corpus may give fewer pieces).
        min_frequency (`int`, defaults to 2): WordPiece and BPE only: a merge must occur this often.
        max_piece_length (`int`, defaults to 16): Unigram only: the longest piece, in characters.

    Returns:
        `tokenizers.Tokenizer`: the trained target tokenizer (no post-processor).
    """
    model_type = tokenizer_model_type(base_tokenizer)
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(f"unsupported tokenizer model {model_type!r}; expected one of {SUPPORTED_MODEL_TYPES}.")
    base_model = tokenizer_json(base_tokenizer)["model"]
    unk_token = base_tokenizer.unk_token
    special_tokens = [unk_token] if unk_token is not None else []
    if model_type == "WordPiece":
        prefix = base_model.get("continuing_subword_prefix", "##")
        target = Tokenizer(models.WordPiece(unk_token=unk_token, continuing_subword_prefix=prefix))
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=special_tokens,
            continuing_subword_prefix=prefix,
            show_progress=False,
        )
    elif model_type == "Unigram":
        target = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size,
            special_tokens=special_tokens,
            unk_token=unk_token,
            max_piece_length=max_piece_length,
            show_progress=False,
        )
    else:
        backend = base_tokenizer.backend_tokenizer
        alphabet = []
        if type(backend.pre_tokenizer).__name__ == "ByteLevel":
            from tokenizers.pre_tokenizers import ByteLevel

            alphabet = ByteLevel.alphabet()
        target = Tokenizer(
            models.BPE(
                unk_token=base_model.get("unk_token"),
                continuing_subword_prefix=base_model.get("continuing_subword_prefix"),
                end_of_word_suffix=base_model.get("end_of_word_suffix"),
            )
        )
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=special_tokens,
            initial_alphabet=alphabet,
            continuing_subword_prefix=base_model.get("continuing_subword_prefix"),
            end_of_word_suffix=base_model.get("end_of_word_suffix"),
            show_progress=False,
        )
    backend = base_tokenizer.backend_tokenizer
    target.normalizer = backend.normalizer
    target.pre_tokenizer = backend.pre_tokenizer
    target.decoder = backend.decoder
    target.train_from_iterator(texts, trainer=trainer)
    return target
