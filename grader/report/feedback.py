"""feedback/<key>.md: a student's result in Korean, then English.

Everything that may come from a student (names, keys, file names, check messages that quote
an exception, notes that list zip entries, the source's review flags) goes through
`md_escape` (one line) or `md_field` (a fenced block when it spans lines), capped in length;
long lists are cut with "… and N more". Only our own labels are Markdown.
"""

from __future__ import annotations

from grader.models import CheckResult, Message, SubmissionResult
from grader.pack import Pack
from grader.report.frame import extension_deadline, leader_decided, review_flags, student_name
from grader.report.gradescope import check_title
from grader.report.text import (
    capped, check_label, fmt_points, md_escape, md_field, more_line, submission_label,
)

NO_CHECKS = Message("채점된 항목이 없습니다.", "No checks were graded.")
REVIEW_HEAD = Message("스터디장 검토 필요", "For the session leader to review")
LEADER = Message("스터디장 판정", "Session leader's decision")


def _header(result: SubmissionResult, pack: Pack) -> list[str]:
    sub = result.submission
    status = submission_label(result.status)
    score = f"{fmt_points(result.total)} / {fmt_points(result.max_total)}"
    lines = [
        f"# {md_escape(pack.title.ko)} / {md_escape(pack.title.en)}",
        "",
        f"- 학생 / Student: {md_escape(student_name(result), 120)} ({md_escape(sub.key, 120)})",
        f"- 상태 / Status: {status.ko} / {status.en}",
        f"- 총점 / Total: **{score}**",
    ]
    extension = extension_deadline(result)
    if extension:
        lines.append(f"- 마감 연장 / Extended deadline: {md_escape(extension, 80)}")
    if sub.late:
        lines.append("- 지각 제출 / Late submission")
    if sub.detail:
        lines += md_field("- 세부 사항 / Details:", sub.detail)
    return lines


def _check(index: int, check: CheckResult, pack: Pack) -> list[str]:
    title = check_title(check, pack)
    label = check_label(check.status)
    points = f"{fmt_points(check.points)}/{fmt_points(check.max_points)}"
    return [
        f"### {index}. {md_escape(title.ko)} / {md_escape(title.en)}",
        "",
        f"- {label.ko} / {label.en} — {points}",
        *_decision(check),
        *md_field("- 한국어:", check.message.ko),
        *md_field("- English:", check.message.en),
        "",
    ]


def _decision(check: CheckResult) -> list[str]:
    """The session leader's decision and comment (a stale one is the leader's business, not shown)."""
    if not leader_decided(check):
        return []
    d = check.decision
    assert d is not None
    was = check_label(d.original_status) if d.original_status is not None else None
    lines = [f"- {LEADER.ko} / {LEADER.en}"
             + (f" (자동 채점 / grader: {was.ko} / {was.en}, {fmt_points(d.original_points)})" if was else "")]
    if d.comment:
        lines += md_field("- 스터디장 의견 / Leader's comment:", d.comment)
    return lines


def _messages(head: Message, messages: list[Message]) -> list[str]:
    shown, left_out = capped(messages)
    lines = [f"## {head.ko} / {head.en}", ""]
    for note in shown:
        lines += md_field("-", note.ko)
        lines += md_field("  ", note.en)
    if left_out:
        more = more_line(left_out)
        lines.append(f"- {more.ko}\n  {more.en}")
    lines.append("")
    return lines


def feedback_markdown(result: SubmissionResult, pack: Pack) -> str:
    """The feedback file of one student."""
    lines = _header(result, pack)
    flags = review_flags(result)
    if flags:
        lines += ["", *_messages(REVIEW_HEAD, flags)]
    lines += ["", "## 항목별 결과 / Checks", ""]
    if not result.checks:
        lines += [f"{NO_CHECKS.ko}", "", NO_CHECKS.en, ""]
    for i, check in enumerate(result.checks, 1):
        lines += _check(i, check, pack)
    if result.notes:
        lines += _messages(Message("참고", "Notes"), list(result.notes))
    return "\n".join(lines).rstrip() + "\n"
