"""Submission sources against real local git repositories (no network, no mocks)."""

from __future__ import annotations

import dataclasses
import os
import unicodedata
from pathlib import Path

import pytest

from grader.pack import LatePolicy, Pack, load_pack
from grader.sources import (
    RosterError,
    RosterRow,
    SourceError,
    discover_class_repo,
    discover_local,
    discover_roster,
    fetch_repo,
    load_roster,
)
from grader.sources.gitcache import MSG_EMPTY, MSG_TIMEOUT, cache_path
from grader.sources.roster import split_github_url, week_pattern
from grader.sources.versions import _fallback_identify, identify
try:
    from tests.gitfactory import FOLDER, GitFactory, build_class_repo, build_student_repo, kst, nfd, zip_bytes
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from gitfactory import FOLDER, GitFactory, build_class_repo, build_student_repo, kst, nfd, zip_bytes

FAST = {"retries": 0, "backoff": 0.01}


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def with_policy(pack: Pack, policy: str) -> Pack:
    return dataclasses.replace(pack, late=LatePolicy(policy, 10))


@pytest.fixture(scope="module")
def class_repo(tmp_path_factory: pytest.TempPathFactory):
    return build_class_repo(tmp_path_factory.mktemp("origin"))


def by_key(subs):
    keys = [s.key for s in subs]
    assert len(keys) == len(set(keys)), keys
    return {s.key: s for s in subs}


# ---------------------------------------------------------------- class repository


def test_class_repo_ignore_policy(class_repo, pack, tmp_path):
    r = class_repo
    found = discover_class_repo(r.url, FOLDER, pack, tmp_path / "cache", tmp_path / "mat")
    subs = by_key(found)
    assert set(subs) == {
        "21기_이준언", "21기_정다은", "22기_김철수", "22기_박영희", "22기_한지민", "23기_최민수", "24기_윤서준", "unknown_과제",
    }  # temp.ipynb was deleted; README/png/.gitkeep/week-1 files are not submissions
    assert {s.path: s.reason.en.split(" ")[0] for s in found.skipped} == {  # ... and are logged as skipped
        ".gitkeep": "hidden", "README.md": "not", "playground.png": "not"}

    kim = subs["22기_김철수"]  # NFD re-commit after the deadline + a second copy: one on-time submission
    assert (kim.commit, kim.submitted_at, kim.late) == (r.sha["c2"], "2025-09-14T12:00:00+09:00", False)
    assert kim.extra["versions"] == 1 and kim.cohort == 22 and kim.name == "김철수"
    assert kim.display_name == "2주차 과제_22기_김철수.zip"
    assert kim.path.read_bytes() == r.data["A"]
    assert kim.path == tmp_path / "mat" / "22기_김철수" / "2주차 과제_22기_김철수.zip"

    lee = subs["21기_이준언"]
    assert (lee.commit, lee.late, lee.extra["versions"]) == (r.sha["c2"], False, 1)
    assert lee.source_path == f"{FOLDER}/2주차 과제_21기_이준언.ipynb"

    park = subs["22기_박영희"]  # re-upload before the deadline wins; the late v3 is ignored
    assert (park.commit, park.late) == (r.sha["c4"], False)
    assert park.path.read_bytes() == r.data["P2"]
    assert (park.extra["versions"], park.extra["versions_after_deadline"]) == (3, 1)

    choi = subs["23기_최민수"]  # only late uploads: graded anyway, earliest late one, marked late
    assert (choi.commit, choi.late, choi.submitted_at) == (r.sha["c7"], True, "2025-09-18T10:00:00+09:00")
    assert choi.path.read_bytes() == r.data["M1"]

    han = subs["22기_한지민"]  # a student folder: graded as a whole, state at the deadline
    assert han.path.is_dir() and han.extra["kind"] == "folder" and not han.late
    assert (han.path / "shot.png").read_bytes() == r.data["H_PNG1"]
    assert (han.path / "notebook.ipynb").read_bytes() == r.data["H_NB"]

    empty = subs["24기_윤서준"]  # a 0-byte zip is still a submission (intake reports it)
    assert empty.path.is_file() and empty.path.stat().st_size == 0

    odd = subs["unknown_과제"]
    assert odd.cohort is None and odd.extra["unidentified"] and odd.path.read_bytes() == r.data["MISNAMED"]
    assert subs["21기_정다은"].display_name == "2주차과제_21기_정다은.zip"

    for s in subs.values():  # NFC everywhere a later stage looks
        for text in (s.key, s.display_name, s.source_path, s.path.name):
            assert unicodedata.is_normalized("NFC", text)
    assert sorted(p.name for p in (tmp_path / "mat").iterdir()) == sorted(subs)


