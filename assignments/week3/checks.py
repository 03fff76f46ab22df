"""Week-3 checks, run in the grader's process.

make_inputs() draws the hidden inputs the probes (probes.py, in the probe process) receive;
each CHECKS entry turns the probes' plain results into a scored CheckResult by comparing with
reference_solutions.week3. Messages say what was expected and what was found, in Korean and
English.

Students answer the class's template: a NumPy two-layer network whose MNIST cell flattens
images to (batch, 784) float and one-hot encodes the targets. So the hidden inputs are
(batch, features) float64 arrays and one-hot targets; integer labels are probed too, because
the template's given code handles them. Each check's docstring says what it accepts.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from grader.check.common import notebook_runs_check
from grader.check.context import CheckContext, HiddenInputs
from grader.check.results import failed, not_executed, passed, probed, result
from grader.intake.naming import expected_filename, parse_name
from grader.models import CheckResult, Message, Status
from grader.pack import CheckSpec, NamingRule
from reference_solutions.week3 import layers as ref
from reference_solutions.week3 import numerical
from reference_solutions.week3 import optimizers as ref_opt

from . import image_task, notebook_text

ATOL, RTOL = 1e-6, 1e-4
GRAD_RTOL = 1e-4  # backprop vs central differences (h = 1e-5) on float64
LR, MOMENTUM, STEPS = 0.1, 0.9, 4
NET_SIZES = (6, 5, 4)
MAX_LISTED = 8  # file names listed in one message
MAX_OCR_IMAGES = 4  # task-1 images read per submission (OCR costs seconds each)




# ------------------------------------------------------------------------------ hidden inputs

def _away_from_zero(a: np.ndarray) -> np.ndarray:
    """No exact or near zeros: ReLU's derivative at 0 is a convention (x > 0 and x >= 0 both right)."""
    return np.where(np.abs(a) < 1e-3, np.sign(a + 1e-12) * 1e-3, a)


