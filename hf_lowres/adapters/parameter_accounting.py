"""Trainable and total parameters per component of an adapted hf_lowres model."""

from torch import nn


def count_parameters_by_component(model: nn.Module, adapter_names: list[str]) -> dict[str, dict[str, int]]:
    """Counts parameters per component: each adapter, the task head, the LM head, the discriminator, the frozen base.

    Args:
        model: the hf_lowres model, with PEFT layers injected.
        adapter_names: the PEFT adapter names to report on their own.

    Returns:
        `{component: {"trainable": n, "total": n}}`, plus a `"total"` entry over the whole model.
    """
    from .trained_modules import lm_head_parameters, task_head_parameters

    task_head = {id(p) for p in task_head_parameters(model).values()}
    lm_head = {id(p) for p in lm_head_parameters(model).values()}
    counts: dict[str, dict[str, int]] = {}

    def add(component: str, p: nn.Parameter) -> None:
        entry = counts.setdefault(component, {"trainable": 0, "total": 0})
        entry["total"] += p.numel()
        entry["trainable"] += p.numel() if p.requires_grad else 0

    for name, p in model.named_parameters():
        parts = name.split(".")
        adapter = next((a for a in adapter_names if a in parts), None)
        if adapter is not None:
            add(f"adapter:{adapter}", p)
        elif name.startswith("discriminator."):
            add("discriminator", p)
        elif id(p) in task_head:
            add("task_head", p)
        elif id(p) in lm_head:
            add("lm_head", p)
        else:
            add("base", p)
    counts["total"] = {
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "total": sum(p.numel() for p in model.parameters()),
    }
    return counts


def format_parameter_counts(counts: dict[str, dict[str, int]]) -> str:
    """A plain-text table of `count_parameters_by_component`'s result."""
    width = max(len(name) for name in counts)
    lines = [f"{'component':<{width}}  {'trainable':>12}  {'total':>12}  {'% trainable':>11}"]
    for name, entry in counts.items():
        share = 100.0 * entry["trainable"] / entry["total"] if entry["total"] else 0.0
        lines.append(f"{name:<{width}}  {entry['trainable']:>12,}  {entry['total']:>12,}  {share:>10.2f}%")
    return "\n".join(lines)
