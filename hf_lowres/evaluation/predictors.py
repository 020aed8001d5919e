"""Prediction functions for per-language and robustness evaluation: a dataset in, one prediction per row out."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from hf_lowres.evaluation._model_io import logits_of, model_device, run_model


class _ModelPredictor:
    def __init__(
        self,
        model,
        tokenizer,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str | torch.device | None = None,
        language_inputs: Callable[[str], Mapping] | None = None,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = torch.device(device) if device is not None else model_device(model)
        self.language_inputs = language_inputs

    def _logits(self, encoded, language: str | None) -> torch.Tensor:
        batch = {key: value.to(self.device) for key, value in encoded.items()}
        extra = dict(self.language_inputs(language)) if self.language_inputs is not None and language else {}
        return logits_of(run_model(self.model, batch, **extra))

    def __call__(self, dataset, language: str | None = None):
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                return self._predict(dataset, language)
        finally:
            self.model.train(was_training)


class SequenceClassificationPredictor(_ModelPredictor):
    """Predicts one class id per row of a text dataset with any model whose output has ``logits``
    (`AutoModelForSequenceClassification`, hf_lowres models).

    Args:
        model (`PreTrainedModel`): the classifier.
        tokenizer (`PreTrainedTokenizerBase`): its tokenizer.
        text_column (`str`, defaults to `"text"`): the input column.
        text_pair_column (`str`, *optional*): a second input column (NLI).
        batch_size (`int`, defaults to 32): rows per forward pass.
        max_length (`int`, *optional*): truncation length.
        device (`str` or `torch.device`, *optional*): defaults to the model's device.
        language_inputs (`Callable[[str], Mapping]`, *optional*): extra forward inputs for a language, e.g. to pick
            a language adapter: ``lambda lang: {"language": lang}``.

    Example:

    ```python
    >>> predict = SequenceClassificationPredictor(model, tokenizer)
    >>> predict(Dataset.from_dict({"text": ["saya suka", "aku seneng"]}))
    [1, 0]
    ```
    """

    def __init__(self, model, tokenizer, text_column: str = "text", text_pair_column: str | None = None, **kwargs):
        super().__init__(model, tokenizer, **kwargs)
        self.text_column = text_column
        self.text_pair_column = text_pair_column

    def _predict(self, dataset, language):
        texts = list(dataset[self.text_column])
        pairs = list(dataset[self.text_pair_column]) if self.text_pair_column else None
        predictions: list[int] = []
        for start in range(0, len(texts), self.batch_size):
            stop = start + self.batch_size
            encoded = self.tokenizer(
                texts[start:stop],
                pairs[start:stop] if pairs is not None else None,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            predictions.extend(self._logits(encoded, language).argmax(dim=-1).tolist())
        return predictions


class TokenClassificationPredictor(_ModelPredictor):
    """Predicts one label id per word of a pre-tokenized dataset (NER, POS) with any model whose output has
    ``logits`` of shape ``(batch, seq, num_labels)``.

    Each word takes the prediction of its first sub-word, the usual convention (Devlin et al., 2019). Words cut off
    by truncation get `fallback_label_id` (the model's ``"O"`` label when it has one, else 0), so every sentence
    has exactly one prediction per word.

    Args:
        model (`PreTrainedModel`): the tagger; its tokenizer must be a fast tokenizer (for ``word_ids()``).
        tokenizer (`PreTrainedTokenizerFast`): its tokenizer.
        tokens_column (`str`, defaults to `"tokens"`): the column of word lists.
        fallback_label_id (`int`, *optional*): the label of truncated words.
        **kwargs: `batch_size`, `max_length`, `device`, `language_inputs` as in `SequenceClassificationPredictor`.
    """

    def __init__(
        self, model, tokenizer, tokens_column: str = "tokens", fallback_label_id: int | None = None, **kwargs
    ):
        super().__init__(model, tokenizer, **kwargs)
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("TokenClassificationPredictor needs a fast tokenizer (it uses `word_ids()`)")
        self.tokens_column = tokens_column
        if fallback_label_id is None:
            label2id = getattr(getattr(model, "config", None), "label2id", None) or {}
            fallback_label_id = int(label2id.get("O", 0))
        self.fallback_label_id = fallback_label_id

    def _predict(self, dataset, language):
        sentences = [list(tokens) for tokens in dataset[self.tokens_column]]
        predictions: list[list[int]] = []
        for start in range(0, len(sentences), self.batch_size):
            chunk = sentences[start : start + self.batch_size]
            encoded = self.tokenizer(
                chunk,
                is_split_into_words=True,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            token_predictions = self._logits(encoded, language).argmax(dim=-1).tolist()
            for row, words in enumerate(chunk):
                labels = [self.fallback_label_id] * len(words)
                seen = set()
                for position, word_id in enumerate(encoded.word_ids(row)):
                    if word_id is not None and word_id not in seen:
                        seen.add(word_id)
                        labels[word_id] = token_predictions[row][position]
                predictions.append(labels)
        return predictions
