"""The Playground check on real submissions: every screenshot of the 2026-summer cohort (the
class repository bundle) and the 2025-fall zips, opened by the grader's own intake.

Labels were written by looking at each image: the dataset selected under DATA, the test loss
and the epoch shown, and what the check must say.  Skipped when ../shared is absent.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from grader.check.context import CheckContext
from grader.intake.artifacts import open_submission
from grader.memo import Memo
from grader.models import Intake, Message, Status
from grader.pack import Pack, load_pack
from conftest import week2_module

judge_screenshot = week2_module("playground.reader").judge_screenshot

SHARED = Path(__file__).resolve().parents[2] / "shared" / "kubig" / "week2"
BUNDLE = SHARED / "class-repo-2026-summer" / "class-repo.bundle"
FALL = SHARED / "submissions-2025-fall"
FOLDER = "Basic Study/DL/week2"

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not BUNDLE.is_file() or not FALL.is_dir(), reason="real submissions (../shared) not present"),
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed"),
]

P, F, R = Status.PASS, Status.FAIL, Status.NEEDS_REVIEW

# (student, part of the image's name) -> (dataset, test loss, epoch, verdict for that image)
IMAGES: dict[tuple[str, str], tuple[str, float, int, Status]] = {
    ("성용빈", "기준치"): ("spiral", 0.001, 844, P),
    ("성용빈", "최소레이어"): ("spiral", 0.003, 947, P),
    ("이은서", "스크린샷"): ("spiral", 0.005, 870, P),
    ("김석우", "스크린샷"): ("spiral", 0.005, 894, P),  # 907 px wide
    ("신지유", "스크린샷"): ("spiral", 0.041, 701, F),  # test loss too high
    ("이서현", "9.41.26"): ("xor", 0.000, 367, P),  # macOS name with U+202F; address bar in the shot
    ("이서현", "9.42.01"): ("xor", 0.001, 375, P),
    ("이서현", "9.43.11"): ("spiral", 0.003, 339, P),
    ("조호평", "1번"): ("xor", 0.002, 369, P),
    ("김가현", "김가현"): ("spiral", 0.005, 294, P),
    ("김려원", "뉴럴네트워크"): ("xor", 0.002, 185, P),  # .PNG
    ("박민준", "스크린샷"): ("spiral", 0.005, 898, P),
    ("손윤나", "손윤나"): ("spiral", 0.001, 786, P),
    ("오은하", "1-1"): ("xor", 0.004, 927, P),
    ("오은하", "1-2"): ("xor", 0.004, 978, P),
    ("이신영", "213023"): ("xor", 0.001, 114, P),
    ("이신영", "213052"): ("circle", 0.000, 102, F),  # wrong dataset, perfect loss
    ("정지민", "0.005"): ("spiral", 0.005, 134, P),  # .jpg
    ("채승민", "나선"): ("spiral", 0.005, 537, P),
    ("채승민", "사분면"): ("xor", 0.004, 937, P),
    ("김지원", "캡처"): ("gauss", 0.001, 99, F),  # wrong dataset
    ("홍준기", "스크린샷"): ("xor", 0.004, 221, P),
    ("고서연", "231epoch"): ("xor", 0.002, 231, P),
    ("고서연", "743epoch"): ("spiral", 0.003, 743, P),  # named 사분면 (XOR) but shows the spiral
    ("이정용", "나선"): ("spiral", 0.005, 308, P),
    ("이정용", "사분면"): ("xor", 0.003, 268, P),
}
# the whole submission: one passing image is enough
STUDENTS = {who: P for who, _ in IMAGES} | {"신지유": F, "김지원": F}


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


@pytest.fixture(scope="session")
def pack() -> Pack:
    return load_pack("week2")


@pytest.fixture(scope="session")
def real_intakes(tmp_path_factory: pytest.TempPathFactory, pack: Pack) -> dict[str, Intake]:
    """student name -> Intake of their zip (the bundle cloned once per session)."""
    root = tmp_path_factory.mktemp("real-playground")
    clone = root / "class-repo"
    subprocess.run(["git", "clone", "-q", str(BUNDLE), str(clone)], check=True, capture_output=True)
    zips = sorted((clone / FOLDER).glob("*.zip")) + sorted(FALL.glob("*.zip"))
    out: dict[str, Intake] = {}
    for i, z in enumerate(zips):
        who = next((w for w in STUDENTS if w in _nfc(z.name)), None)
        if who is not None:
            out[who] = open_submission(z, root / f"w{i}", pack)
    return out


@pytest.fixture(scope="session")
def checks(pack: Pack):
    return pack.module()


@pytest.fixture(scope="session")
def memo() -> Memo:
    """One memo for the module's tests, as one grading run has: one OCR per image."""
    return Memo()


