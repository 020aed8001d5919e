"""Pooling of token representations into one vector per sequence."""

import torch


POOLING_STRATEGIES = ("mean", "cls", "last")


def pool_hidden_states(
    hidden_states: torch.Tensor, attention_mask: torch.Tensor | None, strategy: str = "mean"
) -> torch.Tensor:
    """Pools `(batch, seq_len, hidden)` token states into `(batch, hidden)`.

    Args:
        hidden_states (`torch.Tensor`): token representations.
        attention_mask (`torch.Tensor`, *optional*): 1 for real tokens, 0 for padding (left or right).
        strategy (`str`): ``"mean"`` (mean over real tokens), ``"cls"`` (the first token, for BERT-like encoders)
            or ``"last"`` (the last real token, for decoder-only models; works with left and right padding).
    """
    if strategy == "cls":
        return hidden_states[:, 0]
    if attention_mask is None:
        return hidden_states.mean(dim=1) if strategy == "mean" else hidden_states[:, -1]
    if strategy == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden_states.dtype)
        return (hidden_states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    if strategy == "last":
        positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
        last_positions = (attention_mask.long() * positions).argmax(dim=1)
        return hidden_states[torch.arange(hidden_states.shape[0], device=hidden_states.device), last_positions]
    raise ValueError(f"unknown pooling strategy {strategy!r}; expected one of {POOLING_STRATEGIES}")
