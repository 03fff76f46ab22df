"""Notebook variants for a pack's tests, demo and benchmark: its reference notebook with
(old, new) source replacements (each `old` in exactly one cell) and extra cells appended."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode


@dataclass(frozen=True)
class Variant:
    replace: tuple[tuple[str, str], ...] = ()
    append: tuple[str, ...] = ()
    fails: tuple[str, ...] = ()  # checks expected not to pass (besides naming/artifacts/playground)


def apply_variant(reference: NotebookNode, variant: Variant) -> NotebookNode:
    """A copy of reference with the variant's replacements and appended cells."""
    nb = copy.deepcopy(reference)
    for old, new in variant.replace:
        hits = [c for c in nb.cells if old in c.source]
        if len(hits) != 1:
            raise ValueError(f"replacement target must occur in exactly one cell: {old!r} ({len(hits)})")
        hits[0].source = hits[0].source.replace(old, new, 1)
    for i, src in enumerate(variant.append):
        cell = nbformat.v4.new_code_cell(src)
        cell["id"] = f"extra-{i}"
        nb.cells.append(cell)
    return nb
