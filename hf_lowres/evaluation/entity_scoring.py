"""Entity-level precision, recall and F1 for named-entity recognition, as in the CoNLL shared tasks.

A tested re-implementation of the chunking rules of the CoNLL-2000 ``conlleval`` script (the default mode of
`seqeval`), so that hf_lowres scores NER without an extra dependency. IOB1, IOB2 (BIO) and IOBES tags are read.
"""

from __future__ import annotations

from collections.abc import Sequence


def _split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "_")``; a bare ``"PER"`` is read as an inside tag."""
    if tag in ("O", "", "-"):
        return "O", "_"
    prefix, _, entity_type = tag.partition("-")
    if prefix in ("B", "I", "E", "S", "L", "U") and entity_type:
        # BILOU spelling of IOBES.
        prefix = {"L": "E", "U": "S"}.get(prefix, prefix)
        return prefix, entity_type
    if len(tag) == 1 and tag in "BIES":
        return tag, "_"
    return "I", tag


def _ends_chunk(prev_prefix: str, prefix: str, prev_type: str, entity_type: str) -> bool:
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix != "O" and prev_type != entity_type


def _starts_chunk(prev_prefix: str, prefix: str, prev_type: str, entity_type: str) -> bool:
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix != "O" and prev_type != entity_type


def get_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """The entity spans of one tagged sentence, following ``conlleval``'s chunking rules.

    An inside tag that does not continue an entity of its type starts a new one (IOB1 behaviour), as in
    ``conlleval`` and `seqeval`'s default mode.

    Args:
        tags (`Sequence[str]`): one tag per token, e.g. ``["B-PER", "I-PER", "O", "B-LOC"]``.

    Returns:
        `list[tuple[str, int, int]]`: ``(type, first_token, last_token)`` per entity, last index inclusive.

    Example:

    ```python
    >>> get_entities(["B-PER", "I-PER", "O", "I-LOC"])
    [('PER', 0, 1), ('LOC', 3, 3)]
    ```
    """
    entities = []
    prev_prefix, prev_type, start = "O", "_", 0
    for index, tag in enumerate(list(tags) + ["O"]):
        prefix, entity_type = _split_tag(tag)
        if _ends_chunk(prev_prefix, prefix, prev_type, entity_type):
            entities.append((prev_type, start, index - 1))
        if _starts_chunk(prev_prefix, prefix, prev_type, entity_type):
            start = index
        prev_prefix, prev_type = prefix, entity_type
    return entities


def entity_f1_score(
    predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]
) -> dict[str, float | dict[str, dict[str, float]]]:
    """Micro-averaged entity-level precision, recall and F1 over a corpus of tagged sentences.

    An entity counts as correct only when its type and both boundaries match a gold entity exactly (Tjong Kim Sang
    & De Meulder, 2003, "Introduction to the CoNLL-2003 Shared Task: Language-Independent Named Entity
    Recognition").

    Args:
        predictions (`Sequence[Sequence[str]]`): predicted tags, one list per sentence.
        references (`Sequence[Sequence[str]]`): gold tags, aligned with `predictions`.

    Returns:
        `dict`: ``entity_precision``, ``entity_recall``, ``entity_f1`` and ``token_accuracy`` (0-1), plus
        ``per_type``: entity type -> ``{"precision", "recall", "f1", "support"}``.

    Raises:
        ValueError: when the number of sentences, or of tags in a sentence, differs.
    """
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predicted sentences for {len(references)} references")
    true_entities, pred_entities = set(), set()
    correct_tokens = total_tokens = 0
    for sentence, (pred_tags, gold_tags) in enumerate(zip(predictions, references)):
        if len(pred_tags) != len(gold_tags):
            raise ValueError(f"sentence {sentence}: {len(pred_tags)} predicted tags for {len(gold_tags)} gold tags")
        true_entities.update((sentence, *entity) for entity in get_entities(gold_tags))
        pred_entities.update((sentence, *entity) for entity in get_entities(pred_tags))
        correct_tokens += sum(p == g for p, g in zip(pred_tags, gold_tags))
        total_tokens += len(gold_tags)

    def _scores(gold: set, pred: set) -> dict[str, float]:
        correct = len(gold & pred)
        precision = correct / len(pred) if pred else 0.0
        recall = correct / len(gold) if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": len(gold)}

    per_type = {}
    for entity_type in sorted({entity[1] for entity in true_entities | pred_entities}):
        per_type[entity_type] = _scores(
            {e for e in true_entities if e[1] == entity_type}, {e for e in pred_entities if e[1] == entity_type}
        )
    overall = _scores(true_entities, pred_entities)
    return {
        "entity_precision": overall["precision"],
        "entity_recall": overall["recall"],
        "entity_f1": overall["f1"],
        "token_accuracy": correct_tokens / total_tokens if total_tokens else 0.0,
        "per_type": per_type,
    }