def _network_inputs(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Hidden weights and inputs of the small TwoLayerNet, redrawn until no hidden unit's
    pre-activation is within 0.05 of ReLU's kink: central differences (h = 1e-5) are then exact
    up to rounding, so a wrong gradient can never be blamed on the check."""
    for _ in range(200):
        net = {"net_x": rng.normal(size=(n, NET_SIZES[0])), "net_labels": rng.integers(0, NET_SIZES[2], size=n),
               "net_W1": rng.normal(scale=0.5, size=NET_SIZES[:2]), "net_b1": rng.normal(scale=0.1, size=NET_SIZES[1]),
               "net_W2": rng.normal(scale=0.5, size=NET_SIZES[1:]), "net_b2": rng.normal(scale=0.1, size=NET_SIZES[2])}
        if np.abs(net["net_x"] @ net["net_W1"] + net["net_b1"]).min() > 0.05:
            return net
    raise RuntimeError("could not draw network inputs away from ReLU's kink")


def make_inputs(rng: np.random.Generator, data_dir: Path | None) -> HiddenInputs:
    """Hidden inputs for one submission, drawn from the run's secret seed."""
    n, k, m = int(rng.integers(4, 8)), int(rng.integers(5, 9)), int(rng.integers(3, 6))
    classes = 10
    labels = rng.integers(0, classes, size=n)
    y = rng.dirichlet(np.ones(classes), size=n)
    y[np.arange(n), labels] += 0.1  # the true class at ≥ 0.09 after renormalising: the 1e-7 guard is negligible
    y /= y.sum(axis=1, keepdims=True)
    inputs: dict[str, np.ndarray] = {
        "aff_x": rng.normal(size=(n, k)), "aff_W": rng.normal(scale=0.5, size=(k, m)),
        "aff_b": rng.normal(size=(m,)), "aff_dout": rng.normal(size=(n, m)),
        "relu_x": _away_from_zero(rng.normal(size=(n, m))), "relu_dout": rng.normal(size=(n, m)),
        "sm_x": rng.normal(scale=3.0, size=(n, classes)),
        "sm_large": rng.uniform(900.0, 1000.0, size=(n, classes)),
        "sm_vec": rng.normal(size=(classes,)),
        "ce_y": y, "ce_labels": labels,
        "swl_x": rng.normal(scale=2.0, size=(n, classes)), "swl_labels": rng.integers(0, classes, size=n),
        "opt_W": rng.normal(size=(3, 4)), "opt_b": rng.normal(size=(4,)),
        **_network_inputs(rng, n),
    }
    for i in range(STEPS):
        inputs[f"opt_gW{i}"] = rng.normal(size=(3, 4))
        inputs[f"opt_gb{i}"] = rng.normal(size=(4,))
    params = {"lr": LR, "momentum": MOMENTUM, "steps": STEPS, "net_sizes": list(NET_SIZES), "numerical_h": 1e-5}
    return HiddenInputs(inputs, params, {})


# ------------------------------------------------------------------------------ helpers

def _close(found: np.ndarray | None, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return (found is not None and found.shape == np.shape(expected)
            and bool(np.allclose(found, expected, rtol=rtol, atol=atol)))


def _text(a: np.ndarray | None, limit: int = 4) -> str:
    if a is None:
        return "-"
    flat = np.asarray(a).reshape(-1)
    shown = ", ".join(f"{v:.4g}" for v in flat[:limit])
    return f"[{shown}{', …' if flat.size > limit else ''}] {tuple(np.shape(a))}"


def _shape(a: np.ndarray | None) -> str:
    return "-" if a is None else str(tuple(a.shape))


def _onehot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels.astype(np.int64)]


# ------------------------------------------------------------------------------ naming

def check_naming(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: every task file named `3주차 과제1_{기}기_{이름}.{png,jpg,…}` (the drawing) and
    `3주차 과제2_{기}기_{이름}.ipynb` (the notebook), uploaded loose or in one zip named
    `3주차 과제_{기}기_{이름}.zip`. Every misnamed file is listed with the exact name to use."""
    pack, intake = ctx.pack, ctx.intake
    cfg = pack.raw.get("naming", {})
    tasks = cfg.get("task_files", ["{week}주차 과제1_{cohort}기_{name}", "{week}주차 과제2_{cohort}기_{name}"])
    own = intake.name
    kind = intake.extra.get("source_kind")
    files = [f for f in intake.files if Path(f).suffix.lower() in (".ipynb", ".pdf", *image_task.IMAGE_SUFFIXES,
                                                                     *image_task.OTHER_IMAGE_SUFFIXES)]
    if kind in ("notebook", "file"):
        files = [own.normalized]
    bad_ko, bad_en = [], []
    cohort, name = own.cohort, own.name  # a file that does not say them is named after its zip or folder
    if kind == "zip":
        zip_rule = NamingRule(cfg.get("zip", "{week}주차 과제_{cohort}기_{name}.zip"), spec.id)
        info = parse_name(own.original, zip_rule, pack.week)
        if not info.conforms:
            bad_ko.append(f"zip '{info.normalized}' → '{info.expected_name}'")
            bad_en.append(f"zip '{info.normalized}' → '{info.expected_name}'")
    for rel in files:
        base = Path(rel).name
        suffix = Path(base).suffix
        pattern = tasks[0 if suffix.lower() != ".ipynb" else 1] + suffix  # any letter case: .JPG is a jpg
        # the task number right after 과제 belongs to the convention, not to the student's name
        plain = re.sub(r"과\s*제\s*[12](?!\d)", "과제", base, count=1)
        info = parse_name(plain, NamingRule("{week}주차 과제_{cohort}기_{name}" + suffix, spec.id), pack.week)
        named = info.cohort is not None and info.name  # else the file is named after its zip or folder
        expected = expected_filename(NamingRule(pattern, spec.id), pack.week, info.cohort if named else cohort,
                                     info.name if named else (name or info.name))
        found = unicodedata.normalize("NFC", base)
        if found != expected:
            bad_ko.append(f"'{found}' → '{expected}'")
            bad_en.append(f"'{found}' → '{expected}'")
    if not bad_en:
        return passed(spec, "파일 이름이 모두 규칙에 맞습니다.", "Every file name follows the convention.")
    more = len(bad_en) - MAX_LISTED
    tail_ko, tail_en = (f"; 외 {more}개", f"; and {more} more") if more > 0 else ("", "")
    return failed(spec, "파일 이름이 규칙과 다릅니다 (현재 → 올바른 이름): " + "; ".join(bad_ko[:MAX_LISTED]) + tail_ko + ".",
                  "File names that do not follow the convention (found → correct): " + "; ".join(bad_en[:MAX_LISTED])
                  + tail_en + ".")


def check_artifacts(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """The task-2 notebook is there and opens (task 1's image is the sigmoid_graph check's)."""
    intake = ctx.intake
    notes = list(intake.problems)
    if intake.notebook is None:
        ko = " ".join(m.ko for m in notes) or "과제2 노트북(.ipynb)이 없습니다."
        en = " ".join(m.en for m in notes) or "The task-2 notebook (.ipynb) is missing."
        return failed(spec, ko, en)
    source = intake.extra.get("notebook_source") or Path(intake.notebook).name
    extra_ko = (" 참고: " + " ".join(m.ko for m in notes)) if notes else ""
    extra_en = (" Note: " + " ".join(m.en for m in notes)) if notes else ""
    return passed(spec, f"과제2 노트북 '{source}'이(가) 있습니다.{extra_ko}", f"The task-2 notebook '{source}' is there.{extra_en}")


# ------------------------------------------------------------------------------ task 1: the image

def _files_of(intake, suffixes: tuple[str, ...]) -> list[str]:
    return [f for f in intake.files if Path(f).suffix.lower() in suffixes]


def check_sigmoid_graph(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Task 1 cannot be graded by a program: an image that is there and readable passes only
    when OCR finds dy/dx written in y (y(1−y), (1−y)y, …); otherwise the leader reviews it
    (needs-review, 0 points until then). A PDF goes to review with a note; a missing, empty or
    broken image fails with what to do."""
    cfg = ctx.pack.raw.get("image_task", {})
    intake = ctx.intake
    images = [Path(p) for p in intake.extra.get("image_candidates", ()) if Path(p).is_file()]
    names = list(intake.extra.get("image_names", ())) or [p.name for p in images]
    pdfs = list(intake.extra.get("pdfs", ())) or _files_of(intake, (".pdf",))
    broken = [f for f in _files_of(intake, image_task.IMAGE_SUFFIXES) if f not in names]
    others = _files_of(intake, image_task.OTHER_IMAGE_SUFFIXES)
    readable: list[tuple[str, object]] = []
    unreadable: list[str] = []
    for path, name in list(zip(images, names))[:MAX_OCR_IMAGES]:
        reading = image_task.read_image(path, "ocr", int(cfg.get("max_pixels", 40_000_000)),
                                        float(cfg.get("ocr_timeout_s", 60)))
        (unreadable.append(f"{name} ({reading.error})") if reading.error else readable.append((name, reading)))
    hints = tuple(cfg.get("hints", ("y(1-y)", "(1-y)y")))
    for name, reading in readable:
        hint = image_task.find_hint(reading.text, hints)
        if hint:
            return passed(spec, f"과제1 이미지 '{name}'에서 OCR로 '{hint}'를 찾았습니다 (dy/dx를 y로 표현). 계산 그래프는 세션장이 확인할 수 있습니다.",
                          f"OCR found '{hint}' in the task-1 image '{name}' (dy/dx expressed in y). The session leader may still look at the graph.")
    if readable:
        listed = ", ".join(f"'{n}' ({r.width}×{r.height})" for n, r in readable)
        return result(spec, Status.NEEDS_REVIEW, Message(
            f"과제1 이미지 {listed}를 열 수 있지만, 손글씨 계산 그래프는 프로그램이 채점할 수 없습니다 (OCR로 y(1−y)를 찾지 못함). "
            "세션장이 확인할 때까지 0점입니다. 계산 그래프(노드 = 연산)와 dy/dx = y(1−y) 유도가 보이게 찍어 주세요.",
            f"The task-1 image {listed} opens, but a hand-drawn computational graph cannot be graded by a program (OCR did not "
            "find y(1−y)). A session leader will look at it; 0 points until then. Make the graph (operations as nodes) and "
            "the derivation dy/dx = y(1−y) clearly visible."))
    if unreadable:  # a real image file the reader gave up on (time limit on a busy machine…): a person can look
        listed = ", ".join(f"'{n}'" for n in unreadable[:MAX_LISTED])
        return result(spec, Status.NEEDS_REVIEW, Message(
            f"과제1 이미지 {listed}를 채점기가 읽지 못했습니다. 세션장이 직접 확인합니다 (그때까지 0점).",
            f"The grader could not read the task-1 image {listed}; a session leader will look at it (0 points until then)."))
    if pdfs or others:  # a PDF or a HEIC/WebP photo: a person can open it, the grader does not
        listed = ", ".join(f"'{p}'" for p in [*pdfs, *others][:MAX_LISTED])
        return result(spec, Status.NEEDS_REVIEW, Message(
            f"과제1이 png/jpg가 아닌 파일({listed})로 제출되었습니다. 채점기는 이 형식을 열지 않으므로 세션장이 직접 확인합니다 "
            "(그때까지 0점). 다음부터는 png/jpg 이미지로 제출해 주세요.",
            f"Task 1 was submitted as a file that is not a png/jpg ({listed}, e.g. a PDF). The grader does not open it, so "
            "a session leader will look at it (0 points until then). Next time submit a png/jpg image."))
    problems_ko, problems_en = [], []
    for name in unreadable:
        problems_ko.append(f"'{name}'을(를) 이미지로 읽을 수 없습니다")
        problems_en.append(f"'{name}' could not be read as an image")
    for name in broken:
        problems_ko.append(f"'{name}'이(가) 비어 있거나 실제 이미지가 아닙니다 (0바이트이거나 손상된 파일)")
        problems_en.append(f"'{name}' is empty or not really an image (0 bytes or damaged)")
    if not problems_en:
        problems_ko.append("과제1 이미지(3주차 과제1_기수_이름.png/jpg)가 없습니다")
        problems_en.append("the task-1 image (3주차 과제1_<cohort>_<name>.png/jpg) is missing")
    return failed(spec, "; ".join(problems_ko) + ". sigmoid 계산 그래프와 dy/dx 유도를 png/jpg로 저장해 다시 제출하세요.",
                  "; ".join(problems_en) + ". Save the sigmoid's computational graph and the dy/dx derivation as a png/jpg and resubmit.")


# ------------------------------------------------------------------------------ layers

def check_affine(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: out = x·W + b (np.dot(x, self.W) + self.b in any spelling), and in backward
    dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ over the batch; all four must match on hidden inputs."""
    probe = probed(ctx, spec, "affine", "Affine(W, b).forward/backward")
    if isinstance(probe, CheckResult):
        return probe
    i = ctx.hidden.inputs
    out = ref.affine_forward(i["aff_x"], i["aff_W"], i["aff_b"])
    dx, dW, db = ref.affine_backward(i["aff_x"], i["aff_W"], i["aff_dout"])
    wrong_ko, wrong_en = [], []
    for key, expected, what in (("out", out, "forward = x·W + b"), ("dx", dx, "dx = dout·Wᵀ"),
                                ("dW", dW, "dW = xᵀ·dout"), ("db", db, "db = Σ dout (axis=0)")):
        found = probe.arrays.get(key)
        if not _close(found, expected):
            wrong_ko.append(f"{what}: 기대 {_text(expected)}, 실제 {_text(found)}")
            wrong_en.append(f"{what}: expected {_text(expected)}, found {_text(found)}")
    if wrong_en:
        return failed(spec, "Affine이 숨겨진 입력에서 기준과 다릅니다: " + "; ".join(wrong_ko) + ".",
                      "Affine differs from the reference on hidden inputs: " + "; ".join(wrong_en) + ".")
    return passed(spec, "Affine forward(x·W + b)와 backward(dx, dW, db)가 숨겨진 입력에서 기준과 일치합니다.",
                  "Affine forward (x·W + b) and backward (dx, dW, db) match the reference on hidden inputs.")


def check_relu(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: a mask of x <= 0 (or x < 0: the inputs are never 0) that zeroes forward's
    output and backward's gradient there."""
    probe = probed(ctx, spec, "relu", "Relu().forward/backward")
    if isinstance(probe, CheckResult):
        return probe
    x, dout = ctx.hidden.inputs["relu_x"], ctx.hidden.inputs["relu_dout"]
    out, dx = ref.relu_forward(x), ref.relu_backward(x, dout)
    wrong_ko, wrong_en = [], []
    if not _close(probe.arrays.get("out"), out):
        wrong_ko.append(f"forward: 기대 max(0, x) {_text(out)}, 실제 {_text(probe.arrays.get('out'))}")
        wrong_en.append(f"forward: expected max(0, x) {_text(out)}, found {_text(probe.arrays.get('out'))}")
    if not _close(probe.arrays.get("dx"), dx):
        wrong_ko.append(f"backward: x ≤ 0인 곳만 0이어야 합니다. 기대 {_text(dx)}, 실제 {_text(probe.arrays.get('dx'))}")
        wrong_en.append(f"backward: only where x ≤ 0 is the gradient 0; expected {_text(dx)}, found {_text(probe.arrays.get('dx'))}")
    if wrong_en:
        return failed(spec, "Relu: " + "; ".join(wrong_ko) + ".", "Relu: " + "; ".join(wrong_en) + ".")
    return passed(spec, "Relu의 mask가 forward와 backward 모두에서 맞습니다.", "Relu's mask is right in forward and backward.")


def check_softmax(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted on (batch, classes) input: np.exp(x) / np.sum(np.exp(x), axis=-1 or axis=1,
    keepdims=True) after the template's max-shift. Large logits (≈1000) must stay finite (the
    template subtracts the row maximum): NaN there costs half. A 1-D vector is a tip only."""
    probe = probed(ctx, spec, "softmax", "softmax")
    if isinstance(probe, CheckResult):
        return probe
    i = ctx.hidden.inputs
    expected = ref.softmax(i["sm_x"])
    found = probe.arrays.get("probs")
    if found is None or found.shape != expected.shape:
        return failed(spec, f"softmax 출력 모양이 {_shape(found)}입니다. 입력과 같은 {expected.shape}이어야 합니다 (keepdims=True).",
                      f"softmax returned shape {_shape(found)}; it must keep the input's shape {expected.shape} (keepdims=True).")
    if not _close(found, expected):
        sums = found.sum(axis=-1)
        return failed(spec, f"softmax 값이 기준과 다릅니다 (행 합 {_text(sums)}). 분모는 각 행의 합: np.sum(np.exp(x), axis=-1, keepdims=True).",
                      f"softmax differs from the reference (row sums {_text(sums)}). The denominator is each row's sum: "
                      "np.sum(np.exp(x), axis=-1, keepdims=True).")
    tip_ko = tip_en = ""
    vec = probe.arrays.get("vector")
    if vec is None or not _close(vec, ref.softmax(i["sm_vec"])):
        tip_ko = " 팁(감점 없음): 1차원 벡터 하나에는 axis=1이 없어 실패합니다. axis=-1로 쓰면 1차원과 2차원 모두 됩니다."
        tip_en = " Tip (no deduction): on a single 1-D vector axis=1 does not exist; axis=-1 works for 1-D and 2-D input."
    large = probe.arrays.get("large")
    if large is None or not _close(large, ref.softmax(i["sm_large"])):
        return failed(spec, "보통 입력에서는 맞지만 큰 입력(≈1000)에서 exp가 넘쳐 NaN/inf가 됩니다. 템플릿처럼 각 행의 최댓값을 먼저 빼세요." + tip_ko,
                      "Right on ordinary input, but for large logits (≈1000) exp overflows to NaN/inf. Subtract each row's "
                      "maximum first, as the template does." + tip_en, points=spec.points / 2)
    return passed(spec, "softmax가 기준과 일치하고 큰 입력에서도 안정적입니다." + tip_ko,
                  "softmax matches the reference and is stable for large inputs." + tip_en)


def check_cross_entropy(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: the batch mean of −log(y[i, tᵢ] + 1e-7) (with or without the small constant),
    for one-hot targets (the template's pipeline) and integer labels (the template's given
    `t.argmax(axis=1)` line handles both). Right for one-hot only: half the points."""
    probe = probed(ctx, spec, "cross_entropy", "cross_entropy_error")
    if isinstance(probe, CheckResult):
        return probe
    y, labels = ctx.hidden.inputs["ce_y"], ctx.hidden.inputs["ce_labels"]
    expected = ref.cross_entropy_error(y, labels)
    found = probe.arrays.get("onehot")
    value = float(found.reshape(-1)[0]) if found is not None and found.size == 1 else None
    if value is None:
        return failed(spec, f"cross_entropy_error는 스칼라(배치 평균)를 반환해야 합니다. 실제 모양: {_shape(found)}.",
                      f"cross_entropy_error must return a scalar (the batch mean); found shape {_shape(found)}.")
    if not np.isclose(value, expected, rtol=RTOL, atol=1e-6):
        n = len(labels)
        no_log = -float(np.mean(y[np.arange(n), labels]))
        why_ko = why_en = ""
        if np.isclose(value, no_log, rtol=1e-3, atol=1e-4):
            why_ko, why_en = " np.log가 빠졌습니다: −Σ log y / batch여야 합니다.", " np.log is missing: it is −Σ log y / batch."
        elif np.isclose(value, n * expected, rtol=1e-3):
            why_ko, why_en = " 배치 크기로 나누지 않았습니다 (합 대신 평균).", " It is not divided by the batch size (a sum, not a mean)."
        return failed(spec, f"cross_entropy_error가 다릅니다 (one-hot 정답): 기대 {expected:.5f}, 실제 {value:.5f}.{why_ko}",
                      f"cross_entropy_error differs (one-hot targets): expected {expected:.5f}, found {value:.5f}.{why_en}")
    lab = probe.arrays.get("labels")
    if lab is None or lab.size != 1 or not np.isclose(float(lab.reshape(-1)[0]), expected, rtol=RTOL, atol=1e-6):
        shown = probe.values.get("labels_error") or _text(lab)
        return failed(spec, f"one-hot 정답에서는 맞지만 정수 레이블 정답에서 다릅니다 ({shown}; 기대 {expected:.5f}). 템플릿의 "
                      "`if t.size == y.size: t = t.argmax(axis=1)` 줄이 두 형식을 모두 처리합니다.",
                      f"Right for one-hot targets but not for integer labels ({shown}; expected {expected:.5f}). The template's "
                      "`if t.size == y.size: t = t.argmax(axis=1)` line handles both forms.", points=spec.points / 2)
    return passed(spec, f"cross_entropy_error가 one-hot과 레이블 정답 모두에서 배치 평균 {expected:.5f}와 일치합니다.",
                  f"cross_entropy_error matches the batch mean {expected:.5f} for one-hot and label targets.")


def check_softmax_with_loss(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: backward = (y − t) / batch_size for one-hot t (the template's blank) and the
    label branch given in the template; times dout (1) or not. Right for one-hot only: half."""
    probe = probed(ctx, spec, "softmax_with_loss", "SoftmaxWithLoss().forward/backward")
    if isinstance(probe, CheckResult):
        return probe
    x, labels = ctx.hidden.inputs["swl_x"], ctx.hidden.inputs["swl_labels"]
    expected = ref.softmax_with_loss_backward(x, labels)
    found = probe.arrays.get("dx_onehot")
    isolated = probe.arrays.get("ref_dx_onehot")
    if not _close(found, expected) and _close(isolated, expected):
        return passed(spec, "backward 자체는 맞습니다: 올바른 softmax로 바꾸면 (y − t)/batch와 같습니다. 차이는 softmax 때문이며 softmax 항목에서만 감점됩니다.",
                      "backward itself is right: with a correct softmax it equals (y − t)/batch. The difference comes from "
                      "softmax and is only counted in the softmax check.")
    if not _close(found, expected):
        n = len(labels)
        why_ko = why_en = ""
        if found is not None and found.shape == expected.shape and _close(found, expected * n):
            why_ko, why_en = " 배치 크기로 나누지 않았습니다.", " It is not divided by the batch size."
        elif found is not None and found.shape == expected.shape and _close(found, -expected):
            why_ko, why_en = " 부호가 반대입니다 (y − t).", " The sign is flipped (it is y − t)."
        return failed(spec, f"one-hot 정답에서 backward가 (y − t)/batch와 다릅니다: 기대 {_text(expected)}, 실제 {_text(found)}.{why_ko}",
                      f"With one-hot targets backward differs from (y − t)/batch: expected {_text(expected)}, found {_text(found)}.{why_en}")
    lab = probe.arrays.get("dx_labels")
    if not _close(lab, expected):
        shown = probe.values.get("labels_error") or _text(lab)
        return failed(spec, f"one-hot 정답에서는 맞지만 정수 레이블 정답에서 다릅니다 ({shown}). 템플릿의 else 분기(레이블)를 되돌리세요.",
                      f"Right for one-hot targets but not for integer labels ({shown}). Restore the template's else branch (labels).",
                      points=spec.points / 2)
    return passed(spec, "SoftmaxWithLoss.backward가 one-hot과 레이블 정답 모두에서 (y − t)/batch와 일치합니다.",
                  "SoftmaxWithLoss.backward equals (y − t)/batch for one-hot and label targets.")


# ------------------------------------------------------------------------------ optimizers

def _optimizer_check(ctx: CheckContext, spec: CheckSpec, name: str, make, rule_ko: str, rule_en: str) -> CheckResult:
    probe = probed(ctx, spec, name.lower(), f"{name}.update")
    if isinstance(probe, CheckResult):
        return probe
    i = ctx.hidden.inputs
    grads = [{"W": i[f"opt_gW{s}"], "b": i[f"opt_gb{s}"]} for s in range(STEPS)]
    expected = ref_opt.run_steps(make(), {"W": i["opt_W"], "b": i["opt_b"]}, grads)
    for step, want in enumerate(expected):
        W, b = probe.arrays.get(f"W{step}"), probe.arrays.get(f"b{step}")
        if not (_close(W, want["W"]) and _close(b, want["b"])):
            state = ("" if step == 0 else
                     (f" 첫 {step}번의 update는 맞았습니다: 호출 사이에 상태(v, h)가 유지되는지 확인하세요.",
                      f" The first {step} update(s) were right: check that the state (v, h) is kept between calls."))
            s_ko, s_en = state if state else ("", "")
            return failed(spec, f"{name}: {step + 1}번째 update 후 W가 기준과 다릅니다 (기대 {_text(want['W'])}, 실제 {_text(W)}). "
                          f"규칙: {rule_ko}.{s_ko}",
                          f"{name}: after update {step + 1}, W differs from the reference (expected {_text(want['W'])}, found "
                          f"{_text(W)}). The rule: {rule_en}.{s_en}")
    return passed(spec, f"{name}가 숨겨진 파라미터에서 {STEPS}번의 연속 update 모두 기준과 일치합니다.",
                  f"{name} matches the reference over {STEPS} consecutive updates of hidden parameters.")


def check_sgd(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: params[key] -= lr · grads[key] (in place, any spelling), several calls."""
    return _optimizer_check(ctx, spec, "SGD", lambda: ref_opt.SGD(lr=LR), "θ ← θ − η·∇", "θ ← θ − η·∇")


def check_momentum(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: v ← α·v − η·∇, θ ← θ + v with v starting at zero and kept between calls."""
    return _optimizer_check(ctx, spec, "Momentum", lambda: ref_opt.Momentum(lr=LR, momentum=MOMENTUM),
                            "v ← α·v − η·∇, θ ← θ + v", "v ← α·v − η·∇, θ ← θ + v")


def check_adagrad(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: h ← h + ∇² (∇·∇ or ∇**2), θ ← θ − η·∇/(√h + 1e-7), h kept between calls."""
    return _optimizer_check(ctx, spec, "AdaGrad", lambda: ref_opt.AdaGrad(lr=LR),
                            "h ← h + ∇², θ ← θ − η·∇/(√h + ε)", "h ← h + ∇², θ ← θ − η·∇/(√h + ε)")


# ------------------------------------------------------------------------------ the whole network

def check_network_gradient(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """The student's TwoLayerNet (its own layers, SoftmaxWithLoss and gradient(); softmax and
    cross_entropy_error swapped for correct ones, as they have their own checks) with hidden
    weights: its backpropagated gradients must equal the numerical gradient of the correct
    loss (our reference). When they
    do not, the message says whether they equal the numerical gradient of the student's own
    loss (backward consistent with a forward that differs) or not (backward is wrong)."""
    probe = probed(ctx, spec, "network", "TwoLayerNet(...).gradient")
    if isinstance(probe, CheckResult):
        return probe
    i = ctx.hidden.inputs
    params = {k: i[f"net_{k}"].copy() for k in ("W1", "b1", "W2", "b2")}
    x, t = i["net_x"], _onehot(i["net_labels"], NET_SIZES[2])
    truth = {k: numerical.numerical_gradient(lambda: ref.two_layer_loss(params, x, t), params[k]) for k in params}
    worst, own_worst, missing = 0.0, 0.0, []
    for key, expected in truth.items():
        found = probe.arrays.get(f"grad_{key}")
        if found is None or found.shape != expected.shape:
            missing.append(f"{key} {_shape(found)}")
            continue
        worst = max(worst, numerical.relative_error(found, expected) if np.abs(expected).max() > 1e-6
                    else float(np.abs(found - expected).max()))
        own = probe.arrays.get(f"num_{key}")
        if own is not None and own.shape == found.shape:
            own_worst = max(own_worst, numerical.relative_error(found, own))
    replaced = probe.values.get("replaced") or []
    if missing:
        return failed(spec, f"gradient()가 W1, b1, W2, b2의 기울기를 올바른 모양으로 반환하지 않았습니다: {', '.join(missing)}.",
                      f"gradient() did not return gradients of W1, b1, W2, b2 with the right shapes: {', '.join(missing)}.")
    # Elementwise relative error is fragile where an element is near 0 (float rounding of the
    # student's arithmetic reached 1.1e-3 on a correct real notebook); a backward bug (mask,
    # dW, the 1/batch) is off by a fraction of the gradient's own scale, so compare to that too.
    scaled = all(np.abs(probe.arrays[f"grad_{k}"] - truth[k]).max() <= 1e-2 * np.abs(truth[k]).max() + 1e-6
                 for k in truth)
    if worst <= 1e-3 or scaled or all(_close(probe.arrays.get(f"grad_{k}"), truth[k], rtol=1e-3, atol=1e-6)
                                      for k in truth):
        return passed(spec, f"역전파 기울기가 수치 미분과 일치합니다 (최대 상대 오차 {worst:.1e}).",
                      f"Backpropagated gradients match the numerical gradient (max relative error {worst:.1e}).")
    note_ko = note_en = ""
    if replaced:
        note_ko = f" (params의 {', '.join(replaced)}가 예상과 다른 모양이라 새 배열로 바꿨습니다)"
        note_en = f" (params {', '.join(replaced)} had an unexpected shape and were replaced)"
    if own_worst <= 1e-3:
        return failed(spec, f"역전파가 여러분의 순전파(손실)와는 일치하지만, 올바른 손실의 수치 미분과 다릅니다 (최대 상대 오차 {worst:.2g}). "
                      f"계층의 순전파(Affine, Relu)를 확인하세요.{note_ko}",
                      f"Backprop agrees with your own forward pass (loss), but not with the numerical gradient of the correct loss "
                      f"(max relative error {worst:.2g}). Check the forward passes of the layers (Affine, Relu).{note_en}")
    return failed(spec, f"역전파 기울기가 수치 미분과 다릅니다 (최대 상대 오차 {worst:.2g}). backward(Affine의 dW·db, Relu mask, "
                  f"SoftmaxWithLoss)를 확인하세요.{note_ko}",
                  f"Backpropagated gradients differ from the numerical gradient (max relative error {worst:.2g}). Check the "
                  f"backward passes (Affine's dW and db, Relu's mask, SoftmaxWithLoss).{note_en}")


# ------------------------------------------------------------------------------ plots and text

def _executed_cells(ctx: CheckContext) -> list:
    nb = getattr(ctx, "notebook", None)
    return list(nb.get("cells", [])) if nb is not None else []


def _submitted_cells(ctx: CheckContext) -> list:
    import json

    path = ctx.intake.notebook
    if path is None or not Path(path).is_file():
        return []
    try:
        return list(json.loads(Path(path).read_text(encoding="utf-8")).get("cells", []))
    except (OSError, ValueError):
        return []


def check_loss_curves(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """The notebook, run here, must draw the loss curves: a plot image in which three curves
    of different colours can be seen passes. A plot where fewer can be told apart (one curve
    per subplot, same colours, only one optimizer trained) goes to review; no plot fails."""
    early = not_executed(ctx, spec)
    if early is not None:
        return early
    cfg = ctx.pack.raw.get("image_task", {})
    plots = notebook_text.plot_images(_executed_cells(ctx))
    if not plots:
        saved = notebook_text.plot_images(_submitted_cells(ctx))
        extra_ko = " (제출한 노트북에는 그래프가 저장되어 있지만, 여기서 실행했을 때는 그려지지 않았습니다)" if saved else ""
        extra_en = " (the submitted notebook has a saved plot, but running it here drew none)" if saved else ""
        return failed(spec, "노트북을 실행했을 때 loss 그래프가 그려지지 않았습니다" + extra_ko + ". 세 optimizer의 train loss를 한 그래프에 그리세요.",
                      "Running the notebook drew no loss plot" + extra_en + ". Plot the train loss of the three optimizers in one figure.")
    best = 0
    with tempfile.TemporaryDirectory(prefix="kubig-w3-plot-") as tmp:
        for index, png in plots[:8]:
            path = Path(tmp) / f"plot{index}.png"
            path.write_bytes(png)
            reading = image_task.read_image(path, "colors", int(cfg.get("max_pixels", 40_000_000)), 30.0)
            best = max(best, reading.series)
    if best >= 3:
        return passed(spec, f"노트북이 그린 그래프에서 서로 다른 색의 곡선 {best}개가 보입니다 (세 optimizer의 loss).",
                      f"The notebook's plot shows {best} curves in different colours (the three optimizers' losses).")
    return result(spec, Status.NEEDS_REVIEW, Message(
        f"그래프 {len(plots)}개가 그려졌지만 서로 다른 색의 곡선이 {best}개만 보입니다. 세 optimizer(SGD, Momentum, AdaGrad)의 loss가 "
        "모두 그려졌는지 세션장이 확인합니다 (그때까지 0점). 세 곡선을 한 그래프에 다른 색으로 그리면 자동으로 확인됩니다.",
        f"{len(plots)} plot(s) were drawn but only {best} curve colour(s) can be told apart. A session leader will check that "
        "the losses of all three optimizers (SGD, Momentum, AdaGrad) are drawn (0 points until then). Three curves in "
        "different colours in one figure are recognised automatically."))


def check_written_comparison(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Presence of the written comparison (its content is the leader's to judge): text under the
    template's question '각 optimizer의 특징을 비교해주세요!' (or, in older templates without the
    question, markdown or comments after the loss plot) of at least min_chars letters passes;
    shorter goes to review; none fails (older templates: review, they did not ask)."""
    cells = _submitted_cells(ctx)
    if not cells:
        return failed(spec, "노트북이 없어 확인할 수 없습니다.", "No notebook, so this could not be checked.")
    text, asked = notebook_text.comparison_text(cells)
    count = notebook_text.letters(text)
    need = int(ctx.pack.raw.get("comparison", {}).get("min_chars", 40))
    if count >= need:
        return passed(spec, f"optimizer 비교 서술이 있습니다 ({count}자). 내용은 세션장이 읽습니다.",
                      f"The written comparison is there ({count} letters). Its content is for the session leader to read.")
    if count == 0 and asked:
        return failed(spec, "마지막 질문 '각 optimizer의 특징을 비교해주세요!'에 답이 없습니다. SGD, Momentum, AdaGrad의 특징과 그래프에서 본 차이를 써 주세요.",
                      "The final question (compare the optimizers) has no answer. Write what characterises SGD, Momentum and "
                      "AdaGrad and what differences the plot shows.")
    why_ko = (f"서술이 {count}자로 짧아 판단하기 어렵습니다" if asked else
              "이 노트북의 템플릿에는 서술 질문이 없습니다" + (f" (그래프 뒤에 {count}자)" if count else ""))
    why_en = (f"the comparison is short ({count} letters) to judge" if asked else
              "this notebook's template asks no written question" + (f" ({count} letters after the plot)" if count else ""))
    return result(spec, Status.NEEDS_REVIEW, Message(
        f"{why_ko}. 세션장이 확인합니다 (그때까지 0점).", f"{why_en[0].upper()}{why_en[1:]}. A session leader will look at it (0 points until then)."))


CHECKS = {
    "naming": check_naming,
    "artifacts": check_artifacts,
    "sigmoid_graph": check_sigmoid_graph,
    "notebook_runs": notebook_runs_check,
    "affine": check_affine,
    "relu": check_relu,
    "softmax": check_softmax,
    "cross_entropy": check_cross_entropy,
    "softmax_with_loss": check_softmax_with_loss,
    "sgd": check_sgd,
    "momentum": check_momentum,
    "adagrad": check_adagrad,
    "network_gradient": check_network_gradient,
    "loss_curves": check_loss_curves,
    "written_comparison": check_written_comparison,
}
