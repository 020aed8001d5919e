"""Gradient-reversal layer (Ganin & Lempitsky, 2015, "Unsupervised Domain Adaptation by Backpropagation")."""

import torch
from torch import nn


class _GradientReversalFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs: torch.Tensor, lambda_: float) -> torch.Tensor:
        ctx.lambda_ = lambda_
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output.neg() * ctx.lambda_, None


def reverse_gradient(inputs: torch.Tensor, lambda_: float = 1.0) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``-lambda_`` in the backward pass."""
    return _GradientReversalFunction.apply(inputs, float(lambda_))


class GradientReversal(nn.Module):
    """Gradient-reversal layer: identity forward, gradient times ``-lambda_`` backward.

    Placed between an encoder and a domain (here: language) classifier, it makes the encoder *maximise* the
    classifier's loss while the classifier minimises it, which pushes the encoder towards representations from
    which the language cannot be told (Ganin & Lempitsky, 2015).

    Args:
        lambda_ (`float`, defaults to 1.0):
            Strength of the reversal. It is a plain attribute so that a schedule (e.g. the DANN schedule
            ``2 / (1 + exp(-gamma * p)) - 1``) can change it between steps.

    Example:

    ```python
    >>> layer = GradientReversal(lambda_=0.5)
    >>> x = torch.ones(3, requires_grad=True)
    >>> layer(x).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000, -0.5000])
    ```
    """

    def __init__(self, lambda_: float = 1.0):
        super().__init__()
        self.lambda_ = float(lambda_)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return reverse_gradient(inputs, self.lambda_)

    def extra_repr(self) -> str:
        return f"lambda_={self.lambda_}"
