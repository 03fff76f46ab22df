"""The grading engine end to end: intake → sandboxed execution → probes → checks → result.

Every fixture notebook is executed once per session (conftest.fixture_cohort); the tests here
read statuses, points and messages — what a student or session leader sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO_ROOT, SUBMISSION_CHECKS, Graded, hangul, zip_name
from grader.execute.sandbox import bwrap_available
from grader.models import Status
from grader.pack import load_pack

pytestmark = pytest.mark.runtime

VARIANTS = load_pack("week2").module("variants_module")
BUG_NAMES = [name for name in VARIANTS.BUGS if name != "correct"]

def expected_failures(name: str) -> set[str]:
    return set(VARIANTS.BUGS[name].fails)


def all_graded(cohort: dict[str, Graded]) -> list[Graded]:
    return list(cohort.values())


# ------------------------------------------------------------------------- reference


def test_reference_scores_full_marks(fixture_cohort: dict[str, Graded], pack) -> None:
    ref = fixture_cohort["bug:correct"]
    assert ref.submission.display_name == zip_name("Reference")
    assert ref.result.status == "graded", ref.describe()
    assert ref.result.total == ref.result.max_total == pack.max_points == 100, ref.describe()
    assert [c.id for c in ref.result.checks] == [c.id for c in pack.checks]
    assert ref.not_passing == set(), ref.describe()
    assert ref.result.isolation == ("full" if bwrap_available() else "reduced")
    assert ref.execution is not None and ref.execution.status == "ok"
    assert ref.probes is not None and ref.probes.status == "ok" and not ref.probes.load_problems
    assert not ref.execution.error_cells


def test_reference_pip_install_stays_offline(fixture_cohort: dict[str, Graded]) -> None:
    """`!pip install d2l==1.0.3` (first cell of the template) neither downloads nor aborts."""
    ref = fixture_cohort["bug:correct"]
    source = "!pip install d2l==1.0.3"
    assert ref.cell_run(source).status == "ok"
    output = ref.cell_output(source)
    assert "Requirement already satisfied: d2l==1.0.3" in output, output
    assert "Downloading" not in output and "Collecting" not in output, output


# ------------------------------------------------------------------------- one variant per bug class


@pytest.mark.parametrize("name", BUG_NAMES)
def test_bug_variant_fails_exactly_its_checks(fixture_cohort: dict[str, Graded], name: str) -> None:
    g = fixture_cohort[f"bug:{name}"]
    expected = expected_failures(name)
    assert expected, name
    assert g.result.status == "graded", g.describe()
    assert g.not_passing == expected, g.describe()
    for c in g.result.checks:
        if c.id in expected:
            assert c.points < c.max_points, (c.id, g.describe())
        else:
            assert c.points == c.max_points, (c.id, g.describe())
    assert g.result.total == sum(c.points for c in g.result.checks) < 100


def test_bug_messages_name_the_mistake(fixture_cohort: dict[str, Graded]) -> None:
    """Spot checks that the feedback says what is wrong, not only that something is."""
    msg = lambda fid, cid: fixture_cohort[fid].check(cid).message.en  # noqa: E731
    assert "requires_grad is False" in msg("bug:no_requires_grad", "linreg_requires_grad")
    assert "requires_grad=False" in msg("bug:no_requires_grad", "gradient_descent_fit")
    assert "sum instead of a mean" in msg("bug:loss_sum", "squared_loss")
    assert "Squared loss differs" in msg("bug:loss_abs", "squared_loss")
    assert "Rows do not sum to 1" in msg("bug:softmax_wrong_axis", "softmax")
    assert "(1,)" in msg("bug:softmax_b_scalar", "softmax_params")
    assert "sign is flipped" in msg("bug:ce_no_minus", "cross_entropy")
    assert "sum instead of a mean" in msg("bug:ce_sum", "cross_entropy")
    assert "no mean is taken" in msg("bug:ce_no_mean", "cross_entropy")
    assert "did not go down" in msg("bug:training_lr_zero", "fashion_training")
    half = fixture_cohort["bug:ce_no_mean"].check("cross_entropy")
    assert half.status == Status.FAIL and half.points == half.max_points / 2  # partial credit


def test_softmax_mistake_is_charged_once(fixture_cohort: dict[str, Graded]) -> None:
    """A wrong softmax costs the softmax check; forward, which only calls it, still passes."""
    g = fixture_cohort["bug:softmax_wrong_axis"]
    fwd = g.check("softmax_forward")
    assert fwd.status == Status.PASS and "only counted in the softmax check" in fwd.message.en


# ------------------------------------------------------------------------- answers the class accepts


@pytest.mark.parametrize("name", list(VARIANTS.ACCEPTED))
def test_class_template_answer_forms_score_full_marks(fixture_cohort: dict[str, Graded], name: str) -> None:
    """Right for the class's template and slides, written as real students write them."""
    g = fixture_cohort[f"accepted:{name}"]
    assert g.result.status == "graded", g.describe()
    assert g.not_passing == set(), g.describe()
    assert g.result.total == 100, g.describe()


