"""What the student wrote and drew in the notebook: the optimizer comparison (text) and the
loss-curve plots (images), read from plain notebook data."""

from __future__ import annotations

import base64
import re
from typing import Any

QUESTION_RE = re.compile(r"(optimizer|옵티마이저).{0,40}(특징|비교)|(특징|비교).{0,40}(optimizer|옵티마이저)", re.I | re.S)
LABEL_RE = re.compile(r"^\s*[-*]?\s*(sgd|momentum|adagrad)\s*:", re.I)
HEADING_RE = re.compile(r"^\s*#+\s.*$")
PLOT_RE = re.compile(r"\bplt\.|\.plot\(|matplotlib")


def source(cell: Any) -> str:
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(src) if isinstance(src, list) else str(src)


def _strip_images(text: str) -> str:
    return re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)


def _answer_lines(text: str) -> list[str]:
    """The student's own words in a markdown cell: headings dropped, 'SGD:' labels stripped."""
    out = []
    for line in _strip_images(text).splitlines():
        if HEADING_RE.match(line):
            continue
        out.append(LABEL_RE.sub("", line, count=1))
    return out


def _comments(code: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"#(.*)$", code, re.M)]


def _last_plot_cell(cells: list) -> int | None:
    found = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and PLOT_RE.search(source(c))]
    return found[-1] if found else None


def comparison_text(cells: list) -> tuple[str, bool]:
    """(the comparison the student wrote, whether the notebook has the template's question).

    With the question cell (the 2026 template: '문제: 각 optimizer의 특징을 비교해주세요!' and
    '- SGD:' … '- adagrad:' lines): its text minus the heading and labels, plus every markdown
    cell and code comment after it. Older templates ask no written question: then the
    markdown and comments after the last plotting cell are taken.
    """
    question = next((i for i, c in reversed(list(enumerate(cells))) if c.get("cell_type") == "markdown"
                     and QUESTION_RE.search(source(c))
                     and ("문제" in source(c) or any(LABEL_RE.match(line) for line in source(c).splitlines()))), None)
    start = question if question is not None else (_last_plot_cell(cells) or len(cells) - 1) + 1
    parts: list[str] = []
    for cell in cells[start:]:
        if cell.get("cell_type") == "markdown":
            parts += _answer_lines(source(cell))
        elif cell.get("cell_type") == "code":
            parts += _comments(source(cell))
    return "\n".join(p for p in parts if p.strip()), question is not None


def letters(text: str) -> int:
    """Letters and digits (any script) in text: spaces and punctuation do not count."""
    return len(re.sub(r"[\W_]", "", text))


def plot_images(cells: list) -> list[tuple[int, bytes]]:
    """(cell index, PNG bytes) of every image output of a code cell that plots."""
    out = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            png = data.get("image/png")
            if isinstance(png, list):
                png = "".join(png)
            if isinstance(png, str) and png:
                try:
                    out.append((i, base64.b64decode(png, validate=False)))
                except ValueError:
                    continue
    return out
