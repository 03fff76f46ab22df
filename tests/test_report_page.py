"""The leader's report page (report.html) and the terminal summary, on hand-built results:
pass rates over every student who submitted a notebook, no repeated rows, the review section
first with its image, the most common mistakes, escaping, and only re-encoded PNG/JPEG images
(the browser's view of a really graded cohort is tests/test_report_browser.py)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console

from grader.models import CheckResult, FailingCell, ImagePreview, Message, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.previews import image_previews
from grader.report import render_summary, summary, write_report
from grader.report.markup import image
from grader.report.mistakes import common_mistakes

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _sub(name: str, cohort: int = 25, **kw: object) -> Submission:
    key = f"{cohort}기_{name}"
    return Submission(key=key, cohort=cohort, name=name, path=Path(f"/subs/{key}.zip"), display_name=name,
                      source_path=f"week2/{key}.zip", **kw)  # type: ignore[arg-type]


def _result(pack: Pack, name: str, status: str = "graded", fails: dict[str, tuple[Status, str]] | None = None,
            **kw: object) -> SubmissionResult:
    fails = fails or {}
    checks = []
    for spec in pack.checks:
        st, en = fails.get(spec.id, (Status.PASS, f"{spec.id} ok"))
        checks.append(CheckResult(spec.id, st, spec.points if st == Status.PASS else 0.0, spec.points,
                                  Message(f"{en} (한국어)", en), spec.title))
    total = sum(c.points for c in checks)
    return SubmissionResult(_sub(name), status, tuple(checks), total, pack.max_points, "full", **kw)


def _png(size: tuple[int, int] = (640, 400), colour: str = "#4C72B0") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _preview(name: str = "shot.png") -> ImagePreview:
    return ImagePreview(name, "image/png", base64.b64encode(_png((40, 30))).decode(), 40, 30, 40, 30)


MISNAMED = {"naming": (Status.FAIL, "The file name does not follow the rule")}


@pytest.fixture(scope="module")
def cohort(pack: Pack) -> list[SubmissionResult]:
    return [
        _result(pack, "Alpha"),
        _result(pack, "Bravo", fails={"softmax": (Status.FAIL, "Rows do not sum to 1 (found 0.73)")}),
        _result(pack, "Charlie", fails={"softmax": (Status.FAIL, "Rows do not sum to 1 (found 1.52)"),
                                        "notebook_runs": (Status.FAIL, "1 code cell(s) failed: [7] NameError")},
                failing_cells=(FailingCell(7, "error", "NameError", "name 'W' is not defined", "y = net(X)\n"),)),
        _result(pack, "Delta", "misnamed", fails=MISNAMED),
        _result(pack, "Echo", "misnamed", fails={**MISNAMED, "playground": (Status.NEEDS_REVIEW, "dataset unreadable")},
                images=(_preview("플레이그라운드.png"),)),
        SubmissionResult(_sub("Foxtrot"), "missing", (), 0.0, pack.max_points, "none"),
        _result(pack, "Golf", "unreadable", fails={"artifacts": (Status.FAIL, "no notebook")}),
    ]


def test_pass_rates_count_misnamed_students(cohort: list[SubmissionResult], pack: Pack) -> None:
    s = summary(cohort, pack)
    assert s.with_notebook == 5  # graded 3 + misnamed 2; the missing and the unreadable (no notebook) are not
    assert s.passed["naming"] == 3 and s.pass_rates["naming"] == pytest.approx(0.6)
    assert s.pass_rates["softmax"] == pytest.approx(0.6)
    assert dict(s.most_failed)["naming"] == 2


def test_no_repeated_rows_in_terminal_and_page(cohort: list[SubmissionResult], pack: Pack, tmp_path: Path) -> None:
    console = Console(record=True, width=140)
    render_summary(summary(cohort, pack), console)
    out = console.export_text()
    labels = [line.strip("│┃ ").split("│")[0].strip() for line in out.splitlines() if "│" in line]
    assert [x for x in labels if "graded" in x and "(graded)" not in x] == ["채점 완료 / graded"], labels
    page = write_report(cohort, pack, tmp_path).html.read_text(encoding="utf-8")
    stats = page.split('<dl class="stats">', 1)[1].split("</dl>", 1)[0]
    labels = [part.split("</dt>")[0] for part in stats.split("<dt>")[1:]]
    assert [x for x in labels if "채점" in x and "(채점 완료)" not in x] == ["채점 완료"], labels


def test_review_section_is_first_and_shows_the_image(cohort: list[SubmissionResult], pack: Pack,
                                                     tmp_path: Path) -> None:
    page = write_report(cohort, pack, tmp_path, lang="en").html.read_text(encoding="utf-8")
    sections = [page.index(f'<section id="{s}"') for s in ("review", "summary", "pass-rates", "mistakes", "students")]
    assert sections == sorted(sections)
    review = page[sections[0]:sections[1]]
    assert "Echo" in review and "dataset unreadable" in review and "Alpha" not in review
    assert review.count('src="data:image/png;base64,') == 1 and "플레이그라운드.png" in review
    assert page.count('<details class="student"') == len(cohort)


def test_common_mistakes_grouped_and_counted(cohort: list[SubmissionResult], pack: Pack, tmp_path: Path) -> None:
    mistakes = common_mistakes(cohort)
    top = mistakes[0]
    assert (top.check_id, top.count) in {("softmax", 2), ("naming", 2)}
    by_check = {m.check_id: m for m in mistakes}
    assert by_check["softmax"].students == ("Bravo", "Charlie")  # numbers aside, the same message
    assert by_check["naming"].students == ("Delta", "Echo")
    assert "playground" not in by_check  # needs-review is not a mistake
    assert "artifacts" not in by_check  # Golf handed in no notebook
    page = write_report(cohort, pack, tmp_path, lang="en").html.read_text(encoding="utf-8")
    mistakes_html = page.split('<section id="mistakes">', 1)[1].split("</section>", 1)[0]
    assert mistakes_html.count('<tr class="mistake">') == 2  # shared by several students; single ones are noted
    assert "Bravo, Charlie" in mistakes_html and "Delta, Echo" in mistakes_html
    assert "1 other failing messages" in mistakes_html  # Charlie's failing cell
    assert "Golf" not in mistakes_html  # no notebook: counted among the statuses, not as a mistake


def test_student_text_is_escaped_everywhere(pack: Pack, tmp_path: Path) -> None:
    evil = _result(pack, SCRIPT, fails={"softmax": (Status.FAIL, f"boom {SCRIPT} <img src=x onerror=alert(2)>"),
                                        "playground": (Status.NEEDS_REVIEW, SCRIPT)},
                   failing_cells=(FailingCell(3, "error", "<b>E</b>", SCRIPT, f"</pre>{SCRIPT}"),),
                   images=(_preview(f"{SCRIPT}.png"),),
                   notes=(Message(SCRIPT, SCRIPT),))
    page = write_report([evil], pack, tmp_path).html.read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page and "<b>E</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<pre>") == page.count("</pre>")


def test_forged_previews_are_never_embedded() -> None:
    svg = ImagePreview("x.svg", "image/svg+xml", base64.b64encode(b"<svg onload=alert(1)>").decode(), 1, 1, 1, 1)
    quote = ImagePreview("x.png", "image/png", 'AAAA" onerror="alert(1)', 1, 1, 1, 1)
    assert image(svg) == "" and image(quote) == ""
    assert image(_preview()).startswith('<figure class="shot"><img alt="shot.png" src="data:image/png;base64,')


def test_previews_decode_and_reencode_only_png_and_jpeg(tmp_path: Path) -> None:
    files = {
        "big.png": _png((3000, 1600)),
        "photo.jpg": None,
        "svg.png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "page.jpg": b"<html><script>alert(1)</script></html>",
        "anim.png": None,
        "truncated.png": _png()[:60],
    }
    for name, data in files.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
    Image.new("RGB", (800, 600), "#C44E52").save(tmp_path / "photo.jpg", format="JPEG")
    Image.new("RGB", (50, 50), "#55A868").save(tmp_path / "anim.png", format="GIF")  # a GIF named .png
    previews = image_previews([(tmp_path / n, n) for n in files])
    assert [p.name for p in previews] == ["big.png", "photo.jpg"]
    big, photo = previews
    assert (big.original_width, big.width) == (3000, 1280) and big.height == 683
    assert (photo.width, photo.height) == (800, 600)
    for p in previews:
        raw = base64.b64decode(p.data)
        assert raw != (tmp_path / p.name).read_bytes()  # re-encoded by us, never the student's bytes
        with Image.open(io.BytesIO(raw)) as im:
            assert im.format in ("PNG", "JPEG") and im.size == (p.width, p.height)


def test_result_json_round_trip_keeps_images_and_cells(cohort: list[SubmissionResult]) -> None:
    for result in cohort:
        assert SubmissionResult.from_json(result.to_json()) == result
