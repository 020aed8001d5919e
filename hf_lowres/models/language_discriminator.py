"""The language discriminator: an MLP that predicts the language of a pooled representation."""

import torch
from torch import nn

from .gradient_reversal import GradientReversal


class LanguageDiscriminator(nn.Module):
    """Predicts the language of a pooled representation, behind a gradient-reversal layer.

    Trained jointly with the encoder, the reversal turns the discriminator's loss into an adversarial signal
    that removes language identity from the representations (Ganin & Lempitsky, 2015; applied to cross-lingual
    transfer by Chen et al., 2018, "Adversarial Deep Averaging Networks for Cross-Lingual Sentiment
    Classification", and Keung et al., 2019, "Adversarial Learning with Contextual Embeddings for Zero-resource
    Cross-lingual Classification and NER").

    Args:
        input_size (`int`): size of the pooled representation.
        num_languages (`int`): number of language classes.
        hidden_size (`int`): width of the hidden layers.
        num_layers (`int`): number of hidden layers; 0 gives a linear classifier.
        dropout (`float`): dropout before every linear layer.
        grl_lambda (`float`): initial strength of the gradient reversal.
    """

    def __init__(
        self,
        input_size: int,
        num_languages: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.1,
        grl_lambda: float = 1.0,
    ):
        super().__init__()
        self.gradient_reversal = GradientReversal(grl_lambda)
        layers: list[nn.Module] = []
        width = input_size
        for _ in range(num_layers):
            layers += [nn.Dropout(dropout), nn.Linear(width, hidden_size), nn.GELU()]
            width = hidden_size
        layers += [nn.Dropout(dropout), nn.Linear(width, num_languages)]
        self.classifier = nn.Sequential(*layers)

    @property
    def grl_lambda(self) -> float:
        return self.gradient_reversal.lambda_

    @grl_lambda.setter
    def grl_lambda(self, value: float) -> None:
        self.gradient_reversal.lambda_ = float(value)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.gradient_reversal(pooled))
