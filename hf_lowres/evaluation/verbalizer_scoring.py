"""Classification with a causal language model by the likelihood of each label's verbalization.

A decoder answers a classification prompt with free text, which may name no label at all. Scoring instead the
log-likelihood of each label's verbalization as the continuation of the prompt, and taking the likeliest, gives every
example a prediction among the labels: the rank classification of Brown et al. (NeurIPS 2020, "Language Models are
Few-Shot Learners") that xP3 / BLOOMZ (Muennighoff et al., ACL 2023) and lm-evaluation-harness use for
multiple-choice tasks.

Example:

```python
from hf_lowres.evaluation import score_verbalizations

scores = score_verbalizations(model, tokenizer, prompts, ["negative", "neutral", "positive"])
accuracy = sum(p == y for p, y in zip(scores.predictions, labels)) / len(labels)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


__all__ = ["VerbalizerScores", "score_verbalizations"]


@dataclass
class VerbalizerScores:
    """Per example: the index of the likeliest choice, and each choice's log-likelihood (summed over its tokens, or
    their mean with `length_normalized`)."""

    predictions: list[int]
    log_likelihoods: list[list[float]]


def _choices_per_prompt(prompts: Sequence[str], choices) -> list[list[str]]:
    if choices and all(isinstance(choice, str) for choice in choices):
        per_prompt = [list(choices)] * len(prompts)
    else:
        per_prompt = [list(options) for options in choices]
        if len(per_prompt) != len(prompts):
            raise ValueError(f"`choices` has {len(per_prompt)} lists for {len(prompts)} prompts; give one per prompt "
                             "or one list shared by all.")  # fmt: skip
    for i, options in enumerate(per_prompt):
        if not options or any(not isinstance(o, str) or not o for o in options):
            raise ValueError(f"prompt {i}: every choice must be a non-empty string, got {options!r}.")
    return per_prompt


@torch.inference_mode()
def score_verbalizations(
    model,
    tokenizer,
    prompts: Sequence[str],
    choices: Sequence[str] | Sequence[Sequence[str]],
    batch_size: int = 16,
    length_normalized: bool = False,
    max_prompt_length: int | None = None,
) -> VerbalizerScores:
    """Scores each choice as the continuation of its prompt and predicts the likeliest.

    The prompt and the choice are tokenized apart and concatenated (no special tokens added: a chat-templated prompt
    already carries its own), so every choice is scored from the same prompt tokens.

    Args:
        model: a causal LM (a `transformers` model, `LowResForCausalLM`, or a PEFT model around either) whose output
            has `logits`.
        tokenizer: its tokenizer.
        prompts (`Sequence[str]`): the full prompts, e.g. `tokenizer.apply_chat_template(messages, tokenize=False,
            add_generation_prompt=True)`.
        choices: the verbalizations, one list shared by every prompt or one list per prompt.
        batch_size (`int`, defaults to 16): (prompt, choice) sequences per forward pass.
        length_normalized (`bool`, defaults to `False`): the mean log-probability per token instead of the sum (for
            choices of very different lengths).
        max_prompt_length (`int`, *optional*): keep only the last this many prompt tokens.

    Returns:
        `VerbalizerScores`.
    """
    per_prompt = _choices_per_prompt(prompts, choices)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad_id is None:
        raise ValueError("the tokenizer has neither a pad nor an eos token to pad the batches with.")
    sequences = []  # (example, choice, prompt ids, choice ids)
    for i, (prompt, options) in enumerate(zip(prompts, per_prompt)):
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if max_prompt_length is not None:
            prompt_ids = prompt_ids[-max_prompt_length:]
        if not prompt_ids:
            raise ValueError(f"prompt {i} is empty once tokenized: a choice needs a prompt token to follow.")
        for j, option in enumerate(options):
            option_ids = tokenizer(option, add_special_tokens=False)["input_ids"]
            if not option_ids:
                raise ValueError(f"prompt {i}: the choice {option!r} is empty once tokenized.")
            sequences.append((i, j, prompt_ids, option_ids))
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    scores = [[0.0] * len(options) for options in per_prompt]
    # Longest first, so that each batch pads little and the first batch shows the peak memory.
    order = sorted(range(len(sequences)), key=lambda k: -len(sequences[k][2]) - len(sequences[k][3]))
    try:
        for start in range(0, len(order), batch_size):
            batch = [sequences[k] for k in order[start : start + batch_size]]
            length = max(len(p) + len(c) for _, _, p, c in batch)
            input_ids = torch.full((len(batch), length), pad_id, dtype=torch.long)
            attention_mask = torch.zeros((len(batch), length), dtype=torch.long)
            for row, (_, _, prompt_ids, option_ids) in enumerate(batch):
                ids = prompt_ids + option_ids
                input_ids[row, : len(ids)] = torch.tensor(ids)
                attention_mask[row, : len(ids)] = 1
            logits = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)).logits
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            for row, (i, j, prompt_ids, option_ids) in enumerate(batch):
                # The token at position t is predicted by the logits at t - 1.
                positions = torch.arange(len(prompt_ids) - 1, len(prompt_ids) + len(option_ids) - 1)
                targets = torch.tensor(option_ids)
                token_scores = log_probs[row, positions.to(device), targets.to(device)]
                total = float(token_scores.sum())
                scores[i][j] = total / len(option_ids) if length_normalized else total
    finally:
        model.train(was_training)
    predictions = [max(range(len(row)), key=row.__getitem__) for row in scores]
    return VerbalizerScores(predictions=predictions, log_likelihoods=scores)
