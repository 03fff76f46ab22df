"""What the leader's report shows beside the checks: the images graded and the cells that failed."""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from grader.execute.kernel import Execution
from grader.models import FailingCell, Intake
from grader.pack import Pack

MAX_CELLS = 10
MAX_SOURCE_LINES = 15
MAX_SOURCE_CHARS = 1500
MAX_EVALUE_CHARS = 500


def graded_images(intake: Intake, pack: Pack) -> list[tuple[Path, str]]:
    """(path, name in the submission) of every usable file of the pack's image roles (each
    role's chosen one first)."""
    pairs: list[tuple[Path, str]] = []
    for role in pack.artifacts.roles:
        if role.kind != "image":
            continue
        paths = [Path(p) for p in intake.extra.get(f"{role.id}_candidates", ())]
        names = list(intake.extra.get(f"{role.id}_names", ()))
        if len(names) != len(paths):
            names = [p.name for p in paths]
        pairs += [(p, str(n)) for p, n in zip(paths, names) if p.is_file()]
    return pairs


def failing_cells(execution: Execution | None, nb: NotebookNode | None) -> tuple[FailingCell, ...]:
    """The cells that raised or timed out, with the error and the first lines of their source."""
    if execution is None:
        return ()
    out = []
    for cell in execution.error_cells[:MAX_CELLS]:
        source = ""
        if nb is not None and 0 <= cell.index < len(nb.cells):
            lines = str(nb.cells[cell.index].get("source", "")).splitlines()
            source = "\n".join(lines[:MAX_SOURCE_LINES])[:MAX_SOURCE_CHARS]
            if len(lines) > MAX_SOURCE_LINES:
                source += f"\n… (+{len(lines) - MAX_SOURCE_LINES} lines)"
        out.append(FailingCell(cell.index, cell.status, cell.ename, cell.evalue[:MAX_EVALUE_CHARS], source))
    return tuple(out)
