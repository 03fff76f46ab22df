"""The sections of report.html a leader works from: what needs review, pass rates, the most
common mistakes, and one collapsible section per student.

Everything student-derived (names, keys, messages, cell sources, image names) goes through
markup.e/t/pre; images only through markup.image. Anchors are numbered by row, never built
from student text.
"""

from __future__ import annotations

from grader.models import CheckResult, Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import needs_review, review_flags, student_name
from grader.report.gradescope import check_title
from grader.report.markup import e, image, pre, t
from grader.report.mistakes import Mistake
from grader.report.summary import Summary
from grader.report.text import MAX_LIST_ITEMS, capped, check_label, fmt_points, more_line, submission_label

L = Message  # a bilingual label

REVIEW_HEAD = L("검토가 필요한 항목", "Needs your review")
REVIEW_HELP = L("채점기가 판단하지 못해 점수를 주지 않은 항목입니다. 이미지와 메시지를 보고 결정하세요.",
                "The grader could not decide these and gave no points; look at the images and messages and decide.")
NOTHING_TO_REVIEW = L("검토할 항목이 없습니다.", "Nothing needs review.")
RATES_HEAD = L("항목별 통과율", "Pass rate per check")
MISTAKES_HEAD = L("자주 나온 실수", "Most common mistakes")
MISTAKES_HELP = L("같은 메시지(숫자만 다른 것 포함)를 받은 학생 수입니다. 다음 세션 준비에 쓰세요.",
                  "Students who got the same message (numbers aside): material for the next session.")
NO_MISTAKES = L("여러 학생이 같은 메시지를 받은 실패는 없습니다.", "No failing message was given to more than one student.")
STUDENTS_HEAD = L("학생별 결과", "Each student")
CELLS_HEAD = L("오류가 난 셀 (번호는 0부터)", "Cells that failed (numbered from 0)")
IMAGES_HEAD = L("채점한 이미지", "Images graded")
NO_IMAGES = L("채점한 이미지 없음", "No image was graded")
LEADER_ONLY = L("스터디장 전용", "leaders only")
NOTES_HEAD = L("참고", "Notes")
SOURCE_FLAGS = L("제출 기록 확인 필요", "Submission history to check")
LATE = L("지각", "late")


def _th(labels: list[Message], lang: str) -> str:
    return "<tr>" + "".join(f"<th>{t(x, lang)}</th>" for x in labels) + "</tr>"


def _who(result: SubmissionResult) -> str:
    return f"{e(student_name(result), 120)} <small>({e(result.submission.key, 120)})</small>"


def _link(index: int, result: SubmissionResult) -> str:
    return f'<a href="#student-{index}">{_who(result)}</a>'


def _images(result: SubmissionResult, lang: str, css: str) -> str:
    shots = "".join(image(p, css) for p in result.images)
    return f'<div class="images">{shots}</div>' if shots else f"<p><em>{t(NO_IMAGES, lang)}</em></p>"


def _diagnostics(check: CheckResult, lang: str) -> str:
    if not check.diagnostics:
        return ""
    items = "".join(f"<li>{t(d, lang)}</li>" for d in check.diagnostics)
    return f'<div class="diag"><small>{t(LEADER_ONLY, lang)}</small><ul>{items}</ul></div>'


# ------------------------------------------------------------------------------ needs review


def review_section(results: list[SubmissionResult], pack: Pack, lang: str) -> str:
    """Every needs-review check and every flag of the submission's history, with the images."""
    items = []
    for index, result in enumerate(results):
        if not needs_review(result):
            continue
        checks = [c for c in result.checks if c.status == Status.NEEDS_REVIEW]
        rows = "".join(
            f'<li><strong>{t(check_title(c, pack), lang)}</strong> <code>{e(c.id)}</code>: '
            f"{t(c.message, lang)}{_diagnostics(c, lang)}</li>" for c in checks)
        rows += "".join(f"<li><strong>{t(SOURCE_FLAGS, lang)}</strong>: {t(flag, lang)}</li>"
                        for flag in review_flags(result))
        items.append(
            f'<div class="review-item"><h3>{_link(index, result)} · '
            f"{t(submission_label(result.status), lang)}</h3><ul>{rows}</ul>"
            f'{_images(result, lang, "shot review-shot")}</div>')
    body = "".join(items) or f"<p>{t(NOTHING_TO_REVIEW, lang)}</p>"
    return (f'<section id="review"><h2>{t(REVIEW_HEAD, lang)} ({len(items)})</h2>'
            f"<p><small>{t(REVIEW_HELP, lang)}</small></p>{body}</section>")


# ------------------------------------------------------------------------------ pass rates


def pass_rate_table(s: Summary, pack: Pack, lang: str) -> str:
    """Per check: students passing / students who submitted a notebook, and the share."""
    titles = {c.id: c.title for c in pack.checks}
    head = _th([L("항목", "Check"), L("제목", "Title"), L("통과", "Passed"), L("통과율", "Pass rate")], lang)
    rows = []
    for check_id, rate in s.pass_rates.items():
        title = t(titles[check_id], lang) if check_id in titles else ""
        rows.append(f'<tr data-check="{e(check_id)}"><td><code>{e(check_id)}</code></td><td>{title}</td>'
                    f'<td class="num">{s.passed.get(check_id, 0)} / {s.with_notebook}</td>'
                    f'<td class="num">{100 * rate:.0f}%</td></tr>')
    what = L(f"노트북을 제출한 학생 {s.with_notebook}명 기준 (파일 이름 오류·지각·실행 오류 포함)",
             f"over the {s.with_notebook} students who submitted a notebook (misnamed, late and failing ones included)")
    return (f'<section id="pass-rates"><h2>{t(RATES_HEAD, lang)}</h2><p><small>{t(what, lang)}</small></p>'
            f'<table class="rates"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></section>')


