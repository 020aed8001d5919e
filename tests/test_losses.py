"""`AlignmentLoss` and the discriminator's loss and accuracy."""

import math

import pytest
import torch
from torch.nn import functional as F

from hf_lowres.losses import (
    ALIGNMENT_LOSS_KINDS,
    AlignmentLoss,
    discriminator_accuracy,
    language_discrimination_loss,
)
from hf_lowres.models import ALIGNMENT_LOSSES


def test_kinds_match_the_model_config():
    assert ALIGNMENT_LOSS_KINDS == ALIGNMENT_LOSSES


def test_mse_and_cosine_values():
    source = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    target = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    assert AlignmentLoss("mse")(source, target).item() == pytest.approx((0 + 1 + 0 + 1) / 4)
    expected_cosine = ((1 - 1 / math.sqrt(2)) + 0.0) / 2
    assert AlignmentLoss("cosine")(source, target).item() == pytest.approx(expected_cosine)
    assert AlignmentLoss("cosine")(source, 3 * source).item() == pytest.approx(0.0, abs=1e-6)


def test_contrastive_is_infonce_with_in_batch_negatives():
    source, target = torch.randn(6, 8), torch.randn(6, 8)
    scores = F.normalize(source, dim=-1) @ F.normalize(target, dim=-1).t() / 0.1
    labels = torch.arange(6)
    one_way = F.cross_entropy(scores, labels)
    both_ways = (one_way + F.cross_entropy(scores.t(), labels)) / 2
    assert AlignmentLoss("contrastive", 0.1, symmetric=False)(source, target).item() == pytest.approx(one_way.item())
    assert AlignmentLoss("contrastive", 0.1)(source, target).item() == pytest.approx(both_ways.item())
    # Matching pairs give a lower loss than random ones; scaling a side changes nothing (cosine similarity).
    loss_fn = AlignmentLoss("contrastive", 0.05)
    assert loss_fn(source, 2 * source + 0.01 * target) < loss_fn(source, target)


def test_contrastive_gradient_pulls_pairs_together():
    source = torch.randn(4, 8, requires_grad=True)
    target = torch.randn(4, 8)
    loss_fn = AlignmentLoss("contrastive", 0.1)
    before = F.cosine_similarity(source, target).mean()
    loss_fn(source, target).backward()
    with torch.no_grad():
        stepped = source - 0.5 * source.grad
    assert F.cosine_similarity(stepped, target).mean() > before


def test_retrieval_accuracy():
    source = torch.eye(4)
    target = torch.eye(4)[[0, 1, 3, 2]]
    _, accuracy = AlignmentLoss("mse")(source, target, return_accuracy=True)
    assert accuracy.item() == pytest.approx(0.5)


def test_validation_and_config():
    with pytest.raises(ValueError, match="`kind` must be one of"):
        AlignmentLoss("l1")
    with pytest.raises(ValueError, match="temperature"):
        AlignmentLoss("contrastive", temperature=0)
    with pytest.raises(ValueError, match="same shape"):
        AlignmentLoss()(torch.zeros(2, 3), torch.zeros(3, 3))
    assert AlignmentLoss("contrastive", 0.05).get_config_dict() == {
        "kind": "contrastive",
        "temperature": 0.05,
        "symmetric": True,
    }
    assert AlignmentLoss("mse").get_config_dict() == {"kind": "mse"}
    assert "oord2018" in AlignmentLoss("contrastive").citation
    assert "cao2020" in AlignmentLoss("cosine").citation


def test_discriminator_loss_and_accuracy_ignore_unlabelled():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]], requires_grad=True)
    labels = torch.tensor([0, 0, -100])
    expected = F.cross_entropy(logits[:2], labels[:2])
    assert language_discrimination_loss(logits, labels).item() == pytest.approx(expected.item())
    assert discriminator_accuracy(logits, labels).item() == pytest.approx(0.5)
    none = torch.full((3,), -100)
    zero = language_discrimination_loss(logits, none)
    assert zero.item() == 0.0 and zero.requires_grad
    zero.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))
    assert math.isnan(discriminator_accuracy(logits, none).item())
