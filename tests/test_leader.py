"""The leader's desk without kernels: the overrides file (parse, apply, stale, save), the
extensions file, the review queue, and an extension judged by the class repository's deadline
logic in a real git repository. The end-to-end run (`grade review` in a pseudo-terminal, a
regrade, a resubmission) is tests/test_leader_desk.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gitfactory import FOLDER, GitFactory, kst, zip_bytes
from grader.leader.extensions import load_extensions, parse_extensions
from grader.leader.overrides import (
    COLUMNS, Override, OverridesFileError, apply_overrides, load_overrides, parse_overrides, save_override,
    unknown_students,
)
from grader.leader.review import parse_decision, review_queue
from grader.models import CheckResult, Message, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.report import write_report
from grader.report.frame import needs_review
from grader.sources.classrepo import discover_class_repo

KST = ZoneInfo("Asia/Seoul")
HEADER = ",".join(COLUMNS) + "\n"
HASH = "ab" * 32


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _result(pack: Pack, key: str, statuses: dict[str, Status], content_hash: str | None = HASH,
            late: bool = False) -> SubmissionResult:
    checks = tuple(
        CheckResult(s.id, statuses.get(s.id, Status.PASS), s.points if statuses.get(s.id, Status.PASS) == Status.PASS
                    else 0.0, s.points, Message(f"{s.id} 결과", f"{s.id} result"))
        for s in pack.checks)
    sub = Submission(key, 25, key.split("_")[-1], Path(f"/subs/{key}.zip"), f"{key}.zip", f"w/{key}.zip", late=late)
    return SubmissionResult(sub, "graded", checks, sum(c.points for c in checks), pack.max_points, "full",
                            content_hash=content_hash)


def _check(result: SubmissionResult, check_id: str) -> CheckResult:
    return next(c for c in result.checks if c.id == check_id)


def test_malformed_rows_name_file_and_line_and_the_other_rows_apply(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "week2-overrides.csv"
    path.write_text(HEADER
                    + f"25기_가,playground,pass,,스크린샷 확인함,lead,2026-07-23T10:00+09:00,{HASH[:16]}\n"  # 2: fine
                    + "25기_나,playground,maybe,,,,,\n"  # 3: unknown decision
                    + "25기_다,playground,points,eleven,,,,\n"  # 4: bad points
                    + "25기_라,no_such_check,pass,,,,,\n"  # 5: unknown check id
                    + "25기_마,playground,pass\n"  # 6: missing columns
                    + "25기_바,playground,points,11,,,,\n"  # 7: above the check's 10 points
                    + '25기_사,softmax,fail,,"a comment, with a comma",lead,,\n', encoding="utf-8")  # 8: fine
    loaded = load_overrides(path, pack)
    assert set(loaded.rows) == {("25기_가", "playground"), ("25기_사", "softmax")}
    errors = {int(e.en.split(":")[1]): e for e in loaded.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7]
    for line, error in errors.items():
        assert error.en.startswith(f"{path}:{line}: override row ignored") and error.ko.startswith(f"{path}:{line}:")
    assert "unknown decision 'maybe'" in errors[3].en and "pass, fail or points" in errors[3].en
    assert "'eleven' is not a number" in errors[4].en
    assert "unknown check id 'no_such_check'" in errors[5].en and "playground" in errors[5].en
    assert "3 fields where the header has 8" in errors[6].en
    assert "outside 0…10" in errors[7].en
    assert loaded.rows[("25기_사", "softmax")].comment == "a comment, with a comma"


def test_a_header_without_a_column_applies_nothing_and_says_which(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("key,check,decision,points\n25기_가,playground,pass,\n", encoding="utf-8")
    loaded = load_overrides(path, pack)
    assert not loaded.rows and len(loaded.errors) == 1
    assert f"{path}:1:" in loaded.errors[0].en and "comment, who, when, submission_hash" in loaded.errors[0].en


def test_decisions_replace_status_and_points_and_the_total(pack: Pack) -> None:
    text = (HEADER + f"25기_가,playground,pass,,읽어 보니 0.004,lead,,{HASH[:16]}\n"
            + f"25기_가,softmax,points,4,,lead,,{HASH[:12]}\n" + "25기_가,naming,fail,,,lead,,\n")
    loaded = parse_overrides(Path("o.csv"), text, pack)
    machine = _result(pack, "25기_가", {"playground": Status.NEEDS_REVIEW, "softmax": Status.FAIL})
    decided = apply_overrides(machine, loaded, pack)
    shot, soft, naming = (_check(decided, i) for i in ("playground", "softmax", "naming"))
    assert (shot.status, shot.points, shot.decision.comment) == (Status.PASS, 10.0, "읽어 보니 0.004")
    assert shot.machine_status == Status.NEEDS_REVIEW and shot.decision.original_points == 0.0
    assert (soft.status, soft.points) == (Status.FAIL, 4.0)
    assert (naming.status, naming.points) == (Status.FAIL, 0.0)  # no hash written: any submission
    assert decided.total == machine.total + 10 + 4 - 5
    assert needs_review(decided) == []
    # applying to the machine's (cached) result again gives the same: nothing accumulates
    assert apply_overrides(machine, loaded, pack) == decided


def test_a_decision_for_an_earlier_submission_is_stale_not_applied(pack: Pack) -> None:
    loaded = parse_overrides(Path("o.csv"), HEADER + f"25기_가,playground,pass,,ok,lead,,{HASH[:16]}\n", pack)
    resubmitted = _result(pack, "25기_가", {"playground": Status.NEEDS_REVIEW}, content_hash="cd" * 32)
    after = apply_overrides(resubmitted, loaded, pack)
    shot = _check(after, "playground")
    assert shot.status == Status.NEEDS_REVIEW and shot.points == 0 and shot.decision.stale
    assert after.total == resubmitted.total and needs_review(after) == ["playground"]
    # back in the review queue; the one decided for this very submission is not
    assert [(i.result.submission.key, i.check.id, i.reason) for i in review_queue([after], loaded)] == [
        ("25기_가", "playground", "stale")]
    current = apply_overrides(_result(pack, "25기_가", {"playground": Status.NEEDS_REVIEW}), loaded, pack)
    assert review_queue([current], loaded) == []


def test_stale_and_decided_checks_are_marked_in_every_report_file(pack: Pack, tmp_path: Path) -> None:
    loaded = parse_overrides(Path("grading/week2-overrides.csv"), HEADER
                             + f"25기_가,playground,pass,,스크린샷을 직접 확인했습니다,lead,,{HASH[:16]}\n"
                             + "25기_나,playground,pass,,ok,lead,,eeeeeeeeeeeeeeee\n", pack)
    results = [apply_overrides(_result(pack, k, {"playground": Status.NEEDS_REVIEW}), loaded, pack)
               for k in ("25기_가", "25기_나")]
    paths = write_report(results, pack, tmp_path, run={"overrides": "grading/week2-overrides.csv"})
    csv = paths.csv.read_text(encoding="utf-8-sig")
    header, *rows = csv.splitlines()
    cols = header.split(",")
    row = dict(zip(cols, rows[0].split(",")))
    assert row["leader_decisions"] == "playground" and row["playground"] == "10.0"
    assert row["submission_hash"] == HASH[:16]
    row = dict(zip(cols, rows[1].split(",")))
    assert row["stale_overrides"] == "playground" and row["needs_review"] == "playground"
    assert "| leader_decisions |" in paths.markdown.read_text(encoding="utf-8")
    feedback = paths.feedback["25기_가"].read_text(encoding="utf-8")
    assert "스터디장 판정 / Session leader's decision" in feedback and "스크린샷을 직접 확인했습니다" in feedback
    assert "Session leader's decision" not in paths.feedback["25기_나"].read_text(encoding="utf-8")
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert any("grading/week2-overrides.csv:3: 25기_나 / playground: stale: resubmitted" in w["en"]
               for w in data["warnings"])
    assert "stale: resubmitted" in paths.html.read_text(encoding="utf-8")
    gradescope = json.loads(paths.results["25기_가"].read_text(encoding="utf-8"))
    shot = next(t for t in gradescope["tests"] if "playground" in t["tags"])
    assert shot["score"] == 10 and "Session leader's decision" in shot["output"] and "직접 확인" in shot["output"]


def test_rows_naming_no_student_of_the_run_are_reported(pack: Pack) -> None:
    loaded = parse_overrides(Path("o.csv"), HEADER + "25기_가,playground,pass,,,,,\n25기_오타,playground,pass,,,,,\n", pack)
    [message] = unknown_students(loaded, {"25기_가", "25기_나"})
    assert message.en == "o.csv:3: no student '25기_오타' in this run (a typo in key?)" and "25기_오타" in message.ko


def test_save_replaces_the_row_and_keeps_every_other_line(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "grading" / "week2-overrides.csv"
    row = Override("25기_가", "playground", "pass", None, "처음", "lead", "2026-07-23T10:00:00+09:00", HASH[:16], 0)
    assert save_override(path, row) == 2
    hand = '25기_나,softmax,maybe,,"hand, written",,,\n'
    path.write_text(path.read_text(encoding="utf-8") + hand, encoding="utf-8")
    assert save_override(path, replace(row, decision="points", points=7.5, comment="다시 봄")) == 2
    assert save_override(path, replace(row, check="naming")) == 4
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == HEADER and lines[2] == hand and len(lines) == 4
    loaded = load_overrides(path, pack)
    assert loaded.rows[("25기_가", "playground")].points == 7.5 and len(loaded.errors) == 1
    path.write_text("key,check\n", encoding="utf-8")
    with pytest.raises(OverridesFileError, match="lacks column"):
        save_override(path, row)


def test_typed_decisions_are_understood() -> None:
    assert parse_decision("pass", 10) == ("pass", None) and parse_decision(" F ", 10) == ("fail", None)
    assert parse_decision("points 7.5", 10) == ("points", 7.5)
    assert "0…10" in parse_decision("points 12", 10) and "?" in parse_decision("maybe", 10)
    assert parse_decision("q", 10) == "quit" and parse_decision("skip", 10) == "skip"


def test_review_queue_with_all_failed(pack: Pack) -> None:
    results = [_result(pack, "25기_가", {"playground": Status.NEEDS_REVIEW, "softmax": Status.FAIL}),
               _result(pack, "25기_나", {"cross_entropy": Status.ERROR})]
    empty = parse_overrides(Path("o.csv"), "", pack)
    assert [(i.result.submission.key, i.check.id) for i in review_queue(results, empty)] == [("25기_가", "playground")]
    assert [(i.result.submission.key, i.check.id, i.reason) for i in review_queue(results, empty, all_failed=True)] == [
        ("25기_가", "softmax", "failed"), ("25기_가", "playground", "needs-review"),  # student by student,
        ("25기_나", "cross_entropy", "failed")]  # in the pack's check order


def test_extensions_file_rows_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "week2-extensions.csv"
    path.write_text("cohort,name,key,deadline\n"
                    "25,홍길동,,2025-09-20\n"  # a date alone: 23:59 that day, class time zone
                    ",,S2026001,2025-09-19T12:00+00:00\n"
                    "25기,김철수,,next friday\n"  # 4: not a date
                    ",이름만,,2025-09-20\n"  # 5: no cohort
                    "25,홍길동,,2025-09-21\n", encoding="utf-8")  # 6: again: the last applies
    ext = load_extensions(path, KST)
    assert ext.find("25기_홍길동", 25, "홍길동").deadline == datetime(2025, 9, 21, 23, 59, tzinfo=KST)
    assert ext.find("S2026001", None, None).deadline.utcoffset().total_seconds() == 0
    lines = [e.en.split(":")[1] for e in ext.errors]
    assert lines == ["4", "5", "6"]
    assert "deadline 'next friday' is not an ISO 8601" in ext.errors[0].en
    assert "cohort (e.g. 25) and name" in ext.errors[1].en and "line 2" in ext.errors[2].en
    assert ext.unused() == []
    bad = parse_extensions(path, "name,when\n홍길동,2025-09-20\n", KST)
    assert not bad and f"{path}:1:" in bad.errors[0].en


def test_an_extension_makes_a_late_upload_on_time_in_the_class_repository(pack: Pack, tmp_path: Path) -> None:
    """Real git: the late student's only upload is after the class deadline; their extension is not."""
    f = GitFactory(tmp_path / "class")
    f.write(f"{FOLDER}/2주차 과제_25기_김정시.zip", zip_bytes("on time")).commit(kst("09-15 10:00"))
    f.write(f"{FOLDER}/2주차 과제_25기_한지각.zip", zip_bytes("late v1")).commit(kst("09-18 10:00"))
    f.write(f"{FOLDER}/2주차 과제_25기_한지각.zip", zip_bytes("late v2")).commit(kst("09-21 10:00"))
    (tmp_path / "ext.csv").write_text("cohort,name,deadline\n25,한지각,2025-09-19T23:59\n", encoding="utf-8")
    ext = load_extensions(tmp_path / "ext.csv", KST)

    def run(extensions):
        found = discover_class_repo(str(f.path), FOLDER, pack, tmp_path / "cache", tmp_path / "mat",
                                    extensions=extensions)
        return {s.key: s for s in found}

    before, after = run(None), run(ext)
    assert before["25기_한지각"].late and not after["25기_한지각"].late
    # policy "ignore": the version graded is the last one before the student's own deadline
    assert after["25기_한지각"].path.read_bytes() == zip_bytes("late v1")
    assert after["25기_한지각"].extra["extension"]["deadline"] == "2025-09-19T23:59:00+09:00"
    assert after["25기_한지각"].extra["deadline"] == "2025-09-19T23:59:00+09:00"
    assert not after["25기_김정시"].late and "extension" not in after["25기_김정시"].extra
