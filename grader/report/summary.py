"""The run summary: numbers for the terminal (rich) and the top of the HTML page."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.leader.overrides import stale_rows
from grader.models import Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import check_ids, needs_review, order_results, student_name
from grader.report.text import (
    FAILED_STATUSES, MAX_NAME_CHARS, SUBMISSION_STATUSES, clip, fmt_points, plain, submission_label,
)


@dataclass(frozen=True)
class Summary:
    """Headline numbers of one grading run."""

    pack_id: str
    title: Message
    students: int
    graded: int
    mean: float | None
    median: float | None
    max_points: float
    by_status: dict[str, int]
    most_failed: list[tuple[str, int]]  # (check id, students failing it), most first
    pass_rates: dict[str, float]  # check id → share of graded students passing
    needs_review: list[tuple[str, list[str]]]  # (student, check ids)
    report_dir: Path | None = None
    warnings: list[Message] = field(default_factory=list)  # run-level problems, shown loudly
    skipped: list[tuple[str, Message]] = field(default_factory=list)  # files that are not students, and why


def _status_counts(results: list[SubmissionResult]) -> dict[str, int]:
    counts = Counter(r.status for r in results)
    ordered = {s: counts[s] for s in SUBMISSION_STATUSES if counts[s]}
    ordered.update({s: n for s, n in sorted(counts.items()) if s not in ordered})
    return ordered


def _failures(graded: list[SubmissionResult], ids: list[str]) -> list[tuple[str, int]]:
    counts = Counter(c.id for r in graded for c in r.checks if c.status in FAILED_STATUSES)
    ranked = sorted((i for i in ids if counts[i]), key=lambda i: (-counts[i], ids.index(i)))
    return [(i, counts[i]) for i in ranked]


def _pass_rates(graded: list[SubmissionResult], ids: list[str]) -> dict[str, float]:
    passed = Counter(c.id for r in graded for c in r.checks if c.status == Status.PASS)
    return {i: (passed[i] / len(graded) if graded else 0.0) for i in ids}


def all_late_warning(results: list[SubmissionResult], pack: Pack) -> Message | None:
    """Every dated submission is after the deadline: almost surely another semester's deadline."""
    dated = [r.submission for r in results if r.submission.submitted_at]
    if not dated or not all(s.late for s in dated):
        return None
    deadline = next((s.extra.get("deadline") for s in dated if s.extra.get("deadline")), "?")
    return Message(
        f"모든 제출물({len(dated)}개)이 마감({deadline}) 이후에 올라왔습니다. 다른 학기의 마감일일 가능성이 큽니다: "
        f"--deadline을 주거나 kubig-class.toml의 [weeks.{pack.id}] deadline에 이번 학기 마감을 설정하세요.",
        f"Every submission ({len(dated)}) is after the deadline ({deadline}): likely the wrong semester's "
        f"deadline: pass --deadline or set it in kubig-class.toml ([weeks.{pack.id}] deadline).",
    )


def stale_warnings(results: list[SubmissionResult], where: str) -> list[Message]:
    """One warning per leader's decision not applied because the student resubmitted since."""
    return [Message(f"{where}:{line}: {key} / {check}: 재제출로 스터디장 결정을 적용하지 않았습니다 (stale: "
                    "resubmitted) — 다시 검토하세요 (grade review).",
                    f"{where}:{line}: {key} / {check}: stale: resubmitted — the leader's decision was made for an "
                    "earlier submission and is not applied; review it again (grade review).")
            for key, check, line in stale_rows(results)]


def run_warnings(results: list[SubmissionResult], pack: Pack, run: dict | None = None) -> list[Message]:
    """Run-level warnings: those the sources reported (run["warnings"]) plus the all-late one."""
    out = [Message(**w) for w in (run or {}).get("warnings", [])]
    out += stale_warnings(results, (run or {}).get("overrides") or "overrides")
    late = all_late_warning(results, pack)
    if late is not None:
        out.append(late)
    return out


def summary(results: list[SubmissionResult], pack: Pack, report_dir: Path | None = None,
            run: dict | None = None) -> Summary:
    """Summarise a run: counts, mean/median of graded totals, most failed checks, reviews, warnings.

    run is the run's JSON-able context (grader.cli: deadline and where it came from, the
    files skipped as not students, the sources' warnings).
    """
    ordered = order_results(results)
    graded = [r for r in ordered if r.status == "graded"]
    totals = [r.total for r in graded]
    ids = check_ids(results, pack)
    return Summary(
        pack_id=pack.id,
        title=pack.title,
        students=len(results),
        graded=len(graded),
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        max_points=pack.max_points,
        by_status=_status_counts(ordered),
        most_failed=_failures(graded, ids),
        pass_rates=_pass_rates(graded, ids),
        needs_review=[(student_name(r), needs_review(r)) for r in ordered if needs_review(r)],
        report_dir=report_dir,
        warnings=run_warnings(results, pack, run),
        skipped=[(s["path"], Message(**s["reason"])) for s in (run or {}).get("skipped", [])],
    )


def _safe(text: object, limit: int = MAX_NAME_CHARS) -> str:
    """Student-derived text for rich: no control characters, capped, markup escaped."""
    return escape(clip(plain(text), limit))


def _headline(s: Summary) -> Table:
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("학생 / students", str(s.students))
    table.add_row("채점 / graded", str(s.graded))
    table.add_row("평균 / mean", f"{fmt_points(s.mean) or '-'} / {fmt_points(s.max_points)}")
    table.add_row("중앙값 / median", f"{fmt_points(s.median) or '-'} / {fmt_points(s.max_points)}")
    for status, n in s.by_status.items():
        label = submission_label(status)
        table.add_row(f"{escape(label.ko)} / {escape(label.en)}", str(n))
    return table


def _failed_table(s: Summary, limit: int) -> Table:
    table = Table(title="가장 많이 틀린 항목 / most failed checks")
    table.add_column("check")
    table.add_column("실패 / failed", justify="right")
    for check_id, n in s.most_failed[:limit]:
        table.add_row(escape(check_id), f"{n} / {s.graded}")
    return table


def render_summary(s: Summary, console: Console | None = None, limit: int = 5) -> None:
    """Print the summary to a rich console (markup in student names is escaped)."""
    console = console or Console()
    console.print(f"[bold]{escape(s.title.ko)} / {escape(s.title.en)}[/] ({escape(s.pack_id)})")
    console.print(_headline(s))
    for warning in s.warnings:
        console.print(f"[bold red]경고 / WARNING:[/] {_safe(warning.ko, 2000)}\n  {_safe(warning.en, 2000)}")
    if s.most_failed:
        console.print(_failed_table(s, limit))
    if s.needs_review:
        console.print("[bold yellow]검토 필요 / needs review[/]")
        for name, ids in s.needs_review:
            console.print(f"  • {_safe(name)}: {_safe(', '.join(ids))}")
    if s.skipped:
        console.print(f"[bold]학생 제출물이 아니라 건너뛴 파일 / skipped, not students[/] ({len(s.skipped)})")
        for path, reason in s.skipped[:limit * 6]:
            console.print(f"  • {_safe(path)}: {_safe(reason.ko)} / {_safe(reason.en)}")
        if len(s.skipped) > limit * 6:
            console.print(f"  … +{len(s.skipped) - limit * 6} (scores.json: run.skipped)")
    if s.report_dir is not None:
        console.print(f"보고서 / report: {escape(str(s.report_dir))}")
