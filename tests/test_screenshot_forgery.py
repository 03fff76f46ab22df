"""Issue 11 (security): a Playground screenshot passes only when it is recognisably a Playground
page, and reading one image is bounded (pixels, OCR time, a separate process with limits).

Forgeries are built here from text, from a rendered page's own pixels and from our renderer
(``assignments/week2/playground/render.py``); none may pass.  Time limits are tested with small
budgets passed as parameters, never with timed assertions.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import matplotlib
import pytest
from PIL import Image, ImageDraw, ImageFont

from grader.models import Status
from conftest import playground_renderer, week2_module

screenshots = week2_module("playground.reader")
judge_screenshot, playground_check, read_playground = (
    screenshots.judge_screenshot, screenshots.playground_check, screenshots.read_playground)

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


render_playground = playground_renderer().render_playground


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _text_only(path: Path, ink: tuple[int, int, int], bg: tuple[int, int, int] = (255, 255, 255)) -> Path:
    """Just the two numbers that matter, as the issue describes."""
    im = Image.new("RGB", (900, 400), bg)
    d = ImageDraw.Draw(im)
    d.text((40, 40), "Epoch", font=_font(22), fill=ink)
    d.text((40, 75), "000,001", font=_font(44), fill=ink)
    d.text((40, 180), "Test loss 0.000", font=_font(30), fill=ink)
    d.text((40, 230), "Training loss 0.000", font=_font(30), fill=ink)
    im.save(path)
    return path


def _collage(path: Path) -> Path:
    """The page's text where Playground puts it (top bar, headings, losses), but no page."""
    im = Image.new("RGB", (1200, 720), (247, 247, 247))
    d = ImageDraw.Draw(im)
    d.text((170, 28), "Epoch", font=_font(13), fill=(119, 119, 119))
    d.text((170, 46), "000,359", font=_font(24), fill=(51, 51, 51))
    for x, t in ((30, "DATA"), (200, "FEATURES"), (430, "2 HIDDEN LAYERS"), (900, "OUTPUT")):
        d.text((x, 128), t, font=_font(15), fill=(0, 0, 0))
    d.text((900, 152), "Test loss 0.004", font=_font(13), fill=(0, 0, 0))
    d.text((900, 170), "Training loss 0.010", font=_font(13), fill=(119, 119, 119))
    im.save(path)
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A genuine (rendered) passing page at 1x: the source of the pasted forgeries."""
    return render_playground(tmp_path_factory.mktemp("page") / "page.png", scale=1.0, test_loss="0.001",
                             epoch="000,120")


@pytest.fixture(scope="module")
def forgeries(tmp_path_factory: pytest.TempPathFactory, page: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("forgeries")
    out = {"text": _text_only(d / "text.png", (0, 0, 0)),
           "near_white": _text_only(d / "near_white.png", (238, 238, 238)),
           "collage": _collage(d / "collage.png")}
    with Image.open(page) as im:
        real = im.convert("RGB")
    canvas = Image.new("RGB", (1100, 700), (255, 255, 255))  # the page's numbers on a blank canvas
    canvas.paste(real.crop((160, 20, 290, 80)), (150, 20))
    canvas.paste(real.crop((890, 145, 1060, 190)), (700, 150))
    canvas.save(d / "pasted.png")
    out["pasted"] = d / "pasted.png"
    collage = Image.open(out["collage"]).convert("RGB")  # text collage + the real DATA column
    collage.paste(real.crop((20, 120, 140, 280)), (20, 120))
    collage.save(d / "collage_data.png")
    out["collage_data"] = d / "collage_data.png"
    blanked = real.copy()  # the whole page, its output plot painted over
    ImageDraw.Draw(blanked).rectangle((895, 195, 1140, 440), fill=(247, 247, 247))
    blanked.save(d / "no_plot.png")
    out["no_plot"] = d / "no_plot.png"
    return out


@pytest.fixture(scope="module")
def readings(forgeries: dict[str, Path]) -> dict[str, screenshots.PlaygroundReading]:
    return {k: read_playground(p) for k, p in forgeries.items()}


# ----------------------------------------------------------------- is it a Playground page?


def test_rendered_page_is_recognised(page: Path) -> None:
    r = read_playground(page)
    assert r.page == "page", (r.page_found, r.page_missing)
    assert not r.page_missing and any("heat-map" in f for f in r.page_found)
    assert judge_screenshot("page.png", r).status is Status.PASS


@pytest.mark.parametrize("key", ["text", "near_white", "pasted", "collage", "collage_data", "no_plot"])
def test_forgery_never_passes(forgeries: dict[str, Path], readings, key: str) -> None:
    r = readings[key]
    assert r.page != "page", (key, r.page_found)
    result = playground_check(forgeries[key], 10, reader=lambda p: r)
    assert result.status in (Status.FAIL, Status.NEEDS_REVIEW) and result.points == 0, result.message.en


@pytest.mark.parametrize("key", ["text", "near_white", "pasted", "collage", "collage_data"])
def test_text_without_a_page_fails_with_a_clear_message(forgeries: dict[str, Path], readings, key: str) -> None:
    """Only text (even in Playground's places): clearly no Playground page → fail, bilingual."""
    r = readings[key]
    assert r.page == "none", (key, r.page_found, r.page_missing)
    result = playground_check(forgeries[key], 10, reader=lambda p: r)
    assert result.status is Status.FAIL and result.points == 0
    assert "not a TensorFlow Playground page" in result.message.en
    assert "orange/blue output plot" in result.message.en and "capture the whole Playground page" in result.message.en
    assert "Playground 화면이 아닙니다" in result.message.ko and "전체를 그대로 캡처" in result.message.ko


def test_page_without_its_output_plot_goes_to_review(forgeries: dict[str, Path], readings) -> None:
    """A real page whose output plot was removed: ambiguous → a leader looks (it passed before)."""
    r = readings["no_plot"]
    assert (r.test_loss, r.epoch, r.config.get("dataset")) == (0.001, 120, "spiral")  # the numbers are there
    assert r.page == "partial"
    result = playground_check(forgeries["no_plot"], 10, reader=lambda p: r)
    assert result.status is Status.NEEDS_REVIEW and result.points == 0
    assert "not recognisable as a Playground page" in result.message.en
    assert "Playground 화면으로 확인되지 않음" in result.message.ko


def test_near_white_text_is_not_read_as_values(readings) -> None:
    r = readings["near_white"]
    assert (r.test_loss, r.epoch) == (None, None)
    assert any("too faint" in p for p in r.problems), r.problems


def test_dark_text_alone_is_read_but_not_trusted(readings) -> None:
    """The text-only image's values are read (it is legible) — the page rule is what fails it."""
    r = readings["text"]
    assert (r.test_loss, r.epoch) == (0.0, 1)
    assert judge_screenshot("text.png", r).status is Status.FAIL


# ----------------------------------------------------------------- bounded reading


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3200×2400 of small dense text: kept Tesseract busy for more than 15 minutes before."""
    im = Image.new("L", (3200, 2400), 255)
    d = ImageDraw.Draw(im)
    font = _font(11)
    line = "Test loss 0.004 Epoch 000,359 Training loss 0.010 DATA FEATURES OUTPUT " * 6
    for y in range(0, 2400, 13):
        d.text((2 - (y % 37), y), line, font=font, fill=0)
    path = tmp_path_factory.mktemp("dense") / "dense.png"
    im.save(path)
    return path


def test_dense_image_stops_within_the_budget(dense: Path) -> None:
    """The OCR budget (a parameter here) ends the reading; the check asks for a review, saying why."""
    r = read_playground(dense, budget=2.0, per_call=1.0)
    assert r.timed_out and (r.test_loss, r.epoch) == (None, None)
    assert any("could not be read in time" in p for p in r.problems), r.problems
    result = playground_check(dense, 10, reader=lambda p: r)
    assert result.status is Status.NEEDS_REVIEW and result.points == 0
    assert "could not be read in time" in result.message.en and "제한 시간 안에" in result.message.ko


def test_in_process_budget_too(dense: Path) -> None:
    r = read_playground(dense, budget=1.0, per_call=0.5, isolate=False)
    assert r.timed_out


def test_reader_process_is_killed_at_its_wall_limit(dense: Path) -> None:
    """The backstop: a reader that overruns (here: a wall limit far below its OCR budget) is killed."""
    r = read_playground(dense, budget=600, wall=0.3)
    assert r.timed_out and "stopped after 0.3 s" in r.problems[0]


def test_reader_memory_limit(page: Path) -> None:
    """The reader process runs under an address-space rlimit: too little memory → review, no crash."""
    r = read_playground(page, memory_mb=40)
    assert (r.test_loss, r.epoch) == (None, None) and r.problems
    assert playground_check(page, 10, reader=lambda p: r).status is Status.NEEDS_REVIEW


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width``×``height`` pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("size", [(10_000, 10_000), (60_000, 1_000)])
def test_too_many_pixels_is_refused_before_decoding(tmp_path: Path, size: tuple[int, int]) -> None:
    r = read_playground(_png_header_only(tmp_path / "bomb.png", *size), isolate=False)
    assert (r.test_loss, r.epoch) == (None, None)
    assert r.problems and ("too large" in r.problems[0] or "not a readable image" in r.problems[0]), r.problems
    assert playground_check(tmp_path / "bomb.png", 10, reader=lambda p: r).status is Status.NEEDS_REVIEW


def test_reading_round_trips_through_the_reader_process(page: Path) -> None:
    """Isolated and in-process readings agree (the JSON hand-over loses nothing)."""
    assert read_playground(page) == read_playground(page, isolate=False)
