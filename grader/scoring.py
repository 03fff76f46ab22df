"""A submission's total: its checks' points minus the pack's late penalty.

One rule for the grader (grade.py) and for the leader's overrides applied after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.models import CheckResult, Submission
from grader.pack import Pack


def late_penalty(sub: Submission, pack: Pack) -> float:
    """Points the pack's late policy takes from this submission (0 unless late under "penalty")."""
    if sub.late and pack.late.policy == "penalty" and pack.late.penalty_points:
        return float(pack.late.penalty_points)
    return 0.0


def total_points(checks: Iterable[CheckResult], sub: Submission, pack: Pack) -> float:
    """The total: the checks' points minus the late penalty (never below 0), rounded to 0.01."""
    return round(max(0.0, sum(c.points for c in checks) - late_penalty(sub, pack)), 2)
