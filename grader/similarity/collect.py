"""The code the similarity hint compares: each student's notebook, the pack's template and reference."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader.intake.artifacts import open_submission
from grader.models import Submission
from grader.pack import Pack
from grader.similarity.compare import StudentCode

MAX_NOTEBOOK_BYTES = 20_000_000


def notebook_cells(path: Path) -> tuple[tuple[int, str], ...]:
    """(index in the notebook, source) of every code cell; () when the file is not a notebook."""
    import nbformat  # here: a remembered hint (grader.similarity.report) never needs it

    try:
        if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
            return ()
        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # a broken notebook simply has no code to compare
        return ()
    return tuple((i, str(c.get("source", ""))) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code")


def pack_cells(pack: Pack, key: str) -> tuple[tuple[int, str], ...]:
    """The code cells of a notebook the pack's manifest names (template, reference), if any."""
    if key not in pack.raw or not str(pack.raw[key]).endswith(".ipynb"):
        return ()
    return notebook_cells(pack.file(key))


def student_code(submissions: list[Submission], pack: Pack) -> list[StudentCode]:
    """The notebook of every submission that has one (opened by intake, as for grading)."""
    out = []
    scratch = Path(tempfile.mkdtemp(prefix="kubig-similarity-"))
    try:
        for i, sub in enumerate(submissions):
            if sub.path is None or not Path(sub.path).exists():
                continue
            try:
                intake = open_submission(Path(sub.path), scratch / str(i), pack, display_name=sub.display_name)
            except Exception:  # intake never raises for bad input; a bug here must not stop the report
                continue
            cells = notebook_cells(intake.notebook) if intake.notebook is not None else ()
            if cells:
                out.append(StudentCode(sub.key, sub.name or sub.display_name or sub.key, cells))
            shutil.rmtree(scratch / str(i), ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out
