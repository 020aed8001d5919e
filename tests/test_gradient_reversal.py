"""The gradient-reversal layer, numerically, and its effect on language invariance."""

import pytest
import torch
from torch import nn

from hf_lowres import GradientReversal, LowResConfig, LowResModel, reverse_gradient
from hf_lowres.testing_utils import SPECIAL_TOKENS, TINY_VOCAB_SIZE, tiny_backbone_config


@pytest.mark.parametrize("lambda_", [0.0, 0.3, 1.0, 2.5])
def test_gradient_is_reversed_and_scaled(lambda_):
    x = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(5, 7, dtype=torch.float64)

    (reference_grad,) = torch.autograd.grad((x * weights).sum(), x)
    out = reverse_gradient(x, lambda_)
    assert torch.equal(out, x)  # identity forward
    (reversed_grad,) = torch.autograd.grad((out * weights).sum(), x)

    torch.testing.assert_close(reversed_grad, -lambda_ * reference_grad)
    if lambda_ > 0:
        assert torch.all(torch.sign(reversed_grad) == -torch.sign(reference_grad))


def test_module_lambda_changes_at_run_time():
    layer = GradientReversal(1.0)
    x = torch.ones(3, requires_grad=True)
    layer(x).sum().backward()
    assert torch.equal(x.grad, -torch.ones(3))
    layer.lambda_ = 0.5
    x.grad = None
    layer(x).sum().backward()
    assert torch.equal(x.grad, torch.full((3,), -0.5))


def _toy_two_language_batch(generator, batch_size=32, seq_len=10):
    """Shared tokens everywhere, plus 30% language-specific tokens: the language is easy to read off."""
    shared = torch.arange(len(SPECIAL_TOKENS), 80)
    specific = {0: torch.arange(80, 110), 1: torch.arange(110, TINY_VOCAB_SIZE)}
    lang = torch.randint(0, 2, (batch_size,), generator=generator)
    ids = shared[torch.randint(0, len(shared), (batch_size, seq_len), generator=generator)]
    marked = torch.rand(batch_size, seq_len, generator=generator) < 0.5
    for language, vocab in specific.items():
        rows = (lang == language).unsqueeze(1) & marked
        picks = vocab[torch.randint(0, len(vocab), (batch_size, seq_len), generator=generator)]
        ids = torch.where(rows, picks, ids)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}, lang


def _probe_accuracy(model, generator):
    """A fresh logistic-regression probe on frozen pooled representations, scored on held-out batches."""
    model.eval()
    with torch.no_grad():
        train = [_toy_two_language_batch(generator, 64) for _ in range(4)]
        test = [_toy_two_language_batch(generator, 64) for _ in range(2)]
        x_train = torch.cat([model(**b).pooled_output for b, _ in train])
        y_train = torch.cat([lang for _, lang in train])
        x_test = torch.cat([model(**b).pooled_output for b, _ in test])
        y_test = torch.cat([lang for _, lang in test])
    probe = nn.Linear(x_train.shape[1], 2)
    optimizer = torch.optim.Adam(probe.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        nn.functional.cross_entropy(probe(x_train), y_train).backward()
        optimizer.step()
    return (probe(x_test).argmax(-1) == y_test).float().mean().item()


def _train(reverse: bool, seed: int = 0, steps: int = 250) -> float:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    config = LowResConfig(
        text_config=tiny_backbone_config("bert"), languages=["eng", "jav"], discriminator_dropout=0.0
    )
    model = LowResModel(config)
    # lambda -1 passes the discriminator's gradient on unchanged: the same training without reversal.
    model.grl_lambda = 1.0 if reverse else -1.0
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    model.train()
    for _ in range(steps):
        batch, lang = _toy_two_language_batch(generator)
        optimizer.zero_grad()
        model(**batch, lang_labels=lang).loss.backward()
        optimizer.step()
    return _probe_accuracy(model, torch.Generator().manual_seed(seed + 123))


def test_reversal_makes_representations_less_language_identifiable():
    without_reversal = _train(reverse=False)
    with_reversal = _train(reverse=True)
    assert without_reversal > 0.95
    assert with_reversal < 0.75, (with_reversal, without_reversal)
