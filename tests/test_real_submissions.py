"""The four real 2025-fall week-2 submissions, graded in one batch (skipped when absent).

What is asserted was verified by reading the notebooks:
- 이준언: a bare .ipynb (no zip, no screenshot); complete code, but cross_entropy returns
  the per-example losses (the .mean() is in the model's loss method instead).
- 성용빈: macOS zip (NFD names, no UTF-8 flag, __MACOSX) with two screenshots; squared loss
  without ½ and without the reshape.
- 이세훈: zip with a PDF instead of a screenshot; linear forward is `torch.matmul(self, X)`,
  so its training cell crashes; squared loss without ½; the softmax part is right.
- 이은서: zip with a wrapper folder and a screenshot; squared loss without ½ and reshape.
"""

from __future__ import annotations

import pytest

from conftest import REAL_SUBMISSIONS, Graded, grade_batch
from grader.models import Status

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.real,
    pytest.mark.skipif(not REAL_SUBMISSIONS.is_dir(), reason=f"real submissions not present ({REAL_SUBMISSIONS})"),
]

COMPLETE = ("이준언", "성용빈", "이은서")  # notebooks that run to the end
SOFTMAX_PART = ("softmax", "softmax_params", "softmax_forward", "fashion_training")


@pytest.fixture(scope="module")
def real(pack, runtime) -> dict[str, Graded]:
    """Student name → Graded; graded with the pack's own limits, as a session leader would."""
    files = {p.name: p for p in sorted(REAL_SUBMISSIONS.iterdir()) if p.suffix.lower() in (".zip", ".ipynb")}
    graded = grade_batch(pack, runtime, files, jobs=2)
    by_name = {g.submission.name: g for g in graded.values()}
    assert len(by_name) == len(files)
    return by_name


def test_real_submissions_graded(real: dict[str, Graded], pack) -> None:
    ids = [c.id for c in pack.checks]
    short = {"linreg_requires_grad": "rgrad", "linreg_forward": "lfwd", "squared_loss": "sqloss",
             "gradient_descent_fit": "fit", "softmax_params": "smpar", "softmax_forward": "smfwd",
             "cross_entropy": "ce", "fashion_training": "train", "notebook_runs": "runs", "artifacts": "files",
             "playground": "play"}
    header = f"{'student':8} {'status':10} {'total':>6} " + " ".join(f"{short.get(i, i):>7}" for i in ids)
    print("\n" + header)
    for name, g in sorted(real.items()):
        cells = " ".join(f"{g.check(i).points:>4g}/{g.check(i).max_points:<2g}" for i in ids)
        print(f"{name:8} {g.result.status:10} {g.result.total:>6g} {cells}")
    for name, g in real.items():
        assert g.result.status in ("graded", "misnamed"), g.describe()
        assert [c.id for c in g.result.checks] == ids
        for c in g.result.checks:
            assert c.message.ko.strip() and c.message.en.strip(), (name, c.id)
        assert g.execution is not None and g.execution.status == "ok", g.describe()
        assert g.result.isolation in ("full", "reduced")


@pytest.mark.parametrize("name", COMPLETE)
def test_complete_notebooks_pass_the_code_checks(real: dict[str, Graded], name: str) -> None:
    g = real[name]
    for check in ("notebook_runs", "linreg_requires_grad", "linreg_forward", "gradient_descent_fit", *SOFTMAX_PART):
        assert g.check(check).status == Status.PASS, (check, g.describe())


def test_bare_notebook_loses_naming_and_artifact_points(real: dict[str, Graded]) -> None:
    g = real["이준언"]
    assert g.result.status == "misnamed"
    assert g.check("naming").points == 0 and ".zip" in g.check("naming").message.en
    assert g.check("artifacts").points < g.check("artifacts").max_points
    assert "screenshot" in g.check("artifacts").message.en
    assert g.check("playground").status == Status.FAIL
    assert g.check("squared_loss").status == Status.PASS  # ½ and reshape both there
    ce = g.check("cross_entropy")
    assert ce.status == Status.FAIL and "scalar" in ce.message.en


@pytest.mark.parametrize("name", ["성용빈", "이은서"])
def test_zips_with_screenshots(real: dict[str, Graded], name: str) -> None:
    g = real[name]
    assert g.result.status == "graded", g.describe()
    assert g.check("naming").status == Status.PASS and g.check("artifacts").status == Status.PASS
    assert g.check("playground").status == Status.PASS, g.describe()
    assert g.check("squared_loss").status == Status.FAIL  # (y_hat - y) ** 2: no ½, no reshape
    assert g.result.total < 100


def test_pdf_instead_of_screenshot_and_broken_forward(real: dict[str, Graded]) -> None:
    g = real["이세훈"]
    assert g.result.status == "graded"
    files = g.check("artifacts")
    assert files.points < files.max_points and ".pdf" in files.message.en
    assert g.check("playground").status == Status.FAIL
    runs = g.check("notebook_runs")
    assert runs.status == Status.FAIL and "matmul" in runs.message.en
    assert g.check("linreg_forward").status != Status.PASS
    for check in SOFTMAX_PART + ("cross_entropy",):
        assert g.check(check).status == Status.PASS, (check, g.describe())


def test_requires_grad_judged_independently_of_forward(real: dict[str, Graded]) -> None:
    assert real["이세훈"].check("linreg_requires_grad").status == Status.PASS
