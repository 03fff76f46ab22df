"""Per-student results in Gradescope's autograder results.json format.

The tests' scores add up to the top-level score: when the total differs from the sum of the
check points (late penalty, capped totals, …) an "adjustment" test with max_score 0 carries the
difference.
"""

from __future__ import annotations

from typing import Any

from grader.models import CheckResult, Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.text import check_label, fmt_points, submission_label

EPSILON = 1e-9


def check_title(check: CheckResult, pack: Pack) -> Message:
    """The check's own title, else the manifest's, else its id."""
    if check.title is not None:
        return check.title
    try:
        return pack.check(check.id).title
    except KeyError:
        return Message(check.id, check.id)


def _test(check: CheckResult, pack: Pack) -> dict[str, Any]:
    title = check_title(check, pack)
    label = check_label(check.status)
    return {
        "name": f"{title.ko} / {title.en}",
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.status == Status.PASS else "failed",
        "output": f"[{label.ko} / {label.en}]\n{check.message.ko}\n{check.message.en}",
        "visibility": "visible",
        "tags": [check.id, str(check.status)],
    }


def _adjustment(delta: float) -> dict[str, Any]:
    return {
        "name": "점수 조정 (지각 감점 등) / Adjustment (late penalty etc.)",
        "score": delta,
        "max_score": 0.0,
        "status": "passed" if delta >= 0 else "failed",
        "output": f"{fmt_points(delta)}",
        "visibility": "visible",
    }


def _output(result: SubmissionResult) -> str:
    label = submission_label(result.status)
    lines = [f"{label.ko} / {label.en}: {fmt_points(result.total)} / {fmt_points(result.max_total)}"]
    if result.submission.detail:
        lines.append(result.submission.detail)
    lines += [f"{note.ko}\n{note.en}" for note in result.notes]
    return "\n".join(lines)


def gradescope_json(result: SubmissionResult, pack: Pack) -> dict[str, Any]:
    """The results.json payload of one student."""
    tests = [_test(c, pack) for c in result.checks]
    delta = result.total - sum(c.points for c in result.checks)
    if abs(delta) > EPSILON:
        tests.append(_adjustment(delta))
    return {
        "score": result.total,
        "output": _output(result),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
