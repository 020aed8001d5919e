"""Loss and accuracy of the language discriminator over the examples of a training step."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def language_discrimination_loss(lang_logits: torch.Tensor, lang_labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the language discriminator, averaged over the examples whose label is not -100.

    The logits come out of the model's `LanguageDiscriminator`, behind its gradient-reversal layer, so minimising
    this loss trains the discriminator while pushing the encoder towards language-invariant representations
    (Ganin & Lempitsky, 2015, "Unsupervised Domain Adaptation by Backpropagation"). With no labelled example, it
    is a zero that keeps the graph connected (distributed training needs every trainable parameter in the graph).

    Args:
        lang_logits (`torch.Tensor` of shape `(num_examples, num_languages)`): the discriminator's logits.
        lang_labels (`torch.Tensor` of shape `(num_examples,)`): language ids, -100 for unknown.
    """
    lang_labels = lang_labels.to(lang_logits.device).view(-1)
    if not (lang_labels != -100).any():
        return lang_logits.sum() * 0.0
    return F.cross_entropy(lang_logits.float(), lang_labels, ignore_index=-100)


def discriminator_accuracy(lang_logits: torch.Tensor, lang_labels: torch.Tensor) -> torch.Tensor:
    """Share of the labelled examples (label != -100) whose language the discriminator predicts; NaN if none.

    Near ``1 / num_languages`` the representations carry little language identity (the aim of adversarial
    training); near 1 the discriminator still tells the languages apart.

    Args:
        lang_logits (`torch.Tensor` of shape `(num_examples, num_languages)`): the discriminator's logits.
        lang_labels (`torch.Tensor` of shape `(num_examples,)`): language ids, -100 for unknown.

    Example:

    ```python
    >>> discriminator_accuracy(torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]]), torch.tensor([0, 0, -100]))
    tensor(0.5000)
    ```
    """
    with torch.no_grad():
        lang_labels = lang_labels.to(lang_logits.device).view(-1)
        labelled = lang_labels != -100
        if not labelled.any():
            return torch.tensor(float("nan"), device=lang_logits.device)
        correct = lang_logits.argmax(dim=-1)[labelled] == lang_labels[labelled]
        return correct.float().mean()
