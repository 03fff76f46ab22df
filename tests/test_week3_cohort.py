"""`grade week3` end to end, in ONE CLI run over one folder: our reference (full marks), every
bug variant (loses exactly its checks), the accepted variant forms (full marks), the blank
template, and both real week-3 classes (2026 summer, 2025 fall) with every student's verdict
asserted against the labels in week3_real.py (written by reading every notebook and looking
at every image).

The real classes are regrouped per student by code (week3_real.build_cohort) because today's
intake grades one file or folder per student; once the intake groups a student's loose files
by (cohort, name), this becomes `grade week3 <clone> --folder "Basic Study/DL/week3"`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from PIL import Image, ImageDraw, ImageFont

from grader.models import Status
from grader.pack import load_pack
from labels import disagreements
from test_cohort import read_results
from week3_real import BUNDLES, LABELS, build_cohort

pytestmark = [pytest.mark.runtime]

PACK = load_pack("week3")
VARIANTS = PACK.module("variants_module")
GRADE = Path(sys.executable).with_name("grade")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SUBMISSION_CHECKS = {"naming", "artifacts", "sigmoid_graph"}
have_bundles = pytest.mark.skipif(not all(b.is_file() for b, _ in BUNDLES.values()), reason="real week-3 bundles not present")


# Through the real sandboxed path: a few bug variants (every variant is checked in-process in
# test_week3_unit.py), the accepted forms, the reference and the blank template. Students need
# Hangul names for the file-name parser to tell the name from the task number.
KERNEL_VARIANTS = {"affine_no_bias": "나편향", "softmax_axis0": "다축영", "ce_no_log": "라로그", "momentum_sign": "마부호",
                   "variant_forms": "바형식"}
REFERENCE, TEMPLATE = "가기준", "사빈칸"


def key(student: str) -> str:
    return f"99기_{student}"


def typed_drawing(path: Path) -> None:
    img = Image.new("RGB", (1100, 300), "white")
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(FONT, 40)
    draw.text((40, 40), "x -> [x(-1)] -> [exp] -> [+1] -> [1/x] -> y", fill="black", font=font)
    draw.text((40, 150), "dy/dx = y(1-y)", fill="black", font=font)
    img.save(path)


def build_folder(root: Path, with_real: bool) -> Path:
    folder = build_cohort(root) if with_real else (root / "week3-cohort")
    folder.mkdir(exist_ok=True)
    ref = folder / key(REFERENCE)
    ref.mkdir()
    typed_drawing(ref / f"3주차 과제1_99기_{REFERENCE}.png")
    shutil.copyfile(PACK.file("reference"), ref / f"3주차 과제2_99기_{REFERENCE}.ipynb")
    for name, student in KERNEL_VARIANTS.items():
        nbformat.write(VARIANTS.make_notebook(VARIANTS.variant(name)), folder / f"3주차 과제2_99기_{student}.ipynb")
    shutil.copyfile(PACK.file("template"), folder / f"3주차 과제2_99기_{TEMPLATE}.ipynb")
    return folder


@pytest.fixture(scope="module")
def week3_run(tmp_path_factory: pytest.TempPathFactory, cohort_cache: Path) -> tuple[dict, dict]:
    """(key → SubmissionResult, scores.json) of one `grade week3` run over everything."""
    root = tmp_path_factory.mktemp("week3")
    folder = build_folder(root, with_real=all(b.is_file() for b, _ in BUNDLES.values()))
    out = root / "report"
    cmd = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "grader.cli"]
    env = {**os.environ, "KUBIG_CACHE": str(cohort_cache), "COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"}
    proc = subprocess.run([*cmd, "week3", str(folder), "--out", str(out), "--deadline", "2030-01-01T00:00", "--jobs", "2"],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return read_results(out), json.loads((out / "scores.json").read_text(encoding="utf-8"))


def test_reference_scores_full_marks(week3_run: tuple[dict, dict]) -> None:
    result = week3_run[0][key(REFERENCE)]
    assert result.status == "graded" and result.total == result.max_total == 100, [
        (c.id, c.status, c.points, c.message.en[:200]) for c in result.checks if c.points < c.max_points]


@pytest.mark.parametrize("name", list(KERNEL_VARIANTS))
def test_variant_loses_exactly_its_checks(week3_run: tuple[dict, dict], name: str) -> None:
    result = week3_run[0][key(KERNEL_VARIANTS[name])]
    failing = {c.id for c in result.checks if c.id not in SUBMISSION_CHECKS and c.points < c.max_points}
    assert failing == set(VARIANTS.variant(name).fails), [(c.id, c.message.en[:200]) for c in result.checks if c.id in failing]
    graph = next(c for c in result.checks if c.id == "sigmoid_graph")
    assert graph.status == Status.FAIL and "3주차 과제1_" in graph.message.ko  # a bare notebook: no task-1 image


def test_blank_template_is_graded_not_crashed(week3_run: tuple[dict, dict]) -> None:
    """Every blank is `...`: each code check fails with a message; the plot cell still draws
    an empty figure (the training loop stopped at once), which only a leader can call."""
    result = week3_run[0][key(TEMPLATE)]
    code = {c.id: c for c in result.checks if c.id not in SUBMISSION_CHECKS}
    curves = code.pop("loss_curves")
    assert result.status == "graded" and all(c.status == Status.FAIL for c in code.values()), {
        k: (c.status, c.message.en[:120]) for k, c in code.items()}
    assert curves.status != Status.PASS and curves.points == 0


@have_bundles
def test_every_real_student_is_one_row(week3_run: tuple[dict, dict]) -> None:
    results, scores = week3_run
    real = {k for k in results if not k.startswith("99기_")}
    assert real == set(LABELS)
    assert all(r["status"] != "error" for r in scores["results"])


@have_bundles
@pytest.mark.parametrize("key", list(LABELS))
def test_real_student_agrees_with_the_label(week3_run: tuple[dict, dict], key: str) -> None:
    result = week3_run[0][key]
    assert not disagreements(result, LABELS[key]), (LABELS[key].why, disagreements(result, LABELS[key]))


@have_bundles
def test_real_images_are_never_a_silent_verdict(week3_run: tuple[dict, dict]) -> None:
    """Every readable real drawing goes to the leader (OCR reads no handwriting); 채승민's, which
    does not express dy/dx in y, in particular never passes."""
    for key in LABELS:
        graph = next(c for c in week3_run[0][key].checks if c.id == "sigmoid_graph")
        if graph.status == Status.FAIL:
            assert key in {"23기_김석우", "21기_이준언"} and ("empty" in graph.message.en or "missing" in graph.message.en)
        else:
            assert graph.status == Status.NEEDS_REVIEW and graph.points == 0, (key, graph.message.en)
