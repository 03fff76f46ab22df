"""similarity.csv and similarity.html in the report folder: a hint for the leader only.

Never a score change and never in a student's feedback: nothing here touches the results.
Student code and names are escaped (HTML) and defused (CSV formulas).
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path

from grader.atomic import write_bytes_atomic, write_text_atomic
from grader.memo import Memo, memo_key
from grader.models import Message, Submission
from grader.pack import Pack
from grader.report.markup import e, pre, t
from grader.similarity.collect import pack_cells, student_code
from grader.similarity.compare import Comparison, Fragment, Pair, StudentCode, compare
from grader.similarity.fingerprints import Span

CSV_COLUMNS = ("student_a", "student_b", "key_a", "key_b", "own_a", "own_b", "shared", "exclusive",
               "jaccard", "containment", "flagged", "fragments")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_FRAGMENTS = 8
CLOSEST_UNFLAGGED = 10

L = Message
HEAD = L("코드 유사도 힌트 (스터디장 전용)", "Code similarity hint (leaders only)")
WHAT = L("템플릿·참고 답안 코드와 절반 넘는 학생이 똑같이 쓴 코드를 뺀 뒤, 학생이 채운 코드의 토큰 지문(식별자 이름·주석·공백 무시)을 "
         "비교했습니다. 두 학생만 공유한 지문이 많고 작은 쪽 코드의 큰 부분을 차지하면 표시합니다. 대화를 위한 힌트일 뿐이며 점수나 "
         "학생 피드백에는 반영되지 않습니다.",
         "Token fingerprints of the code students filled in (identifier names, comments and whitespace ignored), "
         "after removing the template's and the reference's code and code more than half of the class wrote "
         "alike. A pair is marked when it shares many fingerprints nobody else has, making up a large part of the "
         "smaller side. A hint for a conversation: it changes no score and never appears in student feedback.")
FLAGGED = L("눈에 띄게 비슷한 쌍", "Unusually alike pairs")
NONE_FLAGGED = L("눈에 띄게 비슷한 쌍이 없습니다.", "No pair is unusually alike.")
CLOSEST = L("표시되지 않은 쌍 중 가장 비슷한 쌍", "Closest pairs below the threshold")


def _defuse(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


def _span(span: Span) -> str:
    lines = f"{span.first}" if span.first == span.last else f"{span.first}-{span.last}"
    return f"cell {span.cell} L{lines}"


def _fragment_text(f: Fragment) -> str:
    return f"{_span(f.a)} <-> {_span(f.b)} ({f.fingerprints})"


def similarity_csv(comparison: Comparison) -> bytes:
    """Every pair sharing a fingerprint: the numbers and the shared fragments (UTF-8 with BOM)."""
    names = {s.key: s.name for s in comparison.students}
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for p in comparison.pairs:
        row = (names[p.a], names[p.b], p.a, p.b, p.own_a, p.own_b, p.shared, p.exclusive, f"{p.jaccard:.3f}",
               f"{p.containment:.3f}", int(p.flagged), "; ".join(_fragment_text(f) for f in p.fragments))
        writer.writerow([_defuse(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _lines(student: StudentCode, span: Span) -> str:
    source = dict(student.cells).get(span.cell, "")
    return "\n".join(source.splitlines()[span.first - 1:span.last])


def _pair(p: Pair, students: dict[str, StudentCode], lang: str) -> str:
    a, b = students[p.a], students[p.b]
    rows = "".join(
        f"<tr><td>{e(_span(f.a))}{pre(_lines(a, f.a))}</td><td>{e(_span(f.b))}{pre(_lines(b, f.b))}</td>"
        f'<td class="num">{f.fingerprints}</td></tr>' for f in p.fragments[:MAX_FRAGMENTS])
    numbers = (f"exclusive {p.exclusive} · shared {p.shared} · own {p.own_a}/{p.own_b} · "
               f"containment {p.containment:.2f} · Jaccard {p.jaccard:.2f}")
    return (f'<details class="pair{" flagged" if p.flagged else ""}"{" open" if p.flagged else ""}><summary>'
            f"<strong>{e(a.name, 120)}</strong> <small>({e(a.key, 120)})</small> ↔ "
            f"<strong>{e(b.name, 120)}</strong> <small>({e(b.key, 120)})</small> · {numbers}</summary>"
            f"<table><thead><tr><th>{e(a.name, 120)}</th><th>{e(b.name, 120)}</th><th>#</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")


CSS = """
body { font-family: "Nanum Gothic", "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ccc; padding: 0.3em; vertical-align: top; }
pre { background: #f6f6f6; padding: 0.3em; white-space: pre-wrap; margin: 0.2em 0; }
details.pair { border-bottom: 1px solid #ddd; padding: 0.4em 0; } details.flagged > summary { background: #fff4ce; }
td.num { text-align: right; }
"""


def similarity_html(comparison: Comparison, pack: Pack, lang: str = "ko") -> str:
    """The leader's page: what was compared, the distribution, the flagged pairs with their fragments."""
    students = {s.key: s for s in comparison.students}
    d = comparison.distribution()
    st = comparison.settings
    stats = (f"students {len(comparison.students)} · pairs {d['pairs']} · flagged {d['flagged']}"
             + (f" · containment min {d['min']:.2f} / median {d['median']:.2f} / p90 {d['p90']:.2f} / max {d['max']:.2f}"
                if "max" in d else "")
             + f" · k={st.k}, w={st.w}, flagged when exclusive ≥ {st.min_exclusive} and containment ≥ "
               f"{st.min_containment:g}; template/reference k-grams removed {comparison.removed_template}, "
               f"common fingerprints removed {comparison.removed_common}")
    flagged = "".join(_pair(p, students, lang) for p in comparison.flagged) or f"<p>{t(NONE_FLAGGED, lang)}</p>"
    closest = "".join(_pair(p, students, lang) for p in [p for p in comparison.pairs if not p.flagged][:CLOSEST_UNFLAGGED])
    return (f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "ko"}"><head><meta charset="utf-8">'
            f"<title>{t(HEAD, lang)}</title><style>{CSS}</style></head><body>"
            f"<h1>{t(HEAD, lang)} — {t(pack.title, lang)}</h1><p>{t(WHAT, lang)}</p><p><small>{escape(stats)}</small></p>"
            f'<section id="flagged"><h2>{t(FLAGGED, lang)} ({len(comparison.flagged)})</h2>{flagged}</section>'
            f'<section id="closest"><h2>{t(CLOSEST, lang)}</h2>{closest}</section></body></html>\n')


def write_similarity(submissions: list[Submission], pack: Pack, out_dir: Path, lang: str = "ko") -> Comparison:
    """Compare the cohort's notebooks (the pack's template and reference subtracted); write
    similarity.csv and similarity.html into out_dir."""
    comparison = _compare(submissions, pack)
    _write(Path(out_dir), similarity_csv(comparison), similarity_html(comparison, pack, lang))
    return comparison


def _compare(submissions: list[Submission], pack: Pack) -> Comparison:
    return compare(student_code(submissions, pack), pack_cells(pack, "template"), pack_cells(pack, "reference"))


def _write(out_dir: Path, csv_bytes: bytes, html: str) -> None:
    write_bytes_atomic(out_dir / "similarity.csv", csv_bytes)
    write_text_atomic(out_dir / "similarity.html", html)


def _inputs_key(submissions: list[Submission], pack: Pack, lang: str) -> str:
    """A hash of everything the hint depends on: each submission's bytes and names, the pack, the grader's code."""
    from grader.cache import content_hash, grader_hash

    subs = [[s.key, s.name, s.display_name, str(s.path) if s.path else None,
             content_hash(Path(s.path)) if s.path and Path(s.path).exists() else None] for s in submissions]
    return memo_key("similarity", subs, pack.id, pack.content_hash(), grader_hash(), lang)


def write_similarity_remembered(submissions: list[Submission], pack: Pack, out_dir: Path, memo: Memo,
                                lang: str = "ko") -> int:
    """write_similarity(), its files reused from an earlier run with the same inputs (kept in
    memo as kind "similarity"); the number of flagged pairs."""
    key = _inputs_key(submissions, pack, lang)
    seen = memo.get("similarity", key)
    if seen is not None and {"flagged", "csv", "html"} <= seen.keys():
        _write(Path(out_dir), str(seen["csv"]).encode("utf-8"), str(seen["html"]))
        return int(seen["flagged"])
    comparison = _compare(submissions, pack)
    csv_bytes, html = similarity_csv(comparison), similarity_html(comparison, pack, lang)
    _write(Path(out_dir), csv_bytes, html)
    memo.put("similarity", key, {"flagged": len(comparison.flagged), "csv": csv_bytes.decode("utf-8"), "html": html})
    return len(comparison.flagged)
