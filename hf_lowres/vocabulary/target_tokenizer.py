"""Training a target-language tokenizer of the same kind as a base tokenizer, reproducibly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from tokenizers import Tokenizer, models, trainers
from transformers import PreTrainedTokenizerBase

from .tokenizer_json import SUPPORTED_MODEL_TYPES, tokenizer_json, tokenizer_model_type


UNIGRAM_SCORE_DECIMALS = 6
"""Decimals kept of a trained Unigram piece's log-probability. The trainer sums expected counts over words in hash-map
order, so the last bits of a score change from one process to the next (about 1e-15 apart); rounding to 1e-6 removes
that noise and changes no segmentation except between pieces whose scores were within 1e-6 of each other."""

UNIGRAM_CHARACTER_PENALTY = 1e-4
"""The step between the scores the `tokenizers` Unigram trainer gives the characters it has to put back into the
vocabulary (`min_score_penalty_delta` in its `finalize`)."""


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

    The result depends only on the arguments, not on the process (hash seeds, thread count), so a vocabulary
    expansion is reproducible from scratch. The `tokenizers` trainers do not guarantee this on their own:

    - WordPiece, and BPE with a continuing-subword prefix or an end-of-word suffix: the trainer gives the decorated
      one-character symbols (`##a`, `a</w>`) ids in hash-map order, and breaks ties between equally frequent merges
      by id, so different merges win from one process to the next (huggingface/tokenizers#1794). Here the decorated
      symbols are found first (a training run with no merges) and passed to the trainer, sorted, as special tokens,
      which it numbers before anything else; they are then removed from the added tokens and stay ordinary
      vocabulary entries.
    - Unigram: the trainer's scores carry float noise from summing in hash-map order, and the corpus characters it
      has to put back get the lowest scores in hash-set order. Here scores are rounded to `UNIGRAM_SCORE_DECIMALS`
      decimals, those characters get the same scores handed out in character order, and pieces are ordered by
      (score, piece).

    Args:
        base_tokenizer (`PreTrainedTokenizerBase`): the fast tokenizer of the model to adapt.
        texts (`Iterable[str]`): monolingual text in the target language(s); read twice for WordPiece and BPE with
            decorated symbols, so an iterator is first collected into a list.
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
    backend = base_tokenizer.backend_tokenizer
    unk_token = base_tokenizer.unk_token
    special_tokens = [unk_token] if unk_token is not None else []

    def new_tokenizer(model) -> Tokenizer:
        target = Tokenizer(model)
        target.normalizer = backend.normalizer
        target.pre_tokenizer = backend.pre_tokenizer
        target.decoder = backend.decoder
        return target

    if model_type == "Unigram":
        target = new_tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size,
            special_tokens=special_tokens,
            unk_token=unk_token,
            max_piece_length=max_piece_length,
            show_progress=False,
        )
        target.train_from_iterator(texts, trainer=trainer)
        return _canonical_unigram(target, len(special_tokens))

    if model_type == "WordPiece":
        prefix = base_model.get("continuing_subword_prefix", "##")
        suffix = None

        def make_model():
            return models.WordPiece(unk_token=unk_token, continuing_subword_prefix=prefix)

        def make_trainer(size: int, specials: list[str]):
            return trainers.WordPieceTrainer(
                vocab_size=size,
                min_frequency=min_frequency,
                special_tokens=specials,
                continuing_subword_prefix=prefix,
                show_progress=False,
            )

    else:
        prefix, suffix = base_model.get("continuing_subword_prefix"), base_model.get("end_of_word_suffix")
        # `tokenizers` refuses `None` for these: pass only the settings the base model has.
        affixes = {"continuing_subword_prefix": prefix, "end_of_word_suffix": suffix}
        affixes = {key: value for key, value in affixes.items() if value is not None}
        alphabet = []
        if type(backend.pre_tokenizer).__name__ == "ByteLevel":
            from tokenizers.pre_tokenizers import ByteLevel

            alphabet = ByteLevel.alphabet()

        def make_model():
            unk = {"unk_token": base_model["unk_token"]} if base_model.get("unk_token") is not None else {}
            return models.BPE(**unk, **affixes)

        def make_trainer(size: int, specials: list[str]):
            return trainers.BpeTrainer(
                vocab_size=size,
                min_frequency=min_frequency,
                special_tokens=specials,
                initial_alphabet=alphabet,
                show_progress=False,
                **affixes,
            )

    symbols: list[str] = []
    if prefix or suffix:
        texts = list(texts)
        symbols = _decorated_symbols(new_tokenizer(make_model()), make_trainer, texts, special_tokens)
    target = new_tokenizer(make_model())
    target.train_from_iterator(texts, trainer=make_trainer(vocab_size, special_tokens + symbols))
    if not symbols:
        return target
    data = json.loads(target.to_str())
    data["added_tokens"] = [t for t in data.get("added_tokens") or [] if t["content"] not in set(symbols)]
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def _decorated_symbols(
    probe: Tokenizer, make_trainer: Callable, texts: list[str], special_tokens: list[str]
) -> list[str]:
    # With a vocabulary size of 0 the BPE trainer stops before the first merge: its vocabulary is then the special
    # tokens, the alphabet (one character each) and the decorated one-character symbols it made while splitting words.
    probe.train_from_iterator(texts, trainer=make_trainer(0, special_tokens))
    vocab = probe.get_vocab(with_added_tokens=False)
    return sorted(token for token in vocab if len(token) > 1 and token not in special_tokens)


def _canonical_unigram(target: Tokenizer, num_special_tokens: int) -> Tokenizer:
    # The trainer puts the special tokens first, then the pieces by score, ties in hash-map order.
    data = json.loads(target.to_str())
    vocab = data["model"]["vocab"]
    pieces = [[piece, round(score, UNIGRAM_SCORE_DECIMALS)] for piece, score in vocab[num_special_tokens:]]
    if pieces:
        # Characters of the corpus that EM dropped are put back with the lowest score plus 0, 1, 2, ... times
        # `UNIGRAM_CHARACTER_PENALTY`, in hash-set order; hand the same scores out again in character order.
        lowest = min(score for _, score in pieces)
        members: list[list] = []
        for step in range(len(pieces)):
            slot = lowest + step * UNIGRAM_CHARACTER_PENALTY
            found = [
                item for item in pieces if len(item[0]) == 1 and abs(item[1] - slot) < UNIGRAM_CHARACTER_PENALTY / 10
            ]
            if not found:
                break
            members += found
        scores = sorted((score for _, score in members), reverse=True)
        for item, score in zip(sorted(members, key=lambda item: item[0]), scores):
            item[1] = score
    pieces.sort(key=lambda item: (-item[1], item[0]))
    data["model"]["vocab"] = vocab[:num_special_tokens] + pieces
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
