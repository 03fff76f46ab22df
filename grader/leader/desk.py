"""What a cohort run applies after the checks and before the report: the leader's decisions.

`Desk.finish` runs on every result, freshly graded or from the result cache (which keeps the
machine's result only), so editing the overrides file never re-executes a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.cache import content_hash
from grader.leader.overrides import Overrides, apply_overrides
from grader.models import Message, SubmissionResult
from grader.pack import Pack


def with_content_hash(result: SubmissionResult) -> SubmissionResult:
    """The result with the sha256 of the graded submission's bytes (None without a submission)."""
    path = result.submission.path
    if result.content_hash or path is None or not path.exists():
        return result
    try:
        return replace(result, content_hash=content_hash(path))
    except OSError:
        return result


@dataclass(frozen=True)
class Desk:
    """The leader's decisions for one run of one pack."""

    pack: Pack
    overrides: Overrides | None = None

    def finish(self, result: SubmissionResult) -> SubmissionResult:
        result = with_content_hash(result)
        if self.overrides is None or not self.overrides.rows:
            return result
        try:
            return apply_overrides(result, self.overrides, self.pack)
        except Exception as exc:  # noqa: BLE001 - a bad decision must not lose the student's row
            note = Message(f"스터디장 결정을 적용하지 못했습니다: {exc}", f"The leader's decisions could not be applied: {exc}")
            return replace(result, notes=(*result.notes, note))
