"""The real 2026-summer class folder (16 students), graded as a session leader does it:
`grade week2 <clone of the class repository> --folder "Basic Study/DL/week2"` with the
semester's class config, then every labelled verdict asserted (skipped without ../shared).

Labels come from reading each notebook and looking at each screenshot (reasons beside them).
The deadline in the class config (2026-07-26 23:59 KST) is after every upload, so every
student's only upload is graded.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import SHARED
from labels import FAIL, Label, disagreements
from test_cohort import grade_cli, read_results

BUNDLE = SHARED / "kubig" / "week2" / "class-repo-2026-summer" / "class-repo.bundle"
FOLDER = "Basic Study/DL/week2"

pytestmark = [
    pytest.mark.runtime,
    pytest.mark.real,
    pytest.mark.skipif(not BUNDLE.is_file(), reason=f"real class bundle not present ({BUNDLE})"),
]

MISNAMED = {"naming": (FAIL, 0)}
# cross_entropy returns per-example values and the model's loss does not average them:
# trainer.fit's backward fails ("grad can be implicitly created only for scalar outputs")
NO_MEAN = {"cross_entropy": (FAIL, 5), "notebook_runs": (FAIL, 0), "fashion_training": (FAIL, 0)}

LABELS: dict[str, Label] = {
    "24기_김가현": Label("graded", {}, "½-less MSE with reshape; 28*28; torch.mean cross-entropy; spiral"),
    "24기_박민준": Label("graded", {}, "plain-mean MSE without reshape; keepdim softmax"),
    "24기_이정용": Label("misnamed", MISNAMED, "2주차_과제_…; torch.mean((y_hat-y)**2) then .mean(); spiral and XOR shots"),
    "23기_이서현": Label("graded", {}, "per-example cross-entropy, mean in the model's loss; three screenshots (U+202F names)"),
    "24기_이신영": Label("graded", {}, "per-example cross-entropy, mean in loss; plain-mean MSE; wrapper folder; "
                        "an XOR shot that passes and a circle shot that does not"),
    "24기_채승민": Label("graded", {}, "plain-mean MSE; one spiral and one XOR screenshot"),
    "24기_정지민": Label("graded", {}, "d2l book loss; X.reshape((X.shape[0], -1)); a .jpg screenshot"),
    "24기_고서연": Label("misnamed", MISNAMED, "2주차_과제_…; .DS_Store; two XOR shots named with ':'"),
    "24기_손윤나": Label("graded", {}, "½ with reshape; wrapper folder"),
    "23기_조호평": Label("graded", {}, "d2l book loss (no reshape); wrapper folder '2주차/'"),
    "23기_홍준기": Label("misnamed", {**MISNAMED, **NO_MEAN}, "2주차_과제_…; stable softmax; cross_entropy without mean"),
    "24기_오은하": Label("graded", {}, "d2l book loss; two screenshots"),
    "24기_김지원": Label("misnamed", {**MISNAMED, "playground": (FAIL, 0)},
                        "2주차_24기_… ('과제' missing); W renamed w consistently (init, parameters, forward); "
                        "per-example cross-entropy with the mean in loss; the Gaussian dataset (not allowed)"),
    "24기_김려원": Label("graded", NO_MEAN, "cross_entropy without mean, loss unchanged: training cannot run; XOR"),
    "23기_김석우": Label("graded", {}, "0.5 * (y_hat - y.reshape(...))**2; wrapper folder"),
    "23기_신지유": Label("graded", {"playground": (FAIL, 0)}, "½ with reshape; spiral but test loss 0.041 at epoch 701"),
}


def grade_class_folder(root: Path, cache: Path, *extra: str) -> Path:
    """Clone the class repository, write the semester's class config, run `grade week2`; the report folder."""
    clone = root / "KUBIG_2026"
    subprocess.run(["git", "clone", "-q", str(BUNDLE), str(clone)], check=True)
    config = root / "kubig-class.toml"
    config.write_text('semester = "2026-summer"\n[weeks.week2]\ndeadline = "2026-07-26T23:59"\n', encoding="utf-8")
    out = root / "report"
    grade_cli([str(clone), "--folder", FOLDER, "--class-config", str(config), "--out", str(out), *extra], cache)
    return out


@pytest.fixture(scope="module")
def summer_2026(tmp_path_factory: pytest.TempPathFactory, cohort_cache: Path) -> tuple[dict, dict]:
    """(key → SubmissionResult, scores.json) of one CLI run over the real class repository."""
    out = grade_class_folder(tmp_path_factory.mktemp("summer-2026"), cohort_cache)
    return read_results(out), json.loads((out / "scores.json").read_text(encoding="utf-8"))


def test_every_student_is_one_row_and_nothing_else(summer_2026: tuple[dict, dict]) -> None:
    results, scores = summer_2026
    assert set(results) == set(LABELS)
    skipped = [s["path"] for s in scores["run"]["skipped"]]
    assert any(p.endswith(".gitkeep") for p in skipped), skipped
    assert not scores["warnings"], scores["warnings"]  # nobody is late under the semester's deadline


def test_stock_kernels_grade_the_same(summer_2026: tuple[dict, dict], tmp_path: Path, cohort_cache: Path) -> None:
    """Tuning (README "Speed") only makes kernels faster: stock ones give every student the
    same statuses and points."""
    stock = read_results(grade_class_folder(tmp_path, cohort_cache, "--no-tuning", "--no-cache"))
    for key, result in summer_2026[0].items():
        assert [(c.id, c.status, c.points) for c in stock[key].checks] == [(c.id, c.status, c.points) for c in result.checks], key


@pytest.mark.parametrize("key", list(LABELS))
def test_real_student_agrees_with_the_label(summer_2026: tuple[dict, dict], key: str) -> None:
    result = summer_2026[0][key]
    assert not disagreements(result, LABELS[key]), (LABELS[key].why, disagreements(result, LABELS[key]))
    assert not result.submission.late


def test_wrong_dataset_is_named_and_the_passing_shot_wins(summer_2026: tuple[dict, dict]) -> None:
    results = summer_2026[0]
    gauss = next(c for c in results["24기_김지원"].checks if c.id == "playground")
    assert "gauss" in gauss.message.en.lower() and "spiral" in gauss.message.en and "xor" in gauss.message.en.lower()
    both = next(c for c in results["24기_이신영"].checks if c.id == "playground")
    assert "circle" in both.message.en.lower() and both.points == both.max_points