@pytest.mark.parametrize("policy", ["latest", "penalty"])
def test_class_repo_latest_policy(class_repo, pack, tmp_path, policy):
    r = class_repo
    subs = by_key(discover_class_repo(r.url, FOLDER, with_policy(pack, policy), tmp_path / "c", tmp_path / "m"))
    park = subs["22기_박영희"]
    assert (park.commit, park.late, park.path.read_bytes()) == (r.sha["c6"], True, r.data["P3"])
    choi = subs["23기_최민수"]
    assert (choi.commit, choi.late, choi.path.read_bytes()) == (r.sha["c8"], True, r.data["M2"])
    lee = subs["21기_이준언"]  # the latest version is the NFD copy: same bytes, so not late
    assert (lee.commit, lee.late, lee.extra["nfd_path"]) == (r.sha["c2"], False, True)
    assert lee.display_name == "2주차 과제_21기_이준언.ipynb"
    assert lee.extra["graded_commit"] == r.sha["c5"]
    han = subs["22기_한지민"]
    assert han.late and (han.path / "shot.png").read_bytes() == r.data["H_PNG2"]


def test_class_repo_deadline_override_and_nfd_folder(class_repo, pack, tmp_path):
    r = class_repo
    subs = by_key(discover_class_repo(str(r.factory.path), nfd(FOLDER), pack, tmp_path / "c", tmp_path / "m",
                                      deadline=kst("09-15 12:00")))
    assert (subs["22기_박영희"].commit, subs["22기_박영희"].late) == (r.sha["c3"], False)
    assert subs["24기_윤서준"].late  # first appeared 09-16 20:00


def test_class_repo_second_run_only_fetches(pack, tmp_path):
    f = GitFactory(tmp_path / "origin")
    f.write(f"{FOLDER}/2주차 과제_22기_김철수.zip", zip_bytes("a"))
    f.commit(kst("09-14 10:00"))
    cache = tmp_path / "cache"
    first = discover_class_repo(f.url, FOLDER, pack, cache, tmp_path / "m")
    clone = cache_path(cache, f.url)
    marker = clone / "kept-by-fetch"
    marker.write_text("x")
    inode = clone.stat().st_ino
    f.write(f"{FOLDER}/2주차 과제_22기_박영희.zip", zip_bytes("b"))
    new_sha = f.commit(kst("09-15 10:00"))
    second = by_key(discover_class_repo(f.url, FOLDER, pack, cache, tmp_path / "m"))
    assert [s.key for s in first] == ["22기_김철수"]
    assert set(second) == {"22기_김철수", "22기_박영희"} and second["22기_박영희"].commit == new_sha
    assert marker.exists() and clone.stat().st_ino == inode
    with fetch_repo(f.url, cache) as repo:
        assert not repo.cloned and repo.path == clone


def test_class_repo_errors(pack, tmp_path):
    with pytest.raises(SourceError) as err:
        discover_class_repo(str(tmp_path / "nope"), FOLDER, pack, tmp_path / "c", tmp_path / "m", **FAST)
    assert "does not exist" in err.value.detail
    f = GitFactory(tmp_path / "origin")
    f.write("README.md", b"hi").commit(kst("09-01 10:00"))
    with pytest.raises(SourceError) as err:
        discover_class_repo(f.url, FOLDER, pack, tmp_path / "c", tmp_path / "m")
    assert "2주차" in err.value.detail and err.value.message.en.startswith("The assignment folder")


def test_fetch_empty_repo_and_timeout(tmp_path, monkeypatch):
    GitFactory(tmp_path / "empty")
    with pytest.raises(SourceError) as err:
        fetch_repo(str(tmp_path / "empty"), tmp_path / "c")
    assert err.value.message == MSG_EMPTY
    # a remote that never answers: killed after the timeout (reported as a timeout, not as the
    # remote hanging up 30 s later), retried once (two attempts), then reported
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "ext")
    attempts = tmp_path / "attempts"
    with pytest.raises(SourceError) as err:
        fetch_repo(f"ext::sh -c echo% x% >>{attempts};% exec% sleep% 30", tmp_path / "c",
                   timeout=1, retries=1, backoff=0.01)
    assert err.value.message == MSG_TIMEOUT and "did not complete" in err.value.detail
    assert attempts.read_text().split() == ["x", "x"]
    assert not list((tmp_path / "c" / "repos").glob("*.tmp-*"))


