"""`score_verbalizations`: each choice's log-likelihood after its prompt, batched and padded, as one unpadded pass
over that sequence alone gives it, and the likeliest choice predicted."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from hf_lowres.evaluation import score_verbalizations
from hf_lowres.testing_utils import tiny_backbone_config, tiny_tokenizer


@pytest.fixture(scope="module")
def model_and_tokenizer():
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(tiny_backbone_config("llama")).eval(), tiny_tokenizer()


def reference_log_likelihood(model, tokenizer, prompt, choice):
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    choice_ids = tokenizer(choice, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + choice_ids])
    with torch.no_grad():
        log_probs = torch.log_softmax(model(input_ids=ids).logits[0], dim=-1)
    return sum(float(log_probs[len(prompt_ids) + k - 1, t]) for k, t in enumerate(choice_ids)), len(choice_ids)


def test_scores_match_one_unpadded_pass_per_sequence_and_predict_the_argmax(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = ["the cat sat on the", "a dog", "the cat sat on the mat and the dog ran to the"]
    choices = ["mat", "dog ran", "cat"]
    scores = score_verbalizations(model, tokenizer, prompts, choices, batch_size=4)  # batches mix lengths
    for i, prompt in enumerate(prompts):
        expected = [reference_log_likelihood(model, tokenizer, prompt, c)[0] for c in choices]
        assert scores.log_likelihoods[i] == pytest.approx(expected, abs=1e-4)
        assert scores.predictions[i] == max(range(3), key=expected.__getitem__)
    normalized = score_verbalizations(model, tokenizer, prompts, choices, length_normalized=True)
    total, count = reference_log_likelihood(model, tokenizer, prompts[0], "dog ran")
    assert count > 1 and normalized.log_likelihoods[0][1] == pytest.approx(total / count, abs=1e-4)


def test_a_model_that_always_predicts_one_token_picks_the_choice_made_of_it(model_and_tokenizer):
    _, tokenizer = model_and_tokenizer
    favourite = tokenizer("dog", add_special_tokens=False)["input_ids"]
    assert len(favourite) == 1

    class Rigged(torch.nn.Module):
        def forward(self, input_ids, attention_mask):
            logits = torch.zeros(*input_ids.shape, len(tokenizer))
            logits[..., favourite[0]] = 10.0
            return type("Output", (), {"logits": logits})()

    rigged = Rigged().requires_grad_(False)
    rigged.register_parameter("anchor", torch.nn.Parameter(torch.zeros(1)))  # gives the model a device
    scores = score_verbalizations(rigged, tokenizer, ["the cat", "a"], [["mat", "dog"], ["dog", "cat", "mat"]])
    assert scores.predictions == [1, 0] and len(scores.log_likelihoods[1]) == 3


def test_bad_choices_are_refused_with_the_prompt_they_belong_to(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    with pytest.raises(ValueError, match="2 lists for 3 prompts"):
        score_verbalizations(model, tokenizer, ["a", "b", "c"], [["x"], ["y"]])
    with pytest.raises(ValueError, match="prompt 1: every choice must be a non-empty string"):
        score_verbalizations(model, tokenizer, ["a", "b"], [["x"], ["y", ""]])
    with pytest.raises(ValueError, match="prompt 0 is empty once tokenized"):
        score_verbalizations(model, tokenizer, [""], ["cat"])