# ------------------------------------------------------------------------------ mistakes


def mistakes_section(mistakes: list[Mistake], pack: Pack, lang: str, limit: int = 25) -> str:
    """The failing messages several students got, grouped and counted, most frequent first."""
    titles = {c.id: c.title for c in pack.checks}
    head = _th([L("학생 수", "Students"), L("항목", "Check"), L("메시지 (예)", "Message (example)"),
                L("학생", "Who")], lang)
    common = [m for m in mistakes if m.count >= 2]
    rows = []
    for m in common[:limit]:
        title = t(titles[m.check_id], lang) if m.check_id in titles else e(m.check_id)
        names, left_out = capped(list(m.students), MAX_LIST_ITEMS)
        who = ", ".join(e(n, 120) for n in names) + (f" {t(more_line(left_out), lang)}" if left_out else "")
        rows.append(f'<tr class="mistake"><td class="num">{m.count}</td><td>{title}<br><code>{e(m.check_id)}</code></td>'
                    f'<td class="msg">{t(m.example, lang)}</td><td class="msg">{who}</td></tr>')
    body = (f'<table class="mistakes"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
            if rows else f"<p>{t(NO_MISTAKES, lang)}</p>")
    rest = len(mistakes) - len(common[:limit])
    if rest:
        body += f"<p><small>{t(L(f'그 밖의 실패 메시지 {rest}개는 학생별 결과에 있습니다.', f'{rest} other failing messages (one student each, or beyond the first {limit}) are in each student section.'), lang)}</small></p>"
    return (f'<section id="mistakes"><h2>{t(MISTAKES_HEAD, lang)}</h2>'
            f"<p><small>{t(MISTAKES_HELP, lang)}</small></p>{body}</section>")


# ------------------------------------------------------------------------------ students


def check_row(check: CheckResult, pack: Pack, lang: str) -> str:
    """One check of a student: title, status, points, message (and leader-only diagnostics)."""
    status = str(check.status)
    return (f'<tr class="{e(status)}" data-check="{e(check.id)}"><td>{t(check_title(check, pack), lang)}<br>'
            f"<code>{e(check.id)}</code></td><td>{t(check_label(check.status), lang)}</td>"
            f'<td class="num">{fmt_points(check.points)} / {fmt_points(check.max_points)}</td>'
            f'<td class="msg">{t(check.message, lang)}{_diagnostics(check, lang)}</td></tr>')


def _cells(result: SubmissionResult, lang: str) -> str:
    if not result.failing_cells:
        return ""
    items = "".join(
        f"<li>[{c.index}] {e(c.status)}: <code>{e(c.ename)}</code> {e(c.evalue)}{pre(c.source) if c.source else ''}</li>"
        for c in result.failing_cells)
    return f"<h4>{t(CELLS_HEAD, lang)}</h4><ul class=\"cells\">{items}</ul>"


def _notes(result: SubmissionResult, lang: str) -> str:
    notes = review_flags(result) + list(result.notes)
    parts = [f"<p>{e(result.submission.detail, 2000)}</p>"] if result.submission.detail else []
    if notes:
        shown, left_out = capped(notes)
        items = "".join(f"<li>{t(n, lang)}</li>" for n in shown)
        if left_out:
            items += f"<li>{t(more_line(left_out), lang)}</li>"
        parts.append(f"<h4>{t(NOTES_HEAD, lang)}</h4><ul>{items}</ul>")
    return "".join(parts)


def student_section(index: int, result: SubmissionResult, pack: Pack, lang: str) -> str:
    """A <details> block: every check's message, the failing cells and the images graded."""
    badges = []
    if needs_review(result):
        badges.append(f'<span class="badge needs-review">{t(check_label(Status.NEEDS_REVIEW), lang)}</span>')
    if result.submission.late:
        badges.append(f'<span class="badge late">{t(LATE, lang)}</span>')
    head = _th([L("항목", "Check"), L("결과", "Result"), L("점수", "Points"), L("메시지", "Message")], lang)
    checks = "".join(check_row(c, pack, lang) for c in result.checks)
    table = f'<table class="checks"><thead>{head}</thead><tbody>{checks}</tbody></table>' if checks else ""
    images = f"<h4>{t(IMAGES_HEAD, lang)}</h4>{_images(result, lang, 'shot')}" if result.checks else ""
    return (f'<details class="student" id="student-{index}"><summary>{_who(result)} · '
            f"{t(submission_label(result.status), lang)} · "
            f"<strong>{fmt_points(result.total)} / {fmt_points(result.max_total)}</strong> {''.join(badges)}</summary>"
            f"{table}{_cells(result, lang)}{images}{_notes(result, lang)}</details>")


def students_section(results: list[SubmissionResult], pack: Pack, lang: str) -> str:
    body = "".join(student_section(i, r, pack, lang) for i, r in enumerate(results))
    return f'<section id="students"><h2>{t(STUDENTS_HEAD, lang)} ({len(results)})</h2>{body}</section>'
