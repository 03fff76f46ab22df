"""Hand-written labels for real submissions, and the assertion that a grade agrees with them.

A label names the row status, and every check that does not get full marks with its status
and points; every other check must pass with full marks. The labels come from reading each
notebook and looking at each screenshot (the reasons are written next to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.models import Status, SubmissionResult

PASS, FAIL, REVIEW = Status.PASS, Status.FAIL, Status.NEEDS_REVIEW


@dataclass(frozen=True)
class Label:
    status: str  # the row status: "graded", "misnamed", …
    not_full: dict[str, tuple[Status, float]] = field(default_factory=dict)  # check → (status, points)
    why: str = ""


def disagreements(result: SubmissionResult, label: Label) -> list[str]:
    """Every way the graded result differs from the label (empty: they agree)."""
    found = [f"status {result.status} (label {label.status})"] if result.status != label.status else []
    for c in result.checks:
        want = label.not_full.get(c.id)
        if want is None:
            if c.status != PASS or c.points != c.max_points:
                found.append(f"{c.id}: {c.status} {c.points:g}/{c.max_points:g}, label: full marks — {c.message.en[:300]}")
        elif (c.status, c.points) != want:
            found.append(f"{c.id}: {c.status} {c.points:g}/{c.max_points:g}, label: {want[0]} {want[1]:g} — {c.message.en[:300]}")
    unknown = set(label.not_full) - {c.id for c in result.checks}
    found += [f"{cid}: labelled but not graded" for cid in sorted(unknown)]
    return found