# ---------------------------------------------------------------- roster


def write_roster(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig",
                 header: str = "student_id,name,cohort,github,repo_url,branch,path") -> Path:
    lines = [header] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_roster_mode(pack, tmp_path):
    origin = tmp_path / "origin"
    a = build_student_repo(origin, "a", [
        ("1주차/1주차 과제_22기_가나다.zip", zip_bytes("a-w1"), "09-05 10:00"),
        ("2주차/2주차 과제_22기_가나다.zip", zip_bytes("a-v1"), "09-15 10:00"),
        ("2주차/2주차 과제_22기_가나다.zip", zip_bytes("a-late"), "09-18 10:00"),
    ])
    b = build_student_repo(origin, "b", [
        ("2주차 과제_22기_라마바.ipynb", b'{"b": 2}', "09-16 23:00"),
        ("3주차 과제_22기_라마바.ipynb", b'{"b": 3}', "09-20 10:00"),
    ])
    c = build_student_repo(origin, "c", [("README.md", b"c", "09-01 10:00")])
    c.checkout("submit", create=True)
    c.write("assignments/week02/hw.ipynb", b'{"c": 1}').write("assignments/week02/shot.png", b"png")
    c.commit(kst("09-16 12:00"))
    d = build_student_repo(origin, "d", [("README.md", b"nothing here", "09-01 10:00")])
    rows = [
        ["2021001", "가나다", "22", "ganada", a.url, "", ""],
        ["2021002", "라마바", "22기", "ramaba", str(b.path), "", ""],
        ["2021003", "사아자", "23", "saaja", c.url, "submit", ""],
        ["2021004", "차카타", "23", "chakata", (tmp_path / "gone.git").as_uri(), "", ""],
        ["2021005", "파하", "24", "paha", d.url, "", ""],
        ["2021006", "무저장소", "24", "", "", "", ""],
    ]
    roster = load_roster(write_roster(tmp_path / "roster.csv", rows))
    assert roster[1] == RosterRow("2021002", "라마바", 22, "ramaba", str(b.path), None, None)
    subs = discover_roster(roster, pack, tmp_path / "cache", tmp_path / "mat", **FAST)
    assert [s.key for s in subs] == [r[0] for r in rows]  # every row, in roster order
    sa, sb, sc, sd, se, sf = subs
    assert (sa.late, sa.path.read_bytes(), sa.name, sa.cohort) == (False, zip_bytes("a-v1"), "가나다", 22)
    assert sa.commit == a.repo.git.rev_list("-n1", "--before=2025-09-16", "HEAD")
    assert sb.path.read_bytes() == b'{"b": 2}' and sb.extra["found_by"] == "file name" and not sb.late
    assert sc.path.is_dir() and sorted(p.name for p in sc.path.iterdir()) == ["hw.ipynb", "shot.png"]
    assert sc.commit == c.repo.head.commit.hexsha
    assert (sd.status, sd.path) == ("unreachable", None) and "gone.git" in sd.detail
    assert sd.extra["message"]["en"].startswith("The repository cannot be reached")
    assert (se.status, se.path) == ("missing", None)
    assert (sf.status, sf.path) == ("missing", None)
    # penalty: the latest version, marked late
    late = discover_roster(roster[:1], with_policy(pack, "penalty"), tmp_path / "cache", tmp_path / "mat", **FAST)
    assert late[0].late and late[0].path.read_bytes() == zip_bytes("a-late")


def test_roster_same_repo_with_paths(class_repo, pack, tmp_path):
    rows = [RosterRow("1", "김철수", 22, "", class_repo.url, None, f"{FOLDER}/2주차 과제_22기_김철수.zip"),
            RosterRow("2", "한지민", 22, "", class_repo.url, None, nfd(f"{FOLDER}/22기_한지민"))]
    one, two = discover_roster(rows, pack, tmp_path / "c", tmp_path / "m")
    assert one.commit == class_repo.sha["c2"] and not one.late
    assert two.path.is_dir() and (two.path / "shot.png").read_bytes() == class_repo.data["H_PNG1"]


