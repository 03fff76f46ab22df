"""report.html: the page a leader works from, one self-contained file (inline CSS, charts and
image previews as data: URIs, no scripts, no fonts or anything else from the network).

Order: warnings, what needs review (with the images), the summary and score histogram, pass
rates per check, the most common mistakes, one collapsible section per student, the score table.
Every string that may come from a student (names, keys, paths, messages) is HTML-escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

import pandas as pd

from grader.models import CheckResult, Message, SubmissionResult
from grader.pack import Pack
from grader.report.charts import histogram_png, pass_rate_png
from grader.report.frame import LIST_COLUMNS, STALE, check_column, check_ids
from grader.report.markup import e, t
from grader.report.mistakes import common_mistakes
from grader.report.sections import mistakes_section, pass_rate_table, review_section, students_section
from grader.report.summary import Summary
from grader.report.text import MAX_NAME_CHARS, capped, check_label, fmt_points, more_line, submission_label

CSS = """
body { font-family: "Nanum Gothic", "NanumGothic", "Noto Sans KR", "Noto Sans CJK KR",
  "Malgun Gothic", "Apple SD Gothic Neo", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; white-space: nowrap; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.num { text-align: right; }
.pass { background: #e6f4ea; } .fail, .error, .timeout { background: #fce8e6; }
.needs-review { background: #fff4ce; } .st-graded { color: #1e7e34; } .st-other { color: #b00020; }
.charts img { max-width: 48%; margin-right: 1%; vertical-align: top; }
dl.stats { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.stats dt { font-weight: bold; }
.scroll { overflow-x: auto; }
section { margin: 1.5em 0; }
#review { border: 2px solid #e0b000; padding: 0 1em 1em; background: #fffbea; }
.review-item { border-top: 1px solid #e8d48a; padding-top: 0.5em; }
td.msg { white-space: normal; max-width: 60em; }
figure.shot { display: inline-block; margin: 0.3em; vertical-align: top; }
figure.shot img { max-width: 360px; border: 1px solid #ccc; }
figure.review-shot img { max-width: min(100%, 960px); }
figure figcaption { font-size: 0.8em; color: #555; }
details.student { border-bottom: 1px solid #ddd; padding: 0.3em 0; }
details.student > summary { cursor: pointer; }
.badge { font-size: 0.8em; padding: 0 0.4em; border-radius: 0.4em; margin-left: 0.3em; }
.badge.needs-review { background: #fff4ce; } .badge.late { background: #fce8e6; }
pre { background: #f6f6f6; padding: 0.4em; white-space: pre-wrap; max-width: 60em; }
.diag { color: #555; }
"""


def _stats(s: Summary, lang: str) -> str:
    items = [
        (Message("학생 수", "Students"), str(s.students)),
        (Message("노트북 제출", "Submitted a notebook"), str(s.with_notebook)),
        (Message("평균 (채점 완료)", "Mean (graded)"), f"{fmt_points(s.mean) or '-'} / {fmt_points(s.max_points)}"),
        (Message("중앙값 (채점 완료)", "Median (graded)"), f"{fmt_points(s.median) or '-'} / {fmt_points(s.max_points)}"),
    ]
    items += [(submission_label(k), str(n)) for k, n in s.by_status.items()]  # "graded" appears once, here
    rows = "".join(f"<dt>{t(label, lang)}</dt><dd>{escape(value)}</dd>" for label, value in items)
    return f'<dl class="stats">{rows}</dl>'


def _warnings(s: Summary, lang: str) -> str:
    """Run-level warnings (in red) and the files skipped as not students."""
    parts = [f'<p style="color:#b00;font-weight:bold">⚠ {t(w, lang)}</p>' for w in s.warnings]
    if s.skipped:
        shown, left_out = capped(s.skipped, 200)
        items = "".join(f"<li>{e(path, MAX_NAME_CHARS)}: {t(reason, lang)}</li>" for path, reason in shown)
        if left_out:
            items += f"<li>{t(more_line(left_out), lang)}</li>"
        head = t(Message("학생 제출물이 아니라 건너뛴 파일", "Skipped (not students)"), lang)
        parts.append(f"<details><summary>{head} ({len(s.skipped)})</summary><ul>{items}</ul></details>")
    return "".join(parts)


def _charts(s: Summary, totals: list[float], font: str | None, lang: str) -> str:
    korean = lang != "en" and font is not None
    hist = histogram_png(totals, s.max_points, font, korean)
    rates = pass_rate_png(s.pass_rates, font, korean)
    alt_h = t(Message("총점 분포", "Score distribution"), lang)
    alt_r = t(Message("항목별 통과율", "Pass rate per check"), lang)
    return (
        f'<div class="charts"><img alt="{alt_h}" src="data:image/png;base64,{hist}">'
        f'<img alt="{alt_r}" src="data:image/png;base64,{rates}"></div>'
    )


def _check_cell(check: CheckResult | None, value: float | None, lang: str) -> str:
    if check is None:
        return f'<td class="num">{escape(fmt_points(value))}</td>'
    tip = f"{t(check_label(check.status), lang)}: {t(check.message, lang)}"
    css = escape(str(check.status))
    mark = ""
    if check.decision is not None:  # the leader's decision (✎), or one made for an earlier submission (stale)
        label = STALE if check.decision.stale else Message("스터디장 판정", "leader's decision")
        tip = f"{t(label, lang)} — {e(check.decision.comment)} | {tip}"
        mark = " stale" if check.decision.stale else " ✎"
    return f'<td class="num {css}" title="{tip}">{escape(fmt_points(value))}{mark}</td>'


def _cell(column: str, value: object, lang: str) -> str:
    if column == "status":
        css = "st-graded" if value == "graded" else "st-other"
        return f'<td class="{css}">{t(submission_label(str(value)), lang)}</td>'
    if column in ("total", "max_total"):
        return f'<td class="num">{escape(fmt_points(value))}</td>'  # type: ignore[arg-type]
    if column in LIST_COLUMNS:
        return f"<td>{e(', '.join(value))}</td>"  # type: ignore[arg-type]
    if column == "commit" and isinstance(value, str):
        return f'<td title="{e(value)}">{e(value[:10])}</td>'
    if value is None or (not isinstance(value, (list, str)) and pd.isna(value)):
        return "<td></td>"
    return f"<td>{e(value)}</td>"


def _table(df: pd.DataFrame, results: list[SubmissionResult], pack: Pack, lang: str) -> str:
    columns = {check_column(i): i for i in check_ids(results, pack)}
    titles = {c.id: c.title for c in pack.checks}
    head = "".join(
        f'<th title="{t(titles[columns[c]], lang)}">{escape(c)}</th>'
        if columns.get(c) in titles
        else f"<th>{escape(c)}</th>"
        for c in df.columns
    )
    body = []
    for result, (_, row) in zip(results, df.iterrows(), strict=True):
        checks = {c.id: c for c in result.checks}
        cells = [
            _check_cell(checks.get(columns[c]), row[c], lang) if c in columns
            else _cell(c, row[c], lang)
            for c in df.columns
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div>'
    )


CHARTS_AT_THE_END = Message("채점이 진행 중입니다: 차트는 채점이 끝나면 그려집니다.",
                            "Grading is still running: the charts are drawn when it ends.")


def render_html(
    df: pd.DataFrame,
    results: list[SubmissionResult],
    pack: Pack,
    s: Summary,
    font: str | None,
    lang: str = "ko",
    charts: bool = True,
) -> str:
    """The whole page. results must be in the row order of df (see frame.order_results).
    charts False (a report written while the run is still grading): a line saying the charts
    come at the end, instead of drawing them for every snapshot."""
    totals = [r.total for r in results if r.status == "graded"]
    title = t(pack.title, lang)
    stamp = escape(datetime.now().astimezone().isoformat(timespec="seconds"))
    note = ""
    if charts and font is None and lang != "en":
        note = "<p><small>한글 글꼴이 없어 차트를 영어로 표시합니다 (fonts-nanum 설치 권장).</small></p>"
    drawn = _charts(s, totals, font, lang) if charts else (
        f'<p class="pending-charts"><small>{t(CHARTS_AT_THE_END, lang)}</small></p>')
    summary_head = t(Message("요약", "Summary"), lang)
    table_head = t(Message("전체 점수표", "Score table"), lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "ko"}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1><p>{escape(pack.id)} · {stamp}</p>"
        f"{_warnings(s, lang)}{review_section(results, pack, lang)}"
        f'<section id="summary"><h2>{summary_head}</h2>{_stats(s, lang)}{drawn}{note}</section>'
        f"{pass_rate_table(s, pack, lang)}{mistakes_section(common_mistakes(results), pack, lang)}"
        f"{students_section(results, pack, lang)}"
        f'<section id="scores"><h2>{table_head}</h2>{_table(df, results, pack, lang)}</section>'
        "</body></html>\n"
    )
