"""Result cache: a graded submission is reused while its content, the pack and the grader are unchanged.

Key = sha256 of (submission bytes, file name as submitted, late flag, the pack's hash, the
grader core's hash). The two hashes are separate on purpose: the pack's covers its own folder
(`assignments/<id>/`, its code included) and `reference_solutions/<id>/`; the core's covers
`grader/` only. So tuning one pack's code (week 2's OCR) regrades that pack alone. Entries are
plain JSON written atomically, so an interrupted run resumes from whatever finished.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from grader import __version__
from grader.atomic import write_text_atomic
from grader.models import Submission, SubmissionResult
from grader.pack import Pack


def content_hash(path: Path) -> str:
    """sha256 of a file, or of a folder's files (relative names + bytes)."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(path)).encode())
                h.update(p.read_bytes())
    else:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def grader_hash() -> str:
    """Hash of the grader core's source (`grader/`, no pack code): changing it invalidates every pack's results."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class ResultCache:
    """JSON files under <cache>/results/<pack id>/."""

    def __init__(self, root: Path, pack: Pack) -> None:
        self.folder = root / "results" / pack.id
        self.pack_hash = pack.content_hash()
        self.grader_hash = grader_hash()

    def key(self, sub: Submission) -> str | None:
        if sub.path is None or not sub.path.exists():
            return None
        parts = [content_hash(sub.path), sub.display_name, str(sub.late), self.pack_hash, self.grader_hash]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, sub: Submission) -> SubmissionResult | None:
        key = self.key(sub)
        if key is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            cached = SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return replace(cached, submission=sub)

    def put(self, sub: Submission, result: SubmissionResult) -> None:
        key = self.key(sub)
        if key is None or result.status == "error":
            return  # grader errors are retried next run
        write_text_atomic(self.folder / f"{key}.json", json.dumps(result.to_json(), ensure_ascii=False))