def _image(intake: Intake, part: str) -> tuple[Path, str]:
    hits = [(Path(p), n) for p, n in zip(intake.extra["screenshot_candidates"], intake.extra["screenshot_names"])
            if part in _nfc(n)]
    assert len(hits) == 1, (part, intake.extra["screenshot_names"])
    return hits[0]


def test_every_real_image_is_labelled(real_intakes: dict[str, Intake]) -> None:
    names = {(who, _nfc(n)) for who, it in real_intakes.items() for n in it.extra["screenshot_names"]}
    labelled = {(who, _nfc(_image(real_intakes[who], part)[1])) for who, part in IMAGES}
    assert names == labelled


@pytest.mark.parametrize("key", list(IMAGES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_real_image(real_intakes: dict[str, Intake], checks, memo: Memo, key: tuple[str, str]) -> None:
    dataset, loss, epoch, verdict = IMAGES[key]
    path, name = _image(real_intakes[key[0]], key[1])
    reading = checks._read_screenshot(memo, path)  # the check's own memo: one OCR per image
    assert (reading.config.get("dataset"), reading.test_loss, reading.epoch) == (dataset, loss, epoch), reading.problems
    # every real screenshot is recognised as a Playground page (headings, output plot with axes,
    # values in their places): the page check (issue 11) rejects none of them
    assert reading.page == "page" and not reading.page_missing, (reading.page_found, reading.page_missing)
    assert not reading.timed_out
    assert judge_screenshot(name, reading).status is verdict


@pytest.mark.parametrize("who", list(STUDENTS))
def test_real_submission(real_intakes: dict[str, Intake], checks, memo: Memo, pack: Pack, who: str,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's verdict, every image listed by name, no re-run text for the student."""
    reran: list[dict] = []
    monkeypatch.setattr(checks, "rerun_playground", lambda cfg: reran.append(cfg) or None)
    intake = real_intakes[who]
    spec = next(c for c in pack.checks if c.id == "playground")
    result = checks.check_playground(CheckContext(pack, intake, None, None, None, memo=memo), spec)
    assert result.status is STUDENTS[who], result.message.en
    assert result.points == (spec.points if STUDENTS[who] is P else 0)
    for name in intake.extra["screenshot_names"]:
        assert f"'{name}'" in result.message.en and f"'{name}'" in result.message.ko
    assert "re-run" not in result.message.en and not result.diagnostics
    wrong = {"이신영": "circle", "김지원": "Gaussian (gauss)"}.get(who)
    if wrong:
        assert f"{wrong} dataset" in result.message.en


def test_rerun_diagnostic_is_opt_in(real_intakes: dict[str, Intake], checks, memo: Memo, pack: Pack,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Off by default (no CPU spent on it); with `[playground] rerun_diagnostic = true` a fully
    read setting is re-run, and the result stays out of the student's message."""
    reran: list[dict] = []
    monkeypatch.setattr(checks, "rerun_playground", lambda cfg: reran.append(cfg) or Message("재실행", "re-run"))
    spec = next(c for c in pack.checks if c.id == "playground")
    for intake in real_intakes.values():
        checks.check_playground(CheckContext(pack, intake, None, None, None, memo=memo), spec)
    assert reran == []
    opted = dataclasses.replace(pack, raw={**pack.raw, "playground": {**pack.raw["playground"], "rerun_diagnostic": True}})
    results = [checks.check_playground(CheckContext(opted, intake, None, None, None, memo=memo), spec) for intake in real_intakes.values()]
    assert reran and any(r.diagnostics for r in results)
    assert not any("re-run" in r.message.en for r in results)
