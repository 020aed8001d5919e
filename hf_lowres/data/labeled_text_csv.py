"""CSV files of labeled texts, `id,text,label`, as NusaX-Senti and NusaParagraph ship them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from datasets import Dataset, Features

from .cleaning import CleaningReport
from .errors import CorpusFormatError
from .text_reading import column_position, iter_csv


logger = logging.getLogger(__name__)


def read_labeled_text_csv(
    path: str | os.PathLike, lang: str, labels: list[str], features: Features, drop_empty: bool = True
) -> Dataset:
    """Reads a `id,text,label` CSV into ``id``, ``text``, ``label`` (the index in `labels`) and ``lang`` columns.

    A row with an empty text is counted, logged and (with `drop_empty`) dropped.

    Raises:
        FileNotFoundError: no such file.
        CorpusFormatError: a missing column or one named twice, a label not in `labels`, an id used twice (both
            lines named), a blank line, a header without rows or no row with text, a malformed CSV record.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    records = iter_csv(path, ",", "a header `id,text,label` then one row per text")
    _, header = next(records)
    missing = [c for c in ("text", "label") if c not in header]
    if missing:
        raise CorpusFormatError(f"missing column(s) {missing}; columns found: {header}.", path, 1)
    id_pos = column_position(header, "id", path) if "id" in header else None
    text_pos, label_pos = column_position(header, "text", path), column_position(header, "label", path)
    columns = {"id": [], "text": [], "label": [], "lang": []}
    report = CleaningReport(str(path))
    id_lines = {}
    for line, row in records:
        if not row:
            raise CorpusFormatError("a blank line; expected a row `id,text,label`.", path, line)
        report.total += 1
        label = row[label_pos].strip()
        if label not in labels:
            raise CorpusFormatError(f"unknown label {label!r}; expected one of {labels}.", path, line)
        row_id = row[id_pos] if id_pos is not None else str(report.total - 1)
        if row_id in id_lines:
            raise CorpusFormatError(
                f"id {row_id!r} was already used on line {id_lines[row_id]}; expected a unique id per row.", path, line
            )
        id_lines[row_id] = line
        text = row[text_pos]
        if not text.strip():
            report.empty += 1
            if drop_empty:
                report.dropped += 1
                continue
        columns["id"].append(row_id)
        columns["text"].append(text)
        columns["label"].append(labels.index(label))
        columns["lang"].append(lang)
    if not report.total:
        raise CorpusFormatError("the file has a header but no rows.", path)
    if report.empty:
        logger.warning(
            "%s: read %d rows; %d with an empty text, %s; kept %d.",
            path,
            report.total,
            report.empty,
            "dropped" if drop_empty else "kept (drop_empty=False)",
            report.kept,
        )
    report.check_has_text("rows `id,text,label` with a non-empty text")
    return Dataset.from_dict(columns, features=features)