def test_loss_without_reshape_gets_a_tip_not_a_deduction(fixture_cohort: dict[str, Graded]) -> None:
    loss = fixture_cohort["accepted:forms_a"].check("squared_loss")
    assert loss.points == loss.max_points and "mean((ŷ − y)²)" in loss.message.en
    assert "Tip (no deduction)" in loss.message.en and "y.reshape(y_hat.shape)" in loss.message.en
    assert "팁(감점 없음)" in loss.message.ko
    ref = fixture_cohort["bug:correct"].check("squared_loss")
    assert "Tip" not in ref.message.en  # the reshaped loss works for either shape of y
    assert "(1, 10)" in fixture_cohort["accepted:forms_a"].check("softmax_params").message.en


# ------------------------------------------------------------------------- the unchanged template


def test_template_fails_code_checks_with_explanations(fixture_cohort: dict[str, Graded]) -> None:
    g = fixture_cohort["template"]
    assert g.result.status == "graded", g.describe()
    code = [c for c in g.result.checks if c.id not in SUBMISSION_CHECKS]
    for c in code:
        assert c.status in (Status.FAIL, Status.ERROR) and c.points == 0, (c.id, g.describe())
    assert g.result.total == sum(g.check(c).max_points for c in SUBMISSION_CHECKS)
    runs = g.check("notebook_runs").message
    assert "code cell(s) failed" in runs.en and "TypeError" in runs.en and "오류" in runs.ko
    # each probe-based check says what it called and what went wrong
    for c in code:
        if c.id == "notebook_runs":
            continue
        assert "hidden inputs" in c.message.en and "Error" in c.message.en, (c.id, c.message.en)
        assert "숨겨진 입력" in c.message.ko, (c.id, c.message.ko)
    assert "ellipsis" in g.check("softmax").message.en  # the `...` placeholders


# ------------------------------------------------------------------------- packaging


@pytest.mark.parametrize("fid", ["intake:nfd", "intake:cp949", "intake:wrapped"])
def test_packaging_variants_grade_like_the_reference(fixture_cohort: dict[str, Graded], fid: str) -> None:
    g, ref = fixture_cohort[fid], fixture_cohort["bug:correct"]
    assert g.result.status == "graded", g.describe()
    assert g.code_points() == ref.code_points(), g.describe()
    assert g.result.total == 100, g.describe()


def test_wrapped_folder_is_noted(fixture_cohort: dict[str, Graded]) -> None:
    notes = [n.en for n in fixture_cohort["intake:wrapped"].result.notes]
    assert any("folder" in n and "stripped" in n for n in notes), notes


def test_misnamed_zip_loses_only_naming(fixture_cohort: dict[str, Graded], pack) -> None:
    g, ref = fixture_cohort["intake:misnamed"], fixture_cohort["bug:correct"]
    assert g.result.status == "misnamed", g.describe()
    assert g.not_passing == {"naming"}, g.describe()
    assert g.code_points() == ref.code_points()
    assert g.result.total == 100 - pack.check("naming").points
    naming = g.check("naming").message
    assert zip_name("Misnamed") in naming.en and zip_name("Misnamed") in naming.ko  # the exact name to use


def test_bare_notebook_loses_screenshot_points(fixture_cohort: dict[str, Graded]) -> None:
    g, ref = fixture_cohort["intake:bare"], fixture_cohort["bug:correct"]
    assert g.result.status == "misnamed", g.describe()  # .ipynb instead of .zip
    assert g.code_points() == ref.code_points(), g.describe()
    artifacts = g.check("artifacts")
    assert artifacts.status == Status.FAIL and 0 <= artifacts.points < artifacts.max_points
    assert "screenshot" in artifacts.message.en and "스크린샷" in artifacts.message.ko
    assert g.check("playground").status == Status.FAIL and g.check("playground").points == 0
    assert ".zip" in g.check("naming").message.en


