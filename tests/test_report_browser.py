"""report.html of the graded fixture cohort, rendered by a real headless Chromium (Debian's
`chromium`); the tests read what the page shows, as a session leader would see it.

Reuses the session's graded fixture cohort (conftest.fixture_cohort: no extra grading run).
Skipped, saying why, when chromium is not installed (scripts/setup.sh installs it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import HeadlessPage, chromium_path
from conftest import Graded
from grader.models import Status, SubmissionResult
from grader.pack import Pack
from grader.report import write_report

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.skipif(chromium_path() is None,
                       reason="headless browser test needs Debian's `chromium` (apt-get install -y chromium; "
                              "scripts/setup.sh installs it)"),
]

NO_NOTEBOOK = {"intake:empty", "intake:corrupt"}  # the fixtures that carry no notebook at all


@pytest.fixture(scope="module")
def rendered(fixture_cohort: dict[str, Graded], test_pack: Pack,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HeadlessPage, Path]]:
    out = tmp_path_factory.mktemp("browser-report")
    paths = write_report([g.result for g in fixture_cohort.values()], test_pack, out, lang="ko")
    with HeadlessPage(paths.html) as page:
        yield page, paths.html


def _open(page: HeadlessPage, result: SubmissionResult) -> str:
    """Open a student's collapsible section (as a click would) and return what it shows."""
    key = json.dumps(result.submission.key)
    index = page.evaluate(
        f"[...document.querySelectorAll('details.student')].findIndex(d => d.querySelector('summary small')"
        f".innerText === '(' + {key} + ')')")
    assert index >= 0, result.submission.key
    page.evaluate(f"document.querySelectorAll('details.student')[{index}].open = true")
    return page.text(f"details.student:nth-of-type({index + 1})")


def test_review_section_comes_first_with_the_screenshot(rendered, fixture_cohort: dict[str, Graded]) -> None:
    page, _ = rendered
    review = fixture_cohort["intake:review"].result
    playground = next(c for c in review.checks if c.id == "playground")
    assert playground.status == Status.NEEDS_REVIEW, playground.message.en
    order = page.evaluate("[...document.querySelectorAll('body > section')].map(s => s.id)")
    assert order[0] == "review", order
    shown = page.text("#review")
    assert "검토가 필요한 항목" in shown and "Review" in shown
    assert playground.message.ko[:40] in shown
    assert "플레이그라운드 스크린샷.png" in shown  # the image's name in the zip, under the image
    img = page.evaluate("(() => { const i = document.querySelector('#review img');"
                        " return i && {w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width,"
                        " src: i.src.slice(0, 22)}; })()")
    preview = review.images[0]
    assert img is not None and (img["w"], img["h"]) == (preview.width, preview.height), img  # decoded by the browser
    assert img["shown"] > 300 and img["src"].startswith("data:image/"), img


def test_summary_has_each_status_once(rendered, fixture_cohort: dict[str, Graded]) -> None:
    page, _ = rendered
    shown = page.text("#summary")
    results = [g.result for g in fixture_cohort.values()]
    assert re.search(rf"학생 수\s+{len(results)}\b", shown), shown
    graded = sum(r.status == "graded" for r in results)
    lines = [line.strip() for line in shown.splitlines()]
    assert lines.count("채점 완료") == 1, shown  # the status row; no second "graded" row
    assert lines[lines.index("채점 완료") + 1] == str(graded), shown
    assert page.evaluate("document.querySelector('#summary img').naturalWidth") > 0  # the score histogram


def test_pass_rates_count_every_notebook_misnamed_included(rendered, fixture_cohort: dict[str, Graded]) -> None:
    page, _ = rendered
    with_notebook = [g.result for fid, g in fixture_cohort.items() if fid not in NO_NOTEBOOK]
    assert fixture_cohort["intake:misnamed"].result.status == "misnamed"
    for check_id in ("naming", "softmax"):
        passed = sum(c.id == check_id and c.status == Status.PASS for r in with_notebook for c in r.checks)
        row = page.text(f'#pass-rates tr[data-check="{check_id}"]')
        assert f"{passed} / {len(with_notebook)}" in row, row
        assert f"{round(100 * passed / len(with_notebook))}%" in row, row
    assert "100%" not in page.text('#pass-rates tr[data-check="naming"]')  # the misnamed student counts


def test_student_section_shows_checks_cells_and_images(rendered, fixture_cohort: dict[str, Graded]) -> None:
    page, _ = rendered
    reference = fixture_cohort["bug:correct"].result
    assert "파일 이름 규칙" not in (page.text("#students") or "")  # collapsed: nothing of it is shown yet
    shown = " ".join(_open(page, reference).split())
    for check in reference.checks:
        assert " ".join(check.message.ko.split())[:30] in shown, check.id
    assert "100 / 100" in shown and "플레이그라운드 스크린샷.png" in shown
    broken = next(g.result for g in fixture_cohort.values() if g.result.failing_cells)
    shown = _open(page, broken)
    cell = broken.failing_cells[0]
    assert f"[{cell.index}]" in shown and cell.ename in shown
    assert cell.source.splitlines()[0].strip() in shown


def test_page_is_self_contained(rendered) -> None:
    page, html = rendered
    assert page.evaluate("performance.getEntriesByType('resource').length") == 0  # nothing was fetched
    sources = page.evaluate("[...document.images].map(i => i.src.slice(0, 23))")
    assert sources and all(s.startswith(("data:image/png;base64,", "data:image/jpeg;base64")) for s in sources)
    assert page.evaluate("document.scripts.length + document.querySelectorAll('link, iframe, object, embed').length") == 0
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    decoded = page.evaluate("Promise.all([...document.images].map(i => i.decode().then(() => i.naturalWidth > 0, () => false)))")
    assert decoded and all(decoded)  # every chart and preview decodes in the browser
    assert "<script" not in html.read_text(encoding="utf-8")
