"""Losses of cross-lingual training: alignment of parallel sentences and the language discriminator's objective."""

from .alignment_loss import ALIGNMENT_LOSS_KINDS, AlignmentLoss
from .discriminator_accuracy import discriminator_accuracy, language_discrimination_loss
from .distributed import gather_with_grad


__all__ = [
    "ALIGNMENT_LOSS_KINDS",
    "AlignmentLoss",
    "discriminator_accuracy",
    "gather_with_grad",
    "language_discrimination_loss",
]
