"""Issue 11 (security): student-controlled text cannot forge or bloat the report, and an upload
under a classmate's name or with a backdated commit cannot silently change a grade.

Report side: every Markdown output is parsed with markdown-it (CommonMark + tables, what GitHub
and most viewers build on) and must contain no HTML, no image, no link and no heading the
student wrote; the HTML page has no student tag; rich output takes student markup as text;
lists of names from a submission are capped.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from grader.models import CheckResult, Message, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.report import render_summary, summary, write_report
from grader.report.feedback import feedback_markdown
from grader.report.text import md_block, md_escape

ATTACK = (
    "ZeroDivisionError: x\n"
    "# Total 100/100\n"
    "- 총점 / Total: **100 / 100**\n"
    "<script>alert(1)</script>\n"
    "![](http://track.example/pixel.png)\n"
    "[click](http://phish.example/)\n"
    "<img src=x onerror=alert(2)>\n"
    "```\n"
    "| a | b |\n"
    "[/] [bold red]boom[/bold red] \x1b[31m\u202eevil"
)
ONE_LINE = ATTACK.replace("\n", " ")


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _hostile_result(pack: Pack) -> SubmissionResult:
    sub = Submission(
        key="22기_<script>x</script>", cohort=22, name="![](http://track.example/n.png)",
        path=Path("/subs/x.zip"), display_name="2주차 과제_22기_[/]<b>x</b>.zip",
        source_path="week2/[bold]x[/bold].zip", detail=ATTACK,
        extra={"review": [{"id": "author_conflict", "ko": ATTACK, "en": ATTACK}]},
    )
    checks = []
    for i, spec in enumerate(pack.checks):
        msg = ATTACK if i % 2 else ONE_LINE
        checks.append(CheckResult(spec.id, Status.ERROR if i % 2 else Status.FAIL, 0.0, spec.points,
                                  Message(msg, msg)))
    notes = (Message(ATTACK, ATTACK), Message(ONE_LINE, ONE_LINE))
    return SubmissionResult(sub, "graded", tuple(checks), 0.0, pack.max_points, "full", notes)


def _inline_tokens(md: str):
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    for tok in tokens:
        yield tok
        yield from tok.children or ()


def assert_inert_markdown(md: str, own_headings: int | None = None) -> None:
    """No student HTML, image, link or heading survives as Markdown structure."""
    tokens = list(_inline_tokens(md))
    kinds = {t.type for t in tokens}
    assert not kinds & {"html_block", "html_inline", "image", "link_open"}, kinds
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not any("Total 100/100" in h or "track.example" in h for h in headings), headings
    if own_headings is not None:
        assert len(headings) == own_headings, headings
    text = " ".join(t.content for t in tokens if t.type in ("text", "code_inline", "fence"))
    assert "\x1b" not in text and "\u202e" not in text


def test_md_helpers_are_inert():
    assert_inert_markdown("- x: " + md_escape(ATTACK))
    assert_inert_markdown(md_block(ATTACK + "\n`````\n# after the fence"))
    long = md_escape("A" * 100_000)
    assert len(long) < 600 and "more chars" in long


def test_feedback_markdown_is_inert_and_capped(pack):
    result = _hostile_result(pack)
    md = feedback_markdown(result, pack)
    # our own headings only: title, review, checks, one per check, notes
    assert_inert_markdown(md, own_headings=4 + len(pack.checks))
    assert "ZeroDivisionError" in md  # still shown, as text
    huge = SubmissionResult(result.submission, "graded", (), 0.0, 100.0, "full",
                            tuple(Message("n" * 50_000, "n" * 50_000) for _ in range(500)))
    text = feedback_markdown(huge, pack)
    assert len(text) < 300_000 and "470" in text  # 30 notes shown, "… and 470 more"


def test_scores_md_html_and_gradescope_are_inert(pack, tmp_path):
    result = _hostile_result(pack)
    run = {"skipped": [{"path": "<script>s</script>" + "x" * 5000, "reason": {"ko": "r", "en": "r"}}] * 300,
           "warnings": [{"ko": "<script>w</script>", "en": "<script>w</script>"}]}
    paths = write_report([result], pack, tmp_path / "r", run=run)
    assert_inert_markdown(paths.markdown.read_text(encoding="utf-8"), own_headings=1)
    assert_inert_markdown(paths.feedback[result.submission.key].read_text(encoding="utf-8"))
    page = paths.html.read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;" in page
    assert len(page) < 1_000_000  # 300 skipped names of 5 kB: listed up to 200, each cut
    import json

    gs = json.loads(paths.results[result.submission.key].read_text(encoding="utf-8"))
    assert gs["output_format"] == "text" and all(t["output_format"] == "text" for t in gs["tests"])
    assert "author_conflict" in paths.markdown.read_text(encoding="utf-8")  # the review flag is a column value


def test_github_step_summary_is_inert(pack, tmp_path):
    from grader.github import emit_github

    summary_file = tmp_path / "summary.md"
    emit_github([_hostile_result(pack)], pack, env={"GITHUB_STEP_SUMMARY": str(summary_file)},
                stream=io.StringIO())
    md = summary_file.read_text(encoding="utf-8")
    tokens = list(_inline_tokens(md))
    # our <details>/<summary> wrapper is the only HTML; its contents are escaped
    html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert all("<script" not in h and "<b>" not in h for h in html), html
    assert not {t.type for t in tokens} & {"image", "link_open"}


def test_rich_outputs_take_markup_as_text(pack):
    from grader import cli

    result = _hostile_result(pack)
    buf = io.StringIO()
    cli.Console = lambda *a, **k: Console(file=buf, width=200)  # type: ignore[assignment]
    try:
        cli._print_table(result, "both")  # raised rich.errors.MarkupError on "[/]" before
    finally:
        cli.Console = Console  # type: ignore[assignment]
    out = buf.getvalue()
    assert "[/]" in out and "[bold red]boom[/bold red]" in out
    run = {"skipped": [{"path": "[/]" + "y" * 5000, "reason": {"ko": "[bold]", "en": "[/]"}}],
           "warnings": [{"ko": "[/]", "en": "[/bold]"}]}
    console = Console(file=io.StringIO(), width=200)
    render_summary(summary([result], pack, None, run), console)
    printed = console.file.getvalue()
    assert "[/]" in printed and len(printed) < 20_000


def test_long_entry_names_cannot_bloat_the_report(pack, tmp_path):
    """2000 refused entries with 10 kB names: a few kB of notes, not tens of MB."""
    from grader.intake.artifacts import open_submission

    archive = tmp_path / "2주차 과제_22기_홍길동.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(2000):
            zf.writestr(f"../{i:04d}" + "A" * 10_000, b"")
    intake = open_submission(archive, tmp_path / "work", pack)
    notes = list(intake.problems) + list(intake.extra.get("notes", ()))
    size = sum(len(n.ko) + len(n.en) for n in notes)
    assert len(notes) <= 40 and size < 40_000, (len(notes), size)
    assert any("1970" in n.en for n in notes)  # "… and 1970 more"
    sub = Submission("22기_홍길동", 22, "홍길동", archive, archive.name, archive.name)
    result = SubmissionResult(sub, "unreadable", (), 0.0, pack.max_points, "none", tuple(notes))
    paths = write_report([result], pack, tmp_path / "report")
    total = sum(p.stat().st_size for p in paths.folder.rglob("*") if p.is_file())
    assert total < 2_000_000, total


# ============================================================ B. identity and deadline integrity

from grader.pack import LatePolicy  # noqa: E402
from grader.sources import discover_class_repo  # noqa: E402
from grader.sources.gitcache import effective_times  # noqa: E402

try:
    from tests.gitfactory import FOLDER, GitFactory, kst, zip_bytes
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from gitfactory import FOLDER, GitFactory, kst, zip_bytes

KIM = ("Kim Cheolsu", "kim@example.com")
LEE = ("Lee Younghee", "lee@example.com")
PARK = ("Park Minji", "park@example.com")
KIM_ZIP = f"{FOLDER}/2주차 과제_22기_김철수.zip"
LEE_ZIP = f"{FOLDER}/2주차 과제_22기_이영희.zip"


def _discover(repo: GitFactory, pack: Pack, tmp_path: Path, policy: str = "ignore"):
    import dataclasses

    pk = dataclasses.replace(pack, late=LatePolicy(policy, 10))
    found = discover_class_repo(repo.url, FOLDER, pk, tmp_path / "cache", tmp_path / "mat")
    return found, {s.key: s for s in found}


def _flags(sub: Submission) -> dict[str, dict]:
    return {f["id"]: f for f in sub.extra.get("review", [])}


@pytest.mark.parametrize("policy", ["ignore", "latest"])
def test_upload_under_a_classmates_name_does_not_replace_it(pack, tmp_path, policy):
    """Lee uploads a zip named after Kim, in Lee's own commit, before the deadline: Kim's on-time
    zip is still the one graded; Lee's file is shown, flagged and ungraded; the run warns."""
    f = GitFactory(tmp_path / "class")
    f.write(KIM_ZIP, zip_bytes("kim-good"))
    c1 = f.commit(kst("09-14 12:00"), author=KIM)
    f.write(LEE_ZIP, zip_bytes("lee"))
    f.commit(kst("09-15 12:00"), author=LEE)
    f.write(KIM_ZIP, zip_bytes("kim-sabotaged"))
    c3 = f.commit(kst("09-16 20:00"), "Update 2주차 과제_22기_김철수.zip", author=LEE)
    found, subs = _discover(f, pack, tmp_path, policy)
    kim = subs["22기_김철수"]
    assert kim.path.read_bytes() == zip_bytes("kim-good")
    assert (kim.commit, kim.late, kim.extra["uploaded_by"]) == (c1, False, "Kim Cheolsu <kim@example.com>")
    flag = _flags(kim)["author_conflict"]
    assert "Lee Younghee <lee@example.com>" in flag["en"] and c3[:10] in flag["en"] and c3[:10] in flag["ko"]
    assert "다른 사람이 이 학생 이름으로 파일을 올렸습니다" in flag["ko"]
    assert "Someone else uploaded a file under this student's name" in flag["en"]
    assert [a["commit"] for a in kim.extra["alternatives"]] == [c3]
    assert "review" not in subs["22기_이영희"].extra  # the attacker's own row is normal
    assert any("22기_김철수" in w.en and "more than one person" in w.en for w in found.warnings)

    # the row and its feedback say so
    result = SubmissionResult(kim, "graded", (), 100.0, 100.0, "full")
    from grader.report.frame import needs_review

    assert needs_review(result) == ["author_conflict"]
    md = feedback_markdown(result, pack)
    assert "스터디장 검토 필요" in md and "Someone else uploaded" in md
    assert_inert_markdown(md)


