"""The four real 2025-fall week-2 submissions and the club's own answer key, graded in one
batch (skipped when ../shared is absent). Labels come from reading each notebook and looking
at each screenshot; the class's template and slides decide what is right (see
assignments/week2/statement.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REAL_SUBMISSIONS, SHARED, Graded, grade_batch
from grader.models import Status
from labels import FAIL, Label, disagreements
from zipfactory import UTF8_FLAG, ZEntry, write_zip

ANSWER_KEY = SHARED / "kubig" / "week2" / "answer-key-2024-fall" / "DL_2주차_과제답안.ipynb"

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.real,
    pytest.mark.skipif(not REAL_SUBMISSIONS.is_dir(), reason=f"real submissions not present ({REAL_SUBMISSIONS})"),
]

LABELS = {
    "이준언": Label("misnamed", {"naming": (FAIL, 0), "artifacts": (FAIL, 2.5), "playground": (FAIL, 0)},
                 "a bare .ipynb, no zip and no screenshot; complete code: ½ and reshape in the loss, "
                 "cross_entropy per example with the .mean() in the model's loss"),
    "성용빈": Label("graded", {},
                 "macOS zip, two spiral screenshots (test loss 0.001 at epoch 844 in one); loss "
                 "(y - y_hat)**2 with the template's l.mean(): the plain-mean MSE of the slides"),
    "이세훈": Label("graded", {"artifacts": (FAIL, 2.5), "playground": (FAIL, 0), "notebook_runs": (FAIL, 0),
                            "linreg_forward": (FAIL, 0), "gradient_descent_fit": (FAIL, 0)},
                 "a PDF instead of a screenshot; forward is torch.matmul(self, X) (crashes training); "
                 "loss (y_hat - y) ** 2 is the plain-mean MSE; the softmax half is right"),
    "이은서": Label("graded", {}, "wrapper folder; spiral screenshot, test loss 0.005 at epoch 870; plain-mean MSE"),
    "답안": Label("graded", {}, "the club's answer key zipped with a passing screenshot: every point"),
}


def real_files() -> dict[str, Path]:
    return {p.name: p for p in sorted(REAL_SUBMISSIONS.iterdir()) if p.suffix.lower() in (".zip", ".ipynb")}


@pytest.fixture(scope="module")
def real(pack, runtime, tmp_path_factory, screenshot_png: bytes) -> dict[str, Graded]:
    """Student name → Graded; graded with the pack's own limits, as a session leader would."""
    files = real_files()
    key_zip = tmp_path_factory.mktemp("answer-key") / "2주차 과제_24기_답안.zip"
    files[key_zip.name] = write_zip(key_zip, [
        ZEntry(ANSWER_KEY.name, ANSWER_KEY.read_bytes(), flags=UTF8_FLAG),
        ZEntry("playground.png", screenshot_png, flags=UTF8_FLAG, deflate=False),
    ])
    graded = grade_batch(pack, runtime, files, jobs=2)
    by_name = {g.submission.name: g for g in graded.values()}
    assert len(by_name) == len(files)
    return by_name


@pytest.mark.parametrize("name", list(LABELS))
def test_real_submission_agrees_with_its_label(real: dict[str, Graded], name: str) -> None:
    g = real[name]
    assert g.execution is not None and g.execution.status == "ok", g.describe()
    assert not disagreements(g.result, LABELS[name]), (LABELS[name].why, disagreements(g.result, LABELS[name]))
    for c in g.result.checks:
        assert c.message.ko.strip() and c.message.en.strip(), (name, c.id)


def test_answer_key_scores_every_point(real: dict[str, Graded], pack) -> None:
    g = real["답안"]
    assert g.result.total == pack.max_points == 100, g.describe()


def test_bare_notebook_feedback_names_the_zip_and_screenshot(real: dict[str, Graded]) -> None:
    g = real["이준언"]
    assert ".zip" in g.check("naming").message.en
    assert "screenshot" in g.check("artifacts").message.en
    ce = g.check("cross_entropy")  # per-example values, mean in the model's loss: right for the template
    assert "per-example" in ce.message.en and "model's loss returns their mean" in ce.message.en


def test_plain_mean_loss_is_named_in_the_feedback(real: dict[str, Graded]) -> None:
    for name in ("성용빈", "이은서"):
        loss = real[name].check("squared_loss")
        assert "mean((ŷ − y)²)" in loss.message.en and "½" not in loss.message.en.split("Tip")[0], loss.message.en


def test_pdf_instead_of_screenshot_and_broken_forward(real: dict[str, Graded]) -> None:
    g = real["이세훈"]
    assert ".pdf" in g.check("artifacts").message.en
    assert "matmul" in g.check("notebook_runs").message.en
    # the loss and requires_grad are judged on their own, not through the broken forward
    assert g.check("squared_loss").status == Status.PASS
    assert g.check("linreg_requires_grad").status == Status.PASS


def test_tuned_runtime_changes_no_verdict(real: dict[str, Graded], pack, runtime) -> None:
    """The grading-tuned kernels (pack's kernel_startup.py, the instant pip) against stock ones."""
    stock = {g.submission.name: g for g in grade_batch(pack, runtime, real_files(), jobs=2, tuned=False).values()}
    for name, g in stock.items():
        tuned = [(c.id, c.status, c.points) for c in real[name].result.checks]
        assert [(c.id, c.status, c.points) for c in g.result.checks] == tuned, (name, g.describe())
        assert g.result.status == real[name].result.status
