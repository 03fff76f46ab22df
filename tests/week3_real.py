"""The real week-3 class folders (2026 summer, 2025 fall) as per-student submissions, built
by code from the git bundles in ../shared, plus hand-written labels for every student.

Today's intake grades one file or folder per student; the class repository holds two loose
files per student (or one zip). Until the intake groups a student's files by (cohort, name),
`build_cohort` does that grouping here: each student's loose files go into a folder
`{cohort}기_{name}/` (a folder submission), zips and lone notebooks stay as they are. The
student's own file names are kept, so the `naming` check judges what the student uploaded.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

from conftest import SHARED
from labels import FAIL, REVIEW, Label

WEEK3 = SHARED / "kubig" / "week3"
BUNDLES = {"2026-summer": (WEEK3 / "class-repo-2026-summer" / "class-repo.bundle", "Basic Study/DL/week3"),
           "2025-fall": (WEEK3 / "class-repo-2025-fall" / "class-repo.bundle", "Basic Study/DL/3주차")}
NOT_STUDENTS = {".gitkeep", "25-2_DL_3주차.pdf"}  # the folder's placeholder and the session's slides

MISNAMED = {"naming": (FAIL, 0)}
IMAGE_REVIEW = {"sigmoid_graph": (REVIEW, 0)}  # a hand drawing: the leader looks at it
OLD_TEMPLATE = {"loss_curves": (REVIEW, 0), "written_comparison": (REVIEW, 0)}  # one optimizer per run, no question

# Student → label. Task 1 (read by looking at every image): all real drawings show the graph
# and y(1−y) except 채승민's, which stops at e⁻ˣ/(1+e⁻ˣ)² (not written in y). OCR reads none
# of the handwriting, so each goes to review (never a silent pass or fail).
LABELS: dict[str, Label] = {
    "23기_신지유": Label("graded", IMAGE_REVIEW, "tablet drawing, y(1−y); conforming names; `! pip install torchvision`"),
    "24기_박민준": Label("graded", IMAGE_REVIEW, "operation chain and y(1−y); .jpeg; softmax axis=1 on 2-D input"),
    "24기_손윤나": Label("graded", IMAGE_REVIEW, "graph with ×, exp, +, 1/x nodes; y(1−y)"),
    "24기_오은하": Label("graded", IMAGE_REVIEW, "y(1−y); three experiments, three plots"),
    "24기_고서연": Label("graded", IMAGE_REVIEW, "`%pip install` cells and an ssl cell; lr 0.1 experiment"),
    "24기_이신영": Label("graded", IMAGE_REVIEW, "short but present comparison (89 letters)"),
    "24기_채승민": Label("graded", IMAGE_REVIEW, "the drawing stops at e⁻ˣ/(1+e⁻ˣ)²: only a leader can tell"),
    "23기_김석우": Label("misnamed", {**MISNAMED, "sigmoid_graph": (FAIL, 0)},
                        "3주차_과제2_…; the task-1 image is an empty (0-byte) file; answer in a separate markdown cell"),
    "23기_이서현": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW}, "3주차_과제2_… (renamed in git); .JPG is fine"),
    "23기_조호평": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW}, "3주차_과제2_…"),
    "23기_홍준기": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW}, "3주차_과제1_… and 3주차_과제2_…"),
    "24기_김가현": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW, "cross_entropy": (FAIL, 0)},
                        "3주차_과제2_…; cross_entropy_error without np.log; Relu mask x < 0 (fine)"),
    "24기_김려원": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW},
                        "zip named right, its notebook 3주차_과제2_…; the Relu cell is indented as a whole (IPython dedents it)"),
    "24기_이정용": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW}, "3주차_과제_….zip holding '260723 w3.jpg' and 3주차_과제2_…"),
    "24기_김지원": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW, "notebook_runs": (FAIL, 0), "affine": (FAIL, 0),
                                      "relu": (FAIL, 0), "softmax": (FAIL, 0), "cross_entropy": (FAIL, 0),
                                      "softmax_with_loss": (FAIL, 0), "sgd": (FAIL, 0), "momentum": (FAIL, 0),
                                      "adagrad": (FAIL, 0), "network_gradient": (FAIL, 0), "loss_curves": (FAIL, 0),
                                      "written_comparison": (FAIL, 0)},
                        "3주차과제_….zip with 'DL_26_2_3주차_과제 (2).ipynb' (the blank template, never run) and 'IMG_5014 (1).jpeg'"),
    # 2025 fall: the older template (no SEED, no run_basic_checks, one optimizer per run)
    "22기_이세훈": Label("misnamed", {**MISNAMED, "sigmoid_graph": (REVIEW, 0), **OLD_TEMPLATE},
                        "task 1 as a PDF; DL_3주차_과제_2___22기___이세훈.ipynb; trained Momentum only"),
    "22기_성용빈": Label("misnamed", {**MISNAMED, **IMAGE_REVIEW, **OLD_TEMPLATE},
                        "…_1.jpg / …_2.ipynb; trained SGD only (one curve; the other two are legend entries)"),
    "22기_이은서": Label("misnamed", {**MISNAMED, "sigmoid_graph": (REVIEW, 0)},
                        "task 1 as a PDF; all three optimizers in a loop; softmax and cross_entropy_error also "
                        "defined inside SoftmaxWithLoss with an import in the class body; comparison as comments"),
    "21기_이준언": Label("misnamed", {**MISNAMED, "sigmoid_graph": (FAIL, 0), "notebook_runs": (FAIL, 0),
                                      "loss_curves": (FAIL, 0), "written_comparison": (REVIEW, 0)},
                        "one notebook 3주차 과제_…, no image; the training cell calls MultiLayerNet, never defined"),
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clone(bundle: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(bundle), str(dest)], check=True)
    return dest


def student_of(filename: str) -> str | None:
    """'{cohort}기_{name}' from a week-3 file name (the zip entries are not looked at)."""
    import re

    stem = nfc(Path(filename).stem)
    cohort = re.search(r"(\d{2})기", stem)
    name = re.search(r"기[_\s]*_*([가-힣]{2,4})", stem)
    return f"{cohort.group(1)}기_{name.group(1)}" if cohort and name else None


def build_cohort(root: Path) -> Path:
    """A folder of per-student submissions built from both bundles (see the module docstring)."""
    out = root / "week3-cohort"
    out.mkdir()
    for semester, (bundle, folder) in BUNDLES.items():
        repo = clone(bundle, root / semester)
        files: dict[str, Path] = {}
        for path in sorted((repo / folder).iterdir()):
            name = nfc(path.name)
            if path.is_file() and name not in NOT_STUDENTS:
                files.setdefault(name, path)  # NFC/NFD twins: byte-identical, counted once
        groups: dict[str, list[tuple[str, Path]]] = {}
        for name, path in files.items():
            groups.setdefault(student_of(name) or name, []).append((name, path))
        for student, members in groups.items():
            if len(members) == 1:
                shutil.copyfile(members[0][1], out / members[0][0])
            else:
                folder_out = out / student
                folder_out.mkdir()
                for name, path in members:
                    shutil.copyfile(path, folder_out / name)
    return out