def test_one_author_reuploading_a_fix_is_unchanged(pack, tmp_path):
    f = GitFactory(tmp_path / "class")
    f.write(KIM_ZIP, zip_bytes("v1"))
    f.commit(kst("09-14 12:00"), author=KIM)
    f.write(LEE_ZIP, zip_bytes("lee"))
    f.commit(kst("09-15 12:00"), author=LEE)
    f.write(KIM_ZIP, zip_bytes("v2"))  # same person, from another machine (other email, same name)
    c3 = f.commit(kst("09-16 20:00"), author=(KIM[0], "12345+kim@users.noreply.github.com"))
    found, subs = _discover(f, pack, tmp_path)
    kim = subs["22기_김철수"]
    assert kim.path.read_bytes() == zip_bytes("v2") and kim.commit == c3 and not kim.late
    assert "review" not in kim.extra and "alternatives" not in kim.extra
    assert not found.warnings


def test_backdated_commit_is_judged_by_the_history(pack, tmp_path):
    """Lee commits after Park's late upload but dates the commit before the deadline: the commit
    cannot have reached the branch before Park's, so it is late and flagged."""
    f = GitFactory(tmp_path / "class")
    f.write(KIM_ZIP, zip_bytes("kim"))
    f.commit(kst("09-14 12:00"), author=KIM)
    f.write(f"{FOLDER}/2주차 과제_22기_박민지.zip", zip_bytes("park"))
    c2 = f.commit(kst("09-17 10:00"), author=PARK)  # after the deadline (09-16 23:59)
    f.write(LEE_ZIP, zip_bytes("lee"))
    c3 = f.commit(kst("09-16 12:00"), author=LEE)  # backdated
    found, subs = _discover(f, pack, tmp_path)
    lee = subs["22기_이영희"]
    assert lee.commit == c3 and lee.late
    assert lee.submitted_at == "2025-09-17T10:00:00+09:00"
    assert lee.extra["commit_date"] == "2025-09-16T12:00:00+09:00"
    flag = _flags(lee)["backdated_commit"]
    assert flag["en"].startswith("Commit dates run backwards: the upload time is not trustworthy")
    assert flag["ko"].startswith("커밋 날짜가 거꾸로 갑니다") and c2[:10] in flag["ko"] and "judged late" in flag["en"]
    assert not subs["22기_김철수"].late and "review" not in subs["22기_김철수"].extra
    assert any("run backwards" in w.en and "22기_이영희" in w.en for w in found.warnings)


def test_small_clock_skew_is_not_flagged(pack, tmp_path):
    f = GitFactory(tmp_path / "class")
    f.write(KIM_ZIP, zip_bytes("kim"))
    f.commit(kst("09-14 12:00"), author=KIM)
    f.write(LEE_ZIP, zip_bytes("lee"))
    f.commit(kst("09-14 11:59"), author=LEE)  # a minute behind: a slow clock, on time either way
    found, subs = _discover(f, pack, tmp_path)
    assert not subs["22기_이영희"].late and "review" not in subs["22기_이영희"].extra and not found.warnings


def test_effective_times_follow_every_parent():
    t = kst
    commits = [  # children first, as git log --date-order lists them
        ("m", t("09-15 00:00"), ["b", "s"]), ("s", t("09-13 00:00"), ["a"]),
        ("b", t("09-12 00:00"), ["a"]), ("a", t("09-14 00:00"), []),
    ]
    eff = effective_times(commits)
    assert eff["a"] == (t("09-14 00:00"), "a") and eff["b"] == (t("09-14 00:00"), "a")
    assert eff["s"] == (t("09-14 00:00"), "a") and eff["m"] == (t("09-15 00:00"), "m")