def test_load_roster_encodings_and_errors(tmp_path):
    cp = write_roster(tmp_path / "cp949.csv", [["1", "홍길동", "22", "gh", "https://github.com/x/y/tree/main/week2"]],
                      encoding="cp949", header="학번,이름,기수,깃허브,저장소")
    (row,) = load_roster(cp)
    assert (row.name, row.cohort, row.repo_url, row.branch, row.path) == (
        "홍길동", 22, "https://github.com/x/y", "main", "week2")
    plain = write_roster(tmp_path / "plain.csv", [["1", "a", "22", "g", "u", "", ""]], encoding="utf-8")
    assert load_roster(plain)[0].repo_url == "u"
    bad = write_roster(tmp_path / "bad.csv", [["1", "a"]], header="id,name")
    with pytest.raises(RosterError) as err:
        load_roster(bad)
    assert "cohort" in err.value.message.en and "repo_url" in err.value.message.ko
    dup = write_roster(tmp_path / "dup.csv", [["1", "a", "1", "g", "u", "", ""]] * 2)
    with pytest.raises(RosterError, match="twice"):
        load_roster(dup)


def test_url_and_week_helpers():
    assert split_github_url("github.com/KU-BIG/KUBIG_2025_FALL.git") == ("https://github.com/KU-BIG/KUBIG_2025_FALL", None, None)
    assert split_github_url("/local/path") == ("/local/path", None, None)
    pattern = week_pattern(2)
    assert all(pattern.search(s) for s in ["2주차", "02 주차", "week2", "Week_02", "w2"])
    assert not any(pattern.search(s) for s in ["12주차", "week12", "hw2", "22기"])


# ---------------------------------------------------------------- local


def test_local_folder_of_submissions(pack, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "2주차 과제_22기_김철수.zip").write_bytes(b"A")
    (folder / nfd("2주차 과제_22기_김철수.zip")).write_bytes(b"A")  # same bytes, NFD name
    (folder / "2주차 과제_21기_이준언.ipynb").write_bytes(b"{}")
    (folder / "notes.txt").write_text("not a submission")
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "._x.zip").write_bytes(b"junk")
    student = folder / "22기_한지민"
    student.mkdir()
    (student / "nb.ipynb").write_bytes(b"{}")
    (student / "shot.png").write_bytes(b"png")
    other = folder / "misc"
    other.mkdir()
    (other / "과제.zip").write_bytes(b"Z")
    subs = by_key(discover_local(folder, pack))
    assert set(subs) == {"22기_김철수", "21기_이준언", "22기_한지민", "unknown_misc_과제"}
    assert unicodedata.is_normalized("NFC", subs["22기_김철수"].path.name)
    assert subs["22기_한지민"].path == student and subs["22기_한지민"].extra["kind"] == "folder"


def test_local_single_items(pack, tmp_path):
    nb = tmp_path / "2주차 과제_21기_이준언.ipynb"
    nb.write_bytes(b"{}")
    (sub,) = discover_local(nb, pack)
    assert (sub.key, sub.path, sub.display_name) == ("21기_이준언", nb, nb.name)
    one = tmp_path / "one"
    one.mkdir()
    (one / "2주차 과제_22기_홍길동.ipynb").write_bytes(b"{}")
    (one / "shot.png").write_bytes(b"png")
    (sub,) = discover_local(one, pack)
    assert (sub.key, sub.path) == ("22기_홍길동", one)
    # two different files for one student: the newer one wins, the other is recorded
    many = tmp_path / "many"
    many.mkdir()
    old, new = many / "2주차 과제_22기_홍길동.zip", many / "2주차 과제_22기_홍길동.ipynb"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    os.utime(old, (1_000_000, 1_000_000))
    (sub,) = discover_local(many, pack)
    assert sub.path == new and sub.extra["other_files"] == [str(old)]
    with pytest.raises(SourceError):
        discover_local(tmp_path / "missing", pack)


def test_identify_fallback_shapes(pack):
    assert identify("2주차 과제_22기_박세훈.zip", pack) == (22, "박세훈")
    assert identify(nfd("2주차 과제 23기_김민지.zip"), pack) == (23, "김민지")
    assert identify("README.md", pack) == (None, None)
    # the tiny fallback used when grader.intake.naming is unavailable
    assert _fallback_identify("2주차 과제 23기_김민지.zip") == (23, "김민지")
    assert _fallback_identify("22기.zip") == (22, None) and _fallback_identify("과제.ipynb") == (None, None)
