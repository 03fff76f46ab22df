"""Tests for the week-2 pack's Playground reader (assignments/week2/playground/reader.py): synthetic Playground screenshots drawn with Pillow, plus the
real week-2 screenshots when /work/shared/kubig is present."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

import pytest
from PIL import Image

from grader.models import Message, Status
from conftest import playground_renderer, week2_module

screenshots = week2_module("playground.reader")
PlaygroundReading, playground_check, read_playground = (
    screenshots.PlaygroundReading, screenshots.playground_check, screenshots.read_playground)

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

_renderer = playground_renderer()
render_playground = _renderer.render_playground
BG = _renderer.BG


@lru_cache(maxsize=None)
def _read(path: Path) -> PlaygroundReading:
    return read_playground(path)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("shots")
    return {
        "pass": render_playground(d / "pass.png"),
        "fail_loss": render_playground(d / "fail_loss.png", test_loss="0.012", training_loss="0.009",
                                       epoch="000,412", activation="ReLU", learning_rate="0.01",
                                       neurons=(8, 6, 4), dataset="xor", features=(0, 1, 2, 3, 4)),
        "late": render_playground(d / "late.png", epoch="001,250", test_loss="0.003"),
        "cropped": render_playground(d / "cropped.png", epoch=None),
        "jpg": render_playground(d / "shot.jpg", epoch="000,871", test_loss="0.005", quality=80),
        "JPG": render_playground(d / "SHOT.JPG", epoch="000,090", test_loss="0.001", scale=1.5),
    }


# ----------------------------------------------------------------- parsing helpers (no OCR)


@pytest.mark.parametrize("token, value", [
    ("0.004", 0.004), ("O.OO4", 0.004), ("0,005", 0.005), ("0004", 0.004), ("0.0l2", 0.012),
    ("1.234", 1.234), ("0.05", None), ("loss", None), ("0.0045", None),
])
def test_parse_loss(token: str, value: float | None) -> None:
    assert screenshots._parse_loss(token) == value


@pytest.mark.parametrize("token, value", [
    ("000,359", 359), ("OOO,359", 359), ("000.359", 359), ("001,000", 1000), ("000359", 359),
    ("1,000,000", 1000000), ("359", None), ("Epoch", None),
])
def test_parse_epoch(token: str, value: int | None) -> None:
    assert screenshots._parse_epoch(token) == value


def test_split_label_is_found() -> None:
    """"Test" / "loss 0.004" wrapped over two lines still pairs label and value."""
    W = screenshots._Word
    words = [W("Test", 100, 100, 40, 14, 90), W("loss", 100, 120, 40, 14, 90),
             W("0.004", 150, 120, 50, 14, 90), W("Training", 100, 160, 70, 14, 90),
             W("loss", 175, 160, 40, 14, 90), W("0.010", 220, 160, 50, 14, 90)]
    lines = screenshots._lines(words)
    assert screenshots._find_loss(lines, "test")[0] == 0.004
    assert screenshots._find_loss(lines, "training")[0] == 0.010


def _field(ink_h: int | None, page_value: float | None = 0.005) -> "screenshots._Field":
    return screenshots._Field("test loss", page_value, (0, 0, 50, 10), 10, screenshots._parse_loss,
                              ink_h=ink_h)


@pytest.mark.parametrize("texts, ink_h, expected", [
    (["0.005"] * 5, 20, 0.005),                              # unanimous
    (["0.005", "0.006", "0.005", "0.005", "0.005"], 20, 0.005),  # clear majority
    (["0.006", "0.005", "0.006", "0.005", "0.006"], 20, None),   # 3 of 6: no winner
    (["0.005", "0.005", "0.005", "0.006", "0.005"], 6, None),    # small text: any dissent
    (["0.005", "", "", "0.005", ""], 6, None),                   # small text: too few reads
    (["0.005"] * 5, 6, 0.005),
])
def test_vote(monkeypatch: pytest.MonkeyPatch, texts: list[str], ink_h: int, expected: float | None) -> None:
    queue = list(texts)
    monkeypatch.setattr(screenshots, "_ocr_stacked", lambda gray, jobs: [queue.pop(0) for _ in jobs])
    problems: list[str] = []
    out = screenshots._read_fields(Image.new("L", (60, 20), 255), [_field(ink_h)], problems)
    assert out["test loss"] == expected
    assert bool(problems) == (expected is None)


# ----------------------------------------------------------------- synthetic screenshots


def test_passing_screenshot(shots: dict[str, Path]) -> None:
    r = _read(shots["pass"])
    assert (r.test_loss, r.training_loss, r.epoch) == (0.004, 0.010, 359), r.problems
    assert r.problems == []
    assert r.config == {
        "learning_rate": 0.03, "activation": "tanh", "regularization": "none",
        "regularization_rate": 0.0, "problem": "classification", "batch_size": 10, "noise": 0,
        "perc_train_data": 50, "hidden_layers": 2, "neurons": [4, 2], "features": ["x", "y"],
        "dataset": "spiral",
    }
    assert "Test loss 0.004" in r.raw_text


def test_failing_loss_config(shots: dict[str, Path]) -> None:
    r = _read(shots["fail_loss"])
    assert (r.test_loss, r.epoch) == (0.012, 412)
    assert r.config["activation"] == "relu" and r.config["learning_rate"] == 0.01
    assert r.config["neurons"] == [8, 6, 4]
    assert r.config["dataset"] == "xor"
    assert r.config["features"] == ["x", "y", "xSquared", "ySquared", "xTimesY"]


def test_epoch_over_limit(shots: dict[str, Path]) -> None:
    r = _read(shots["late"])
    assert (r.test_loss, r.epoch) == (0.003, 1250)


def test_epoch_cropped(shots: dict[str, Path]) -> None:
    r = _read(shots["cropped"])
    assert r.epoch is None and r.test_loss == 0.004
    assert any("Epoch" in p for p in r.problems)
    assert "learning_rate" not in r.config and r.config.get("dataset") == "spiral"


@pytest.mark.parametrize("key, loss, epoch", [("jpg", 0.005, 871), ("JPG", 0.001, 90)])
def test_jpeg_variants(shots: dict[str, Path], key: str, loss: float, epoch: int) -> None:
    r = _read(shots[key])
    assert (r.test_loss, r.epoch) == (loss, epoch), r.problems


def test_blank_image(tmp_path: Path) -> None:
    p = tmp_path / "blank.png"
    Image.new("RGB", (800, 500), (255, 255, 255)).save(p)
    env_before = os.environ.get("OMP_THREAD_LIMIT")
    r = read_playground(p)
    assert (r.test_loss, r.epoch, r.config) == (None, None, {})
    assert any("no TensorFlow Playground text" in p for p in r.problems)
    assert os.environ.get("OMP_THREAD_LIMIT") == env_before  # only set around Tesseract calls


@pytest.mark.parametrize("name, data", [
    ("notes.png", b"this is not an image"),
    ("empty.jpg", b""),
    ("truncated.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
])
def test_not_an_image(tmp_path: Path, name: str, data: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    r = read_playground(p)
    assert (r.test_loss, r.epoch) == (None, None)
    assert r.problems
    result = playground_check(p, 10)
    assert result.status is Status.NEEDS_REVIEW and result.points == 0
    assert "could not be read" in result.message.en and "session leader" in result.message.en


def test_missing_file_and_tiny_image(tmp_path: Path) -> None:
    assert read_playground(tmp_path / "nope.png").problems
    p = tmp_path / "tiny.png"
    Image.new("RGB", (4, 3), BG).save(p)
    assert read_playground(p).problems


def test_low_resolution_is_never_misread(tmp_path: Path) -> None:
    """A 1x screenshot shrunk to 60 % and saved as a poor JPEG: read right or not at all."""
    small = render_playground(tmp_path / "base.png", scale=1.0, test_loss="0.005", epoch="000,866")
    p = tmp_path / "small.jpeg"
    with Image.open(small) as im:
        im.resize((720, 432), Image.LANCZOS).save(p, quality=60)
    r = read_playground(p)
    assert r.test_loss in (0.005, None) and r.epoch in (866, None)


def test_huge_image(tmp_path: Path) -> None:
    small = render_playground(tmp_path / "base.png", scale=1.0)
    p = tmp_path / "huge.jpg"
    with Image.open(small) as im:
        im.resize((6000, 3600), Image.NEAREST).save(p, quality=85)
    r = read_playground(p)
    assert (r.test_loss, r.epoch) == (0.004, 359), r.problems


# ----------------------------------------------------------------- the four datasets (rendered pages)


@pytest.mark.parametrize("dataset, status", [("circle", Status.FAIL), ("gauss", Status.FAIL),
                                             ("xor", Status.PASS), ("spiral", Status.PASS)])
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_rendered_datasets(tmp_path: Path, dataset: str, status: Status, scale: float) -> None:
    """Spiral and XOR pass; circle and Gaussian fail, naming the dataset seen and the allowed ones."""
    p = render_playground(tmp_path / f"{dataset}.png", dataset=dataset, scale=scale, test_loss="0.000")
    r = _read(p)
    assert r.config.get("dataset") == dataset, r.config
    result = playground_check(p, 10)
    assert result.status is status and result.points == (10 if status is Status.PASS else 0), result.message.en
    name = screenshots.DATASET_NAMES[dataset]
    assert f"{name.en} dataset" in result.message.en and f"{name.ko} 데이터셋" in result.message.ko
    if status is Status.FAIL:
        assert f"the {name.en} dataset is selected" in result.message.en
        assert "spiral or the four-quadrant (XOR)" in result.message.en
        assert "나선(spiral) 또는 사분면(XOR)" in result.message.ko


def test_rendered_dataset_unreadable(tmp_path: Path) -> None:
    """No thumbnail selected (or the DATA column cropped): needs review, never a silent pass."""
    p = render_playground(tmp_path / "none.png", dataset=None)
    assert "dataset" not in _read(p).config
    result = playground_check(p, 10)
    assert result.status is Status.NEEDS_REVIEW and result.points == 0
    assert "dataset could not be read" in result.message.en and "데이터셋인지 읽을 수 없음" in result.message.ko
    with Image.open(render_playground(tmp_path / "xor.png", dataset="xor")) as im:
        im.crop((round(im.width * 0.13), 0, im.width, im.height)).save(tmp_path / "cropped.png")  # DATA column cut off
    assert playground_check(tmp_path / "cropped.png", 10).status is Status.NEEDS_REVIEW


def test_thumbnail_kind_needs_both_colours() -> None:
    import numpy as np

    blank = np.full((40, 40, 3), 250, dtype=np.uint8)
    assert screenshots._thumbnail_kind(blank) is None
    half = blank.copy()
    half[:, :20] = (245, 147, 34)  # orange left, nothing blue
    assert screenshots._thumbnail_kind(half) is None


def test_zip_with_a_failing_and_a_passing_screenshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through intake and the pack's check: both images are read (once each) and listed."""
    from grader.check.context import CheckContext
    from grader.intake.artifacts import open_submission
    from grader.pack import load_pack

    pack = load_pack("week2")
    checks = pack.module()
    circle = render_playground(tmp_path / "c.png", dataset="circle", test_loss="0.000", epoch="000,102")
    xor = render_playground(tmp_path / "x.png", dataset="xor", test_loss="0.003", epoch="000,268")
    src = tmp_path / "2주차 과제_24기_홍길동.zip"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("2주차 과제.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        zf.write(circle, "원.png")
        zf.write(xor, "사분면_268epoch:0.003.png")
    intake = open_submission(src, tmp_path / "work", pack)
    assert intake.extra["screenshot_names"] == ("원.png", "사분면_268epoch:0.003.png") or \
        set(intake.extra["screenshot_names"]) == {"원.png", "사분면_268epoch:0.003.png"}
    notes = [m.en for m in intake.extra["notes"]]
    assert any("Found 2 images; all are read" in n for n in notes) and not any("using '" in n for n in notes)
    calls: list[Path] = []
    real_read = screenshots.read_playground
    monkeypatch.setattr(screenshots, "read_playground", lambda p: calls.append(p) or real_read(p))
    monkeypatch.setattr(checks, "rerun_playground", lambda cfg: None)
    spec = next(c for c in pack.checks if c.id == "playground")
    ctx = CheckContext(pack, intake, None, None, None)
    result = checks.check_playground(ctx, spec)
    assert result.status is Status.PASS and result.points == spec.points, result.message.en
    assert "'원.png': circle dataset, test loss 0.000, epoch 102 — does not meet the task" in result.message.en
    assert "'사분면_268epoch:0.003.png': four-quadrant (XOR) dataset, test loss 0.003, epoch 268 — meets" in result.message.en
    assert "1 of 2 screenshots" in result.message.en
    assert len(calls) == 2
    assert checks.check_playground(ctx, spec) == result and len(calls) == 2  # one OCR per distinct image


# ----------------------------------------------------------------- playground_check


def test_check_pass_and_rerun(shots: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The re-run is a leader-only diagnostic: called for a fully read setting, never in the message."""
    monkeypatch.setattr(screenshots, "read_playground", _read)  # same OCR as test_passing_screenshot
    seen: list[dict] = []

    def rerun(cfg: dict) -> Message | None:
        seen.append(cfg)
        return Message("재실행 결과: test loss 0.004", "re-run: test loss 0.004")

    result = playground_check(shots["pass"], 10, rerun=rerun)
    assert result.status is Status.PASS and result.points == 10 and result.max_points == 10
    assert "0.004" in result.message.en and "359" in result.message.en and "0.005" in result.message.en
    assert "spiral" in result.message.en and "'pass.png'" in result.message.en
    assert "0.004" in result.message.ko and "기준" in result.message.ko and "나선" in result.message.ko
    assert seen and seen[0]["dataset"] == "spiral" and seen[0]["neurons"] == [4, 2]
    assert "re-run" not in result.message.en and "재실행" not in result.message.ko
    assert [m.en for m in result.diagnostics] == ["'pass.png': re-run: test loss 0.004"]
    data = result.to_json()
    assert data["status"] == "pass" and data["diagnostics"][0]["en"].endswith("re-run: test loss 0.004")
    assert type(result).from_json(data) == result


def _fake(monkeypatch: pytest.MonkeyPatch, reading: PlaygroundReading) -> None:
    monkeypatch.setattr(screenshots, "read_playground", lambda path: reading)


SPIRAL = {"dataset": "spiral"}


def test_check_statuses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    img = tmp_path / "x.png"
    img.write_bytes(b"stub")  # read_playground is faked below
    cases = [
        (PlaygroundReading(0.012, 0.01, 400, SPIRAL), Status.FAIL, ["0.012", "0.005"]),
        (PlaygroundReading(0.003, 0.01, 1250, SPIRAL), Status.FAIL, ["1250", "1000"]),
        (PlaygroundReading(0.012, None, None, {}), Status.FAIL, ["0.012"]),
        (PlaygroundReading(0.004, 0.01, None, SPIRAL), Status.NEEDS_REVIEW, ["0.004", "session leader"]),
        (PlaygroundReading(None, None, 300, SPIRAL), Status.NEEDS_REVIEW, ["test loss"]),
        (PlaygroundReading(0.005, 0.005, 1000, SPIRAL), Status.PASS, ["0.005", "1000"]),
        (PlaygroundReading(0.005, 0.005, 1000, {"dataset": "xor"}), Status.PASS, ["four-quadrant (XOR)"]),
        # the dataset must be read: a good loss on an unknown dataset is not a silent pass
        (PlaygroundReading(0.001, 0.001, 200, {}), Status.NEEDS_REVIEW, ["dataset could not be read", "session leader"]),
        (PlaygroundReading(0.000, 0.000, 102, {"dataset": "circle"}), Status.FAIL,
         ["circle dataset is selected", "spiral or the four-quadrant (XOR)"]),
        (PlaygroundReading(0.001, 0.001, 99, {"dataset": "gauss"}), Status.FAIL, ["Gaussian (gauss) dataset is selected"]),
        (PlaygroundReading(None, None, None, {"dataset": "gauss"}), Status.FAIL, ["Gaussian"]),
    ]
    for reading, status, needles in cases:
        _fake(monkeypatch, reading)
        result = playground_check(img, 5)
        assert result.status is status, (reading, result)
        assert result.points == (5 if status is Status.PASS else 0)
        for n in needles:
            assert n in result.message.en, (n, result.message.en)
        assert result.message.ko and result.message.ko != result.message.en
        if (ds := reading.config.get("dataset")) in ("circle", "gauss"):
            assert screenshots.DATASET_NAMES[ds].ko in result.message.ko
            assert "나선(spiral)" in result.message.ko and "사분면(XOR)" in result.message.ko


def test_check_rerun_needs_complete_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    img = tmp_path / "x.png"
    img.write_bytes(b"stub")
    calls: list[dict] = []
    partial = {"dataset": "xor", "learning_rate": 0.03, "activation": "tanh", "hidden_layers": 2, "neurons": [4, 2]}
    _fake(monkeypatch, PlaygroundReading(0.004, None, 300, partial))
    playground_check(img, 5, rerun=lambda c: calls.append(c) or None)
    assert calls == []  # batch size, noise, features ... not read: nothing faithful to re-run
    full = {**partial, "regularization": "none", "regularization_rate": 0.0, "problem": "classification",
            "batch_size": 10, "noise": 0, "perc_train_data": 50, "features": ["x", "y"]}
    assert screenshots.config_complete(full) and not screenshots.config_complete({**full, "neurons": [4]})
    _fake(monkeypatch, PlaygroundReading(0.004, None, 300, full))

    def boom(c: dict) -> Message:
        raise RuntimeError("port crashed")

    result = playground_check(img, 5, rerun=boom)
    assert result.status is Status.PASS and "re-run" not in result.message.en
    assert "re-run failed" in result.diagnostics[0].en


def test_several_screenshots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every image is read and listed; one passing image is enough; else review beats fail."""
    paths = []
    for name in ("나선.png", "사분면_743epoch:0.003.png", "Screenshot 2026-07-20 at 9.41.26\u202fPM.png"):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(name.encode())
    readings = {
        paths[0]: PlaygroundReading(0.000, 0.000, 102, {"dataset": "circle"}),
        paths[1]: PlaygroundReading(0.003, 0.002, 743, {"dataset": "xor"}),
        paths[2]: PlaygroundReading(0.002, 0.001, None, {"dataset": "spiral"}),
    }
    seen: list[Path] = []

    def reader(p: Path) -> PlaygroundReading:
        seen.append(p)
        return readings[p]

    result = playground_check(paths, 10, reader=reader)
    assert seen == paths and result.status is Status.PASS and result.points == 10
    for needle in ("1 of 3 screenshots", "'나선.png': circle dataset, test loss 0.000, epoch 102 — does not meet",
                   "'사분면_743epoch:0.003.png': four-quadrant (XOR) dataset, test loss 0.003, epoch 743 — meets",
                   "9.41.26\u202fPM.png': spiral dataset, test loss 0.002, epoch ? — needs review"):
        assert needle in result.message.en, (needle, result.message.en)
    assert "'나선.png': 원형(circle) 데이터셋" in result.message.ko
    # without the passing one: the unreadable epoch makes it a review, not a fail
    result = playground_check([paths[0], paths[2]], 10, reader=reader)
    assert result.status is Status.NEEDS_REVIEW and result.points == 0
    result = playground_check([paths[0]], 10, reader=reader, names=["circle.png"])
    assert result.status is Status.FAIL and "'circle.png'" in result.message.en


def test_check_missing_screenshot(tmp_path: Path) -> None:
    for image in (None, tmp_path / "missing.png"):
        result = playground_check(image, 10)
        assert result.status is Status.FAIL and result.points == 0
        assert "PNG/JPG" in result.message.en and "Test loss" in result.message.ko
        assert "0.005" in result.message.en and "1000" in result.message.en


# ----------------------------------------------------------------- real submissions

# ../shared next to the repository (as tests/conftest.py finds it)
REAL = Path(__file__).resolve().parents[2] / "shared" / "kubig" / "week2" / "submissions-2025-fall"

# values checked by eye: (zip name part, member name part) -> (test loss, epoch, config subset)
REAL_EXPECTED = {
    ("성용빈", "최소레이어"): (0.003, 947, {"learning_rate": 0.01, "activation": "tanh", "batch_size": 9,
                                        "neurons": [8, 6, 4], "dataset": "spiral", "perc_train_data": 50}),
    ("성용빈", "기준치"): (0.001, 844, {"learning_rate": 0.01, "batch_size": 10,
                                     "neurons": [8, 6, 6, 4, 2], "dataset": "spiral"}),
    ("이은서", "스크린샷"): (0.005, 870, {"learning_rate": 0.03, "activation": "relu", "batch_size": 16,
                                      "neurons": [8, 8, 6], "features": ["x", "y", "xSquared", "ySquared"],
                                      "dataset": "spiral"}),
    # two small (887 px wide) screenshots embedded in a PDF
    ("이세훈", "pdf#0"): (0.005, 981, {"learning_rate": 0.03, "perc_train_data": 80, "neurons": [8],
                                     "features": ["x", "y", "xSquared", "ySquared", "xTimesY"],
                                     "dataset": "spiral"}),
    ("이세훈", "pdf#1"): (0.005, 160, {"learning_rate": 0.03, "perc_train_data": 80, "neurons": [8, 2]}),
}
# The PDF's JPEG (chroma subsampling) turned the selected 25 px spiral thumbnail grey: its
# dataset cannot be told from the picture, so a leader has to look (the page is a spiral).
REAL_STATUS = {("이세훈", "pdf#1"): Status.NEEDS_REVIEW}


def _nfc(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", s)


def _pdf_images(data: bytes) -> list[Image.Image]:
    """Embedded RGB images of a PDF (DCT or Flate), enough for the real submission."""
    out = []
    for m in re.finditer(rb"<<([^>]*?/Subtype\s*/Image[^>]*?)>>\s*stream\r?\n", data):
        hdr = m.group(1)
        length = int(re.search(rb"/Length (\d+)", hdr).group(1))
        raw = data[m.end():m.end() + length]
        if b"DCTDecode" in hdr:
            out.append(Image.open(io.BytesIO(raw)).convert("RGB"))
        elif b"FlateDecode" in hdr and b"DeviceRGB" in hdr:
            w = int(re.search(rb"/Width (\d+)", hdr).group(1))
            h = int(re.search(rb"/Height (\d+)", hdr).group(1))
            out.append(Image.frombytes("RGB", (w, h), zlib.decompress(raw)))
    return out


@pytest.fixture(scope="module")
def real_shots(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out: dict[tuple[str, str], Path] = {}
    d = tmp_path_factory.mktemp("real")
    for zpath in sorted(REAL.glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf:
            for info in zf.infolist():
                name = info.filename if info.flag_bits & 0x800 else info.filename.encode("cp437").decode("utf-8", "replace")
                name = _nfc(name)
                if "__MACOSX" in name:
                    continue
                for (who, part) in REAL_EXPECTED:
                    if who not in _nfc(zpath.name):
                        continue
                    if part in name and name.lower().endswith(".png"):
                        p = d / f"{len(out)}.png"
                        p.write_bytes(zf.read(info))
                        out[(who, part)] = p
                    elif part.startswith("pdf#") and name.lower().endswith(".pdf"):
                        images = _pdf_images(zf.read(info))
                        k = int(part[4:])
                        if k < len(images):
                            p = d / f"{len(out)}.png"
                            images[k].save(p)
                            out[(who, part)] = p
    return out


@pytest.mark.real
@pytest.mark.skipif(not REAL.is_dir(), reason="real submissions not present")
@pytest.mark.parametrize("key", list(REAL_EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_real_screenshots(real_shots: dict[tuple[str, str], Path], key: tuple[str, str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    if key not in real_shots:
        pytest.skip(f"{key} not found in the submissions")
    loss, epoch, cfg = REAL_EXPECTED[key]
    r = read_playground(real_shots[key])
    assert (r.test_loss, r.epoch) == (loss, epoch), r.problems
    for k, v in cfg.items():
        assert r.config.get(k) == v, (k, r.config)
    if REAL_STATUS.get(key) is Status.NEEDS_REVIEW:
        assert "dataset" not in r.config
    _fake(monkeypatch, r)  # grade the same reading without a second OCR run
    assert playground_check(real_shots[key], 10).status is REAL_STATUS.get(key, Status.PASS)
