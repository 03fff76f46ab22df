"""File-name parsing: the student is identified from every real-world variant, and each deviation
is explained with the exact correct name."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from grader.intake.checks import naming_check
from grader.intake.naming import parse_name
from grader.pack import CheckSpec, NamingRule
from grader.models import Message, Status

RULE = NamingRule("{week}주차 과제_{cohort}기_{name}.zip", "naming")
SPEC = CheckSpec("naming", 5.0, Message("파일 이름 규칙", "File naming convention"))
GOOD = "2주차 과제_22기_박세훈.zip"
REAL = Path("/work/shared/kubig/week2/submissions-2025-fall")
HANGUL = re.compile(r"[가-힣]")


def _assert_bilingual(messages: tuple[Message, ...]) -> None:
    for m in messages:
        assert HANGUL.search(m.ko), m
        assert m.en.strip() and m.en != m.ko, m


@pytest.mark.parametrize("raw", [GOOD, unicodedata.normalize("NFD", GOOD), GOOD.encode("utf-8"),
                                 unicodedata.normalize("NFD", GOOD).encode("utf-8"), GOOD.encode("cp949")],
                         ids=["nfc", "nfd", "utf8-bytes", "nfd-bytes", "cp949-bytes"])
def test_conforming_name_in_any_encoding(raw: str | bytes) -> None:
    info = parse_name(raw, RULE, 2)
    assert (info.week, info.cohort, info.name) == (2, 22, "박세훈")
    assert info.conforms and info.normalized == GOOD and info.expected_name == GOOD
    assert info.problems == ()
    result = naming_check(info, SPEC)
    assert result.status == Status.PASS and result.points == 5.0


@pytest.mark.parametrize("filename, cohort, name, hint", [
    ("2주차_과제_23기_김민수.zip", 23, "김민수", "띄어쓰기"),
    ("2주차과제_21기_이영희.zip", 21, "이영희", "띄어쓰기"),
    ("2주차 과제 23기_최지우.zip", 23, "최지우", "띄어쓰기"),
    ("2주차_24기_홍길동.zip", 24, "홍길동", "과제"),
    ("2주차 과제_22_박세훈.zip", 22, "박세훈", "22기"),
    ("2주차 과제_22기_박세훈 (1).zip", 22, "박세훈", "(1)"),
    ("2주차 과제_22기_박세훈(2).zip", 22, "박세훈", "(2)"),
    ("DL_2주차_과제_22기_박세훈.zip", 22, "박세훈", "DL"),
    ("박세훈_2주차 과제_22기.zip", 22, "박세훈", "순서"),
    ("2주차 과제_22기_박세훈.ZIP", 22, "박세훈", "소문자"),
])
def test_variants_identify_student_and_say_how_to_fix(filename: str, cohort: int, name: str, hint: str) -> None:
    info = parse_name(filename, RULE, 2)
    expected = f"2주차 과제_{cohort}기_{name}.zip"
    assert (info.cohort, info.name, info.conforms) == (cohort, name, False)
    assert info.expected_name == expected
    assert any(hint in p.ko for p in info.problems), info.problems
    _assert_bilingual(info.problems)
    result = naming_check(info, SPEC)
    assert result.status == Status.FAIL and result.points == 0
    assert expected in result.message.ko and expected in result.message.en


def test_wrong_week_is_reported_and_expected_name_uses_assignment_week() -> None:
    info = parse_name("3주차 과제_22기_박세훈.zip", RULE, 2)
    assert info.week == 3 and not info.conforms
    assert info.expected_name == GOOD
    assert any("3주차" in p.ko and "2주차" in p.ko for p in info.problems)


def test_missing_cohort_uses_placeholder_and_says_so() -> None:
    info = parse_name("2주차 과제_박세훈.zip", RULE, 2)
    assert info.cohort is None and info.name == "박세훈" and not info.conforms
    assert info.expected_name == "2주차 과제_{기수}기_박세훈.zip"
    assert any("{기수}" in p.ko and "{기수}" in p.en for p in info.problems)


def test_bare_notebook_needs_a_zip() -> None:
    info = parse_name("2주차 과제_21기_이준언.ipynb", RULE, 2)
    assert (info.cohort, info.name, info.conforms) == (21, "이준언", False)
    assert info.expected_name == "2주차 과제_21기_이준언.zip"
    assert any(".ipynb" in p.ko and ".zip" in p.ko for p in info.problems)


def test_directory_part_is_ignored() -> None:
    info = parse_name(f"Basic Study/DL/2주차/{GOOD}", RULE, 2)
    assert info.conforms and info.normalized == GOOD


def test_unknown_everything_never_raises() -> None:
    info = parse_name(b"\xff\xfe\x00.bin", RULE, 2)
    assert not info.conforms and info.cohort is None and info.week is None
    assert "{기수}" in (info.expected_name or "")
    assert len(info.problems) >= 3


@pytest.mark.real
@pytest.mark.skipif(not REAL.is_dir(), reason="real KUBIG submissions not available")
def test_real_file_names() -> None:
    parsed = {parse_name(os.fsencode(p), RULE, 2) for p in os.listdir(REAL)}
    people = {(i.cohort, i.name) for i in parsed}
    assert people == {(21, "이준언"), (22, "성용빈"), (22, "이세훈"), (22, "이은서")}
    assert {i.normalized for i in parsed if not i.conforms} == {"2주차 과제_21기_이준언.ipynb"}
