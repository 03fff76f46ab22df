"""Per-student results in Gradescope's autograder results.json format.

The tests' scores add up to the top-level score: when the total differs from the sum of the
check points (late penalty, capped totals, …) an "adjustment" test with max_score 0 carries the
difference.
"""

from __future__ import annotations

from typing import Any

from grader.models import CheckResult, Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import review_flags
from grader.report.text import MAX_BLOCK_CHARS, capped, check_label, clip, fmt_points, more_line, plain, submission_label

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
        "output": f"[{label.ko} / {label.en}]{_leader(check)}\n{_text(check.message.ko)}\n{_text(check.message.en)}",
        "output_format": "text",  # student text (exception messages) is never rendered as HTML/Markdown
        "visibility": "visible",
        "tags": [check.id, str(check.status)],
    }


def _leader(check: CheckResult) -> str:
    """" [스터디장 판정 / Session leader's decision]" and the comment, when the leader decided."""
    d = check.decision
    if d is None or d.stale:
        return ""
    return " [스터디장 판정 / Session leader's decision]" + (f"\n{_text(d.comment)}" if d.comment else "")


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
        lines.append(_text(result.submission.detail))
    notes, left_out = capped(review_flags(result) + list(result.notes))
    lines += [f"{_text(note.ko)}\n{_text(note.en)}" for note in notes]
    if left_out:
        more = more_line(left_out)
        lines.append(f"{more.ko}\n{more.en}")
    return "\n".join(lines)


def _text(text: str) -> str:
    """Student-derived text for Gradescope's plain-text output: no control characters, capped."""
    return clip(plain(text), MAX_BLOCK_CHARS)


def gradescope_json(result: SubmissionResult, pack: Pack) -> dict[str, Any]:
    """The results.json payload of one student."""
    tests = [_test(c, pack) for c in result.checks]
    delta = result.total - sum(c.points for c in result.checks)
    if abs(delta) > EPSILON:
        tests.append(_adjustment(delta))
    return {
        "score": result.total,
        "output": _output(result),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
