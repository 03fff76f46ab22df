"""feedback/<key>.md: a student's result in Korean, then English."""

from __future__ import annotations

from grader.models import CheckResult, Message, SubmissionResult
from grader.pack import Pack
from grader.report.frame import student_name
from grader.report.gradescope import check_title
from grader.report.text import check_label, fmt_points, md_escape, submission_label

NO_CHECKS = Message("채점된 항목이 없습니다.", "No checks were graded.")


def _header(result: SubmissionResult, pack: Pack) -> list[str]:
    sub = result.submission
    status = submission_label(result.status)
    score = f"{fmt_points(result.total)} / {fmt_points(result.max_total)}"
    lines = [
        f"# {pack.title.ko} / {pack.title.en}",
        "",
        f"- 학생 / Student: {md_escape(student_name(result))} ({md_escape(sub.key)})",
        f"- 상태 / Status: {status.ko} / {status.en}",
        f"- 총점 / Total: **{score}**",
    ]
    if sub.late:
        lines.append("- 지각 제출 / Late submission")
    if sub.detail:
        lines.append(f"- 세부 사항 / Details: {md_escape(sub.detail)}")
    return lines


def _check(index: int, check: CheckResult, pack: Pack) -> list[str]:
    title = check_title(check, pack)
    label = check_label(check.status)
    points = f"{fmt_points(check.points)}/{fmt_points(check.max_points)}"
    return [
        f"### {index}. {title.ko} / {title.en}",
        "",
        f"- {label.ko} / {label.en} — {points}",
        f"- 한국어: {check.message.ko}",
        f"- English: {check.message.en}",
        "",
    ]


def feedback_markdown(result: SubmissionResult, pack: Pack) -> str:
    """The feedback file of one student."""
    lines = _header(result, pack) + ["", "## 항목별 결과 / Checks", ""]
    if not result.checks:
        lines += [f"{NO_CHECKS.ko}", "", NO_CHECKS.en, ""]
    for i, check in enumerate(result.checks, 1):
        lines += _check(i, check, pack)
    if result.notes:
        lines += ["## 참고 / Notes", ""]
        lines += [f"- {note.ko}\n  {note.en}" for note in result.notes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