@pytest.mark.parametrize("fid", ["intake:empty", "intake:corrupt"])
def test_unusable_zip_is_unreadable_not_a_crash(fixture_cohort: dict[str, Graded], fid: str) -> None:
    g = fixture_cohort[fid]
    assert g.result.status == "unreadable", g.describe()
    assert g.execution is None  # nothing was executed
    assert g.result.notes and all(n.ko and n.en for n in g.result.notes)
    assert any("zip" in n.en for n in g.result.notes), g.describe()
    for c in g.result.checks:
        if c.id != "naming":
            assert c.points == 0, g.describe()
    assert "No notebook" in g.check("notebook_runs").message.en


def test_empty_and_corrupt_say_different_things(fixture_cohort: dict[str, Graded]) -> None:
    empty = " ".join(n.en for n in fixture_cohort["intake:empty"].result.notes)
    corrupt = " ".join(n.en for n in fixture_cohort["intake:corrupt"].result.notes)
    assert "empty" in empty and "0 bytes" in empty
    assert "corrupt" in corrupt or "truncated" in corrupt


# ------------------------------------------------------------------------- messages


def test_every_check_has_korean_and_english_messages(fixture_cohort: dict[str, Graded], pack) -> None:
    for g in all_graded(fixture_cohort):
        assert len(g.result.checks) == len(pack.checks), g.fixture
        for c in g.result.checks:
            assert c.message.ko.strip() and c.message.en.strip(), (g.fixture, c.id)
            assert hangul(c.message.ko), (g.fixture, c.id, c.message.ko)
            assert c.title is not None and c.title.ko and c.title.en, (g.fixture, c.id)
        for n in g.result.notes:
            assert n.ko.strip() and n.en.strip(), (g.fixture, n)


def test_every_submission_was_graded_separately(fixture_cohort: dict[str, Graded], fixture_files) -> None:
    assert set(fixture_cohort) == set(fixture_files)
    keys = [g.result.submission.key for g in fixture_cohort.values()]
    assert len(set(keys)) == len(keys)
    for g in fixture_cohort.values():
        assert g.result.total == pytest.approx(sum(c.points for c in g.result.checks)), g.fixture


# ------------------------------------------------------------------------- grade check (CLI)


def _grade_check(path: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", "from grader.cli import main; main()", "check", str(path), "--format", "json"]
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)


def _assert_contract(payload: dict, pack) -> dict:
    assert payload["assignment"] == "week2" and payload["grader_version"]
    assert len(payload["submissions"]) == 1
    sub = payload["submissions"][0]
    for key in ("file", "student", "status", "total", "max_total", "isolation", "checks", "notes"):
        assert key in sub, key
    assert [c["id"] for c in sub["checks"]] == [c.id for c in pack.checks]
    for c in sub["checks"]:
        assert c["status"] in {s.value for s in Status}
        assert isinstance(c["points"], (int, float)) and c["max_points"] == pack.check(c["id"]).points
        assert c["message"]["ko"] and c["message"]["en"]
    assert sub["total"] == pytest.approx(sum(c["points"] for c in sub["checks"]))
    return sub


def test_cli_check_json_passes_reference(fixture_files: dict[str, Path], pack, runtime) -> None:
    proc = _grade_check(fixture_files["bug:correct"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    sub = _assert_contract(json.loads(proc.stdout), pack)
    assert sub["status"] == "graded" and sub["total"] == 100
    assert sub["student"] == {"key": "25기_Reference", "cohort": 25, "name": "Reference"}
    assert all(c["status"] == "pass" for c in sub["checks"])


def test_cli_check_json_exit_1_on_failure(tmp_path: Path, screenshot_png: bytes, pack, runtime) -> None:
    """A quick failing notebook (one cell raising): exit code 1, same JSON contract."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('not done yet')")])
    path = tmp_path / zip_name("CliBroken")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("과제.ipynb", nbformat.writes(nb))
        zf.writestr("playground.png", screenshot_png)
    proc = _grade_check(path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    sub = _assert_contract(json.loads(proc.stdout), pack)
    runs = next(c for c in sub["checks"] if c["id"] == "notebook_runs")
    assert runs["status"] == "fail" and "ValueError: not done yet" in runs["message"]["en"]
    softmax = next(c for c in sub["checks"] if c["id"] == "softmax")
    assert softmax["status"] == "fail" and "not defined" in softmax["message"]["en"]
