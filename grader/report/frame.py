"""The score table: one pandas row per student, one column per check."""

from __future__ import annotations

from typing import Any

import pandas as pd

from grader.models import CheckResult, Message, Status, SubmissionResult
from grader.pack import Pack

LEAD_COLUMNS: tuple[str, ...] = (
    "cohort", "name", "key", "source_path", "commit", "submitted_at", "late", "status",
)
TAIL_COLUMNS: tuple[str, ...] = (
    "total", "max_total", "isolation", "needs_review", "leader_decisions", "stale_overrides", "extension",
    "submission_hash",
)
LIST_COLUMNS: tuple[str, ...] = ("needs_review", "leader_decisions", "stale_overrides")
STALE = Message("재제출로 스터디장 결정 미적용 (stale: resubmitted)", "stale: resubmitted")


def check_ids(results: list[SubmissionResult], pack: Pack) -> list[str]:
    """The pack's check ids in manifest order, then any undeclared ids the results carry."""
    ids = [c.id for c in pack.checks]
    for result in results:
        ids.extend(c.id for c in result.checks if c.id not in ids)
    return ids


def check_column(check_id: str) -> str:
    """The column name of a check (prefixed only when it would clash with a fixed column)."""
    return f"check_{check_id}" if check_id in LEAD_COLUMNS + TAIL_COLUMNS else check_id


def student_name(result: SubmissionResult) -> str:
    """The name shown for a student."""
    sub = result.submission
    return sub.name or sub.display_name or sub.key


def _flags(result: SubmissionResult) -> list[dict]:
    flags = result.submission.extra.get("review") if isinstance(result.submission.extra, dict) else None
    return [f for f in flags or () if isinstance(f, dict)]


def review_flags(result: SubmissionResult) -> list[Message]:
    """What the source flagged about the submission for a person to check (whose upload it is,
    whether its commit date can be trusted): bilingual messages, from Submission.extra["review"]."""
    return [Message(str(f.get("ko", "")), str(f.get("en", ""))) for f in _flags(result)]


def needs_review(result: SubmissionResult) -> list[str]:
    """Ids of the checks a person has to look at (the machine could not decide, or the leader's
    decision is stale: the student resubmitted), then the ids of the source's review flags."""
    ids = [c.id for c in result.checks if c.status == Status.NEEDS_REVIEW or stale(c)]
    return ids + [str(f.get("id", "review")) for f in _flags(result)]


def stale(check: CheckResult) -> bool:
    """The leader decided on an earlier submission: the decision is not applied."""
    return check.decision is not None and check.decision.stale


def leader_decided(check: CheckResult) -> bool:
    """The check's status and points are the leader's decision."""
    return check.decision is not None and not check.decision.stale


def extension_deadline(result: SubmissionResult) -> str | None:
    """The student's own deadline (an extension), when they have one."""
    ext = result.submission.extra.get("extension") if isinstance(result.submission.extra, dict) else None
    return str(ext.get("deadline")) if isinstance(ext, dict) and ext.get("deadline") else None


def _row(result: SubmissionResult, ids: list[str]) -> dict[str, Any]:
    sub = result.submission
    row: dict[str, Any] = {
        "cohort": sub.cohort,
        "name": student_name(result),
        "key": sub.key,
        "source_path": sub.source_path,
        "commit": sub.commit,
        "submitted_at": sub.submitted_at,
        "late": bool(sub.late),
        "status": result.status,
    }
    points = {c.id: c.points for c in result.checks}
    for check_id in ids:
        row[check_column(check_id)] = points.get(check_id)
    row.update(
        total=float(result.total),
        max_total=float(result.max_total),
        isolation=result.isolation,
        needs_review=needs_review(result),
        leader_decisions=[c.id for c in result.checks if leader_decided(c)],
        stale_overrides=[c.id for c in result.checks if stale(c)],
        extension=extension_deadline(result),
        submission_hash=(result.content_hash or "")[:16] or None,
    )
    return row


def scores_frame(results: list[SubmissionResult], pack: Pack) -> pd.DataFrame:
    """One row per student, sorted by cohort then name (students without a cohort last)."""
    ids = check_ids(results, pack)
    columns = [*LEAD_COLUMNS, *(check_column(i) for i in ids), *TAIL_COLUMNS]
    df = pd.DataFrame([_row(r, ids) for r in order_results(results)], columns=columns)
    df["cohort"] = df["cohort"].astype("Int64")
    df["late"] = df["late"].astype(bool)
    for col in [check_column(i) for i in ids] + ["total", "max_total"]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def flat_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table with list cells joined, for CSV/XLSX/Markdown."""
    flat = df.copy()
    for column in LIST_COLUMNS:
        flat[column] = flat[column].map(lambda ids: ", ".join(ids))
    return flat


def order_results(results: list[SubmissionResult]) -> list[SubmissionResult]:
    """Results sorted by cohort (None last), name, key: the order of the table rows."""
    def sort_key(r: SubmissionResult) -> tuple[Any, ...]:
        cohort = r.submission.cohort
        return (cohort is None, cohort or 0, student_name(r), r.submission.key)

    return sorted(results, key=sort_key)
