"""Week-2 checks, run in the grader's process.

make_inputs() draws the hidden inputs the probes (probes.py, inside the kernel) receive;
each CHECKS entry turns the probes' plain results into a scored CheckResult by comparing
with reference_solutions.week2. Messages say what was expected and what was found, in
Korean and English.

Students answer the class's template (d2l 1.0.3), so hidden inputs have the shapes and
dtypes that template's pipeline produces (float32 tensors; y of shape (n, 1) like
d2l.SyntheticRegressionData's; images (n, 1, 28, 28) like d2l.FashionMNIST's; int64 labels).
Each check's docstring says which answers it accepts and why; statement.md has the table.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import torch

from grader.check.common import notebook_runs_check
from grader.check.context import CheckContext, HiddenInputs
from grader.check.results import failed, passed, probed
from grader.memo import Memo
from grader.models import CheckResult, Message
from grader.pack import CheckSpec
from reference_solutions.week2 import linear, softmax as ref_softmax

ATOL, RTOL = 1e-4, 1e-3
FIT_TOLERANCE = 0.05
RERUN_SEEDS = (0, 1, 2)
MIN_ACCURACY = 0.5  # the reference reaches about 90% on the stand-in
TRAIN_MAX_EPOCHS = 10  # the template's max_epochs; a notebook asking for more is re-trained for this many


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _close(found: np.ndarray, expected: np.ndarray, atol: float = ATOL) -> bool:
    return found.shape == expected.shape and bool(np.allclose(found, expected, atol=atol, rtol=RTOL, equal_nan=False))


def _read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim :], dtype=np.uint8).reshape(shape)


def make_inputs(rng: np.random.Generator, data_dir: Path | None) -> HiddenInputs:
    """Hidden inputs for one submission, drawn from the run's secret seed; data_dir is the
    runtime's hidden data (validation images no sandbox can read)."""
    k = int(rng.integers(3, 6))
    fit_w = rng.uniform(-4, 4, size=k)
    fit_b = float(rng.uniform(-3, 3))
    fit_X = rng.normal(size=(1000, k))
    fit_y = fit_X @ fit_w.reshape(-1, 1) + fit_b + 0.01 * rng.normal(size=(1000, 1))
    epochs = 10
    inputs: dict[str, np.ndarray] = {
        "lin_X": rng.normal(size=(12, k)),
        "lin_w": rng.normal(size=(k, 1)),
        "lin_b": rng.normal(size=(1,)),
        # y as d2l.SyntheticRegressionData makes it: (n, 1), the shape of y_hat
        "loss_yhat": rng.normal(size=(9, 1)),
        "loss_y": rng.normal(size=(9, 1)),
        "fit_X": fit_X,
        "fit_y": fit_y,
        "fit_order": np.stack([rng.permutation(1000) for _ in range(epochs)]).astype(np.int64),
        "sm_X": rng.normal(scale=3.0, size=(6, 10)),  # logits as forward gives them: (n, 10)
        "sm_X_large": rng.uniform(90, 120, size=(3, 4)),
        "smr_X": rng.uniform(0, 1, size=(5, 1, 28, 28)),
        "smr_W": rng.normal(scale=0.05, size=(784, 10)),
        "smr_b": rng.normal(scale=0.1, size=(10,)),
        "ce_yhat": rng.dirichlet(np.ones(10), size=8),  # softmax output (n, 10), int64 labels
        "ce_y": rng.integers(0, 10, size=8),
    }
    answers: dict[str, object] = {"fit_w": fit_w, "fit_b": fit_b}
    raw = None if data_dir is None else data_dir / "FashionMNIST" / "raw"
    if raw is not None and (raw / "t10k-images-idx3-ubyte").exists():
        images, labels = _read_idx(raw / "t10k-images-idx3-ubyte"), _read_idx(raw / "t10k-labels-idx1-ubyte")
        pick = rng.choice(len(labels), size=min(200, len(labels)), replace=False)
        inputs["train_X"] = images[pick][:, None, :, :].astype(np.float64) / 255.0
        answers["train_y"] = labels[pick].astype(np.int64)
    else:
        inputs["train_X"] = np.zeros((1, 1, 28, 28))
    params = {"fit_lr": 0.03, "fit_batch": 32, "train_max_epochs": TRAIN_MAX_EPOCHS}
    return HiddenInputs(inputs, params, answers)


def _array_text(a: np.ndarray, limit: int = 4) -> str:
    flat = np.asarray(a).reshape(-1)[:limit]
    return "[" + ", ".join(f"{v:.4g}" for v in flat) + (", …]" if np.asarray(a).size > limit else "]")


def check_linreg_requires_grad(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: w and b created with requires_grad=True (the two blanks of the template's
    __init__), or made to require grad any other way before training."""
    probe = probed(ctx, spec, "linreg_params", "LinearRegressionScratch(...)")
    if isinstance(probe, CheckResult):
        return probe
    w, b = probe.values.get("w", {}), probe.values.get("b", {})
    problems_ko, problems_en = [], []
    for name, info in (("w", w), ("b", b)):
        if info.get("type") != "Tensor":
            problems_ko.append(f"self.{name}가 텐서가 아닙니다 ({info.get('type')})")
            problems_en.append(f"self.{name} is not a tensor ({info.get('type')})")
        elif not info.get("requires_grad"):
            problems_ko.append(f"self.{name}.requires_grad가 False입니다")
            problems_en.append(f"self.{name}.requires_grad is False")
    if problems_en:
        return failed(spec, "w와 b는 requires_grad=True여야 경사하강법으로 학습됩니다: " + "; ".join(problems_ko) + ".",
                      "w and b need requires_grad=True to be learned by gradient descent: " + "; ".join(problems_en) + ".")
    return passed(spec, "w와 b 모두 requires_grad=True입니다.", "Both w and b have requires_grad=True.")


def check_linreg_forward(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: torch.matmul(X, self.w) + self.b in any spelling (X @ self.w + self.b, ...),
    shape (n, 1) on X of shape (n, k) float32 as d2l.SyntheticRegressionData gives it."""
    probe = probed(ctx, spec, "linreg_forward", "LinearRegressionScratch.forward")
    if isinstance(probe, CheckResult):
        return probe
    inp = ctx.hidden.inputs
    expected = linear.forward(_t(inp["lin_X"]), _t(inp["lin_w"]), _t(inp["lin_b"])).numpy()
    found = probe.arrays.get("forward")
    if found is None:
        return failed(spec, "forward가 값을 반환하지 않았습니다.", "forward returned nothing.")
    if found.shape != expected.shape:
        return failed(spec, f"forward 출력 모양이 {tuple(found.shape)}입니다. X@w+b의 모양 {tuple(expected.shape)}이어야 합니다.",
                      f"forward returned shape {tuple(found.shape)}; X@w+b has shape {tuple(expected.shape)}.")
    if not _close(found, expected):
        return failed(spec, f"forward가 X@w+b와 다릅니다. 기대값 {_array_text(expected)}, 실제 {_array_text(found)}.",
                      f"forward differs from X@w+b: expected {_array_text(expected)}, found {_array_text(found)}.")
    return passed(spec, "forward가 숨겨진 입력에서 X@w+b와 일치합니다.", "forward equals X@w+b on hidden inputs.")


def check_squared_loss(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: ½·mean((ŷ − y)²) and mean((ŷ − y)²), with or without y.reshape(y_hat.shape).

    The blank is `l = #loss를 정의해주세요(MSE)` followed by the given `return l.mean()`; the
    slides define MSE = (1/n)·Σ(y − ŷ)² and the cost with 1/(2N), so both scales are MSE. In
    the class's pipeline y comes from d2l.SyntheticRegressionData with y_hat's shape (n, 1),
    so the d2l book's `(y_hat - y) ** 2 / 2` is right there. A flat y of shape (n,) is only a
    robustness probe: it can add a tip, never take points.
    """
    probe = probed(ctx, spec, "linreg_loss", "LinearRegressionScratch.loss")
    if isinstance(probe, CheckResult):
        return probe
    y_hat, y = _t(ctx.hidden.inputs["loss_yhat"]), _t(ctx.hidden.inputs["loss_y"])
    half = float(linear.squared_loss(y_hat, y))
    plain = 2 * half
    found_arr = probe.arrays.get("loss")
    if found_arr is None or found_arr.size != 1:
        shape = None if found_arr is None else tuple(found_arr.shape)
        return failed(spec, f"loss는 스칼라(평균)를 반환해야 합니다. 실제 모양: {shape}. 템플릿처럼 l.mean()을 반환하세요.",
                      f"loss must return a scalar (the mean); found shape {shape}. Return l.mean() as the template does.")
    found = float(found_arr.reshape(-1)[0])
    n = len(y)
    expected_text = f"½·mean((ŷ − y)²) = {half:.5f} 또는 mean((ŷ − y)²) = {plain:.5f}"
    expected_en = f"½·mean((ŷ − y)²) = {half:.5f} or mean((ŷ − y)²) = {plain:.5f}"
    if _same(found, half) or _same(found, plain):
        form = "½·mean((ŷ − y)²)" if _same(found, half) else "mean((ŷ − y)²)"
        tip_ko, tip_en = _flat_y_tip(probe, found)
        return passed(spec, f"제곱 손실(MSE) {form}이 기준값 {found:.5f}와 일치합니다.{tip_ko}",
                      f"The squared loss (MSE) {form} matches the reference {found:.5f}.{tip_en}")
    if _same(found, n * half) or _same(found, n * plain):
        return failed(spec, f"평균 대신 합을 계산했습니다: 기대값 {expected_text}, 실제 {found:.5f}. 예제별 손실의 평균을 반환하세요.",
                      f"A sum instead of a mean: expected {expected_en}, found {found:.5f}. Return the mean over examples.")
    return failed(spec, f"제곱 손실이 다릅니다: 기대값 {expected_text}, 실제 {found:.5f}.",
                  f"Squared loss differs: expected {expected_en}, found {found:.5f}.")


def _same(found: float, expected: float) -> bool:
    return bool(np.isclose(found, expected, rtol=RTOL, atol=ATOL))


def _flat_y_tip(probe, found: float) -> tuple[str, str]:
    """A no-deduction tip when the loss only works because y already has y_hat's shape."""
    flat = probe.arrays.get("loss_flat_y")
    robust = flat is not None and flat.size == 1 and _same(float(flat.reshape(-1)[0]), found)
    if robust:
        return "", ""
    return (" 팁(감점 없음): 이 과제의 y는 y_hat과 같은 (n, 1) 모양이라 맞게 계산됩니다. y가 (n,) 모양이면 (n, n)으로 브로드캐스팅되니, "
            "다른 데이터에도 쓰려면 y.reshape(y_hat.shape)를 쓰세요.",
            " Tip (no deduction): here y has y_hat's shape (n, 1), so this is right; with a y of shape (n,) it would broadcast "
            "to (n, n), so y.reshape(y_hat.shape) makes it work for other data too.")


def check_gradient_descent_fit(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """The student's own model (w, b as initialised, forward, loss) trained by the template's
    SGD step on hidden data shaped like d2l.SyntheticRegressionData's; accepted when it
    recovers the hidden w and b. Either MSE scale trains (the plain mean only doubles the step)."""
    probe = probed(ctx, spec, "linreg_fit", "LinearRegressionScratch (forward + loss)")
    if isinstance(probe, CheckResult):
        return probe
    frozen = probe.values.get("no_grad") or []
    if frozen:
        names = ", ".join(f"self.{n}" for n in frozen)
        return failed(spec, f"{names}의 requires_grad가 False라서 기울기가 없고, 템플릿의 SGD가 학습시킬 수 없습니다. requires_grad=True로 만드세요.",
                      f"{names} has requires_grad=False, so it gets no gradient and the template's SGD cannot train it. Create it with requires_grad=True.")
    for name in ("w", "b"):
        info = probe.values.get(f"{name}_init") or {}
        if info.get("type") != "Tensor":
            return failed(spec, f"LinearRegressionScratch의 self.{name}가 텐서가 아닙니다 ({info.get('type')}).",
                          f"LinearRegressionScratch's self.{name} is not a tensor ({info.get('type')}).")
    true_w, true_b = np.asarray(ctx.hidden.answers["fit_w"]), float(ctx.hidden.answers["fit_b"])
    w, b = probe.arrays.get("w"), probe.arrays.get("b")
    if w is None or b is None or w.shape != true_w.shape or b.size != 1:
        return failed(spec, "학습 후 w, b의 모양이 올바르지 않습니다 (w는 (입력 수, 1), b는 (1,)이어야 합니다).",
                      "After training, w and b do not have the right shapes (w should be (num_inputs, 1), b (1,)).")
    err = max(float(np.max(np.abs(w - true_w))), abs(float(b[0]) - true_b))
    if not np.isfinite(err):
        return failed(spec, "경사하강법이 발산했습니다 (NaN/inf). 손실이 합이 아닌 평균인지 확인하세요.",
                      "Gradient descent diverged (NaN/inf). Check that the loss is a mean, not a sum.")
    if err <= FIT_TOLERANCE:
        return passed(spec, f"여러분의 모델(초기 w, b, forward, loss)을 경사하강법으로 학습하니 숨겨진 w, b를 오차 {err:.4f} 이내로 복원했습니다.",
                      f"Gradient descent on your own model (its initial w and b, forward and loss) recovered the hidden w and b within {err:.4f}.")
    return failed(spec, f"여러분의 모델을 10 epoch 학습했지만 숨겨진 w, b와의 최대 오차가 {err:.3f}입니다 (허용 {FIT_TOLERANCE}). "
                  f"기대 w={_array_text(true_w)}, b={true_b:.3f}; 실제 w={_array_text(w)}, b={float(b[0]):.3f}.",
                  f"Ten epochs of gradient descent on your model left a max error of {err:.3f} (allowed {FIT_TOLERANCE}). "
                  f"Expected w={_array_text(true_w)}, b={true_b:.3f}; found w={_array_text(w)}, b={float(b[0]):.3f}.")


def check_softmax(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: exp(X) / exp(X).sum(1 or -1, keepdim(s)=True), with or without the max
    subtracted, on (n, 10) float32 logits (what forward passes it). Overflow for logits
    near 100 is a no-deduction tip: the template's formula is the plain one."""
    probe = probed(ctx, spec, "softmax", "softmax")
    if isinstance(probe, CheckResult):
        return probe
    X = _t(ctx.hidden.inputs["sm_X"])
    expected = ref_softmax.softmax(X).numpy()
    found = probe.arrays.get("probs")
    if found is None or found.shape != expected.shape:
        shape = None if found is None else tuple(found.shape)
        return failed(spec, f"softmax 출력 모양이 {shape}입니다. 입력과 같은 {tuple(expected.shape)}이어야 합니다.",
                      f"softmax returned shape {shape}; it must keep the input's shape {tuple(expected.shape)}.")
    sums = found.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-4):
        return failed(spec, f"각 행의 합이 1이 아닙니다 (행 합: {_array_text(sums)}). 분모는 행(dim=1) 방향의 합이어야 합니다 (keepdims=True).",
                      f"Rows do not sum to 1 (row sums: {_array_text(sums)}). The denominator is the sum over each row (dim=1, keepdims=True).")
    if not _close(found, expected, atol=1e-5):
        return failed(spec, "행의 합은 1이지만 값이 exp(X)/Σexp(X)와 다릅니다.",
                      "Rows sum to 1 but the values differ from exp(X)/Σexp(X).")
    large = probe.arrays.get("large")
    note_ko = note_en = ""
    if large is not None and not np.all(np.isfinite(large)):
        note_ko = " 참고: 큰 로짓(약 100)에서는 exp가 넘쳐 NaN이 됩니다. 각 행의 최댓값을 빼면 안정적입니다 (감점 없음)."
        note_en = " Note: for large logits (about 100) exp overflows to NaN; subtracting each row's max makes it stable (no deduction)."
    return passed(spec, "softmax가 기준 구현과 일치하고 각 행의 합이 1입니다." + note_ko,
                  "softmax matches the reference and every row sums to 1." + note_en)


def check_softmax_params(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: W (784, 10) and b (10,) as the template creates them, or b (1, 10) as the
    slides draw it (bias 1 × q); both requiring grad. The tensors are taken from the model's
    parameters() list (given in the template), so a consistently renamed `self.w` counts."""
    probe = probed(ctx, spec, "softmax_params", "SoftmaxRegressionScratch(784, 10, lr=0.1)")
    if isinstance(probe, CheckResult):
        return probe
    W, b = probe.values.get("W", {}), probe.values.get("b", {})
    issues_ko, issues_en = [], []
    for name, info, shapes in (("W", W, ([784, 10],)), ("b", b, ([10], [1, 10]))):
        if info.get("type") != "Tensor":
            issues_ko.append(f"{name}가 텐서가 아닙니다")
            issues_en.append(f"{name} is not a tensor")
            continue
        shape = list(shapes[0])
        if info.get("shape") not in shapes:
            issues_ko.append(f"{name}의 모양이 {tuple(info.get('shape'))}입니다 (기대 {tuple(shape)})")
            issues_en.append(f"{name} has shape {tuple(info.get('shape'))} (expected {tuple(shape)})")
        if not info.get("requires_grad"):
            issues_ko.append(f"{name}.requires_grad가 False입니다")
            issues_en.append(f"{name}.requires_grad is False")
    if issues_en:
        return failed(spec, "SoftmaxRegressionScratch(784, 10): " + "; ".join(issues_ko) + ".",
                      "SoftmaxRegressionScratch(784, 10): " + "; ".join(issues_en) + ".")
    b_shape = tuple(b.get("shape", ()))
    return passed(spec, f"W는 (784, 10), b는 {b_shape}이고 둘 다 requires_grad=True입니다.",
                  f"W is (784, 10), b is {b_shape}, and both require grad.")


def check_softmax_forward(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: any flattening that turns d2l's (n, 1, 28, 28) images into (n, 784), e.g.
    X.reshape((-1, self.W.shape[0])), (-1, self.num_inputs), (X.shape[0], -1), a hard-coded
    784; then softmax(X @ W + b). A wrong softmax is charged in the softmax check only."""
    probe = probed(ctx, spec, "softmax_forward", "SoftmaxRegressionScratch.forward")
    if isinstance(probe, CheckResult):
        return probe
    inp = ctx.hidden.inputs
    expected = ref_softmax.forward(_t(inp["smr_X"]), _t(inp["smr_W"]), _t(inp["smr_b"])).numpy()
    found = probe.arrays.get("forward")
    n = inp["smr_X"].shape[0]
    if found is None or found.shape != expected.shape:
        shape = None if found is None else tuple(found.shape)
        return failed(spec, f"(n,1,28,28) 이미지 {n}장에 대해 출력 모양이 {shape}입니다. X를 (n, 784)로 펼쳐 ({n}, 10) 확률을 반환해야 합니다.",
                      f"For {n} images of shape (1, 28, 28) forward returned {shape}; it must flatten X to (n, 784) and return ({n}, 10) probabilities.")
    if _close(found, expected, atol=1e-5):
        return passed(spec, f"forward가 이미지를 (n, 784)로 펼치고 ({n}, 10) 확률을 기준 구현과 같게 반환합니다.",
                      f"forward flattens images to (n, 784) and returns ({n}, 10) probabilities matching the reference.")
    isolated = probe.arrays.get("forward_ref_softmax")
    if isolated is not None and _close(isolated, expected, atol=1e-5):
        return passed(spec, "forward 자체는 맞습니다: 올바른 softmax로 바꾸면 기준과 같습니다. 차이는 softmax 때문이며 softmax 항목에서만 감점됩니다.",
                      "forward itself is right: with a correct softmax it matches the reference. The difference comes from softmax "
                      "and is only counted in the softmax check.")
    return failed(spec, "출력 모양은 맞지만 softmax(X@W + b)와 값이 다릅니다. X@W + b 계산(행렬곱 순서, 편향)을 확인하세요.",
                  "The shape is right but the values differ from softmax(X@W + b). Check X@W + b (the matmul order, the bias).")


def check_cross_entropy(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Accepted: the batch mean of −log ŷ[i, yᵢ] (the d2l answer; any indexing form), or the
    per-example values −log ŷ[i, yᵢ] (the slides' L for one example) when the model's loss
    then takes their mean, so the trainer gets a scalar. Per-example values with no mean
    anywhere break trainer.fit (backward needs a scalar): half the points."""
    probe = probed(ctx, spec, "cross_entropy", "cross_entropy")
    if isinstance(probe, CheckResult):
        return probe
    y_hat, y = _t(ctx.hidden.inputs["ce_yhat"]), torch.as_tensor(ctx.hidden.inputs["ce_y"])
    expected = float(ref_softmax.cross_entropy(y_hat, y))
    per_example = -torch.log(y_hat[torch.arange(len(y)), y.long()]).numpy()
    arr = probe.arrays.get("loss")
    if arr is None:
        return failed(spec, "cross_entropy가 값을 반환하지 않았습니다.", "cross_entropy returned nothing.")
    if arr.shape == per_example.shape and _close(arr, per_example):
        model_loss = probe.arrays.get("model_loss")
        if model_loss is not None and model_loss.size == 1 and _same(float(model_loss.reshape(-1)[0]), expected):
            return passed(spec, f"cross_entropy가 예제별 −log ŷ[i, yᵢ]를 정확히 계산하고, 모델의 loss가 그 평균({expected:.5f})을 반환합니다.",
                          f"cross_entropy computes the per-example −log ŷ[i, yᵢ] exactly and the model's loss returns their mean ({expected:.5f}).")
        return failed(spec, f"예제별 값 −log ŷ[i, yᵢ]는 맞지만 평균이 없습니다: cross_entropy도 모델의 loss도 스칼라를 반환하지 않아 "
                      f"trainer.fit의 backward가 실패합니다. .mean()을 붙이세요 (기대 평균 {expected:.5f}).",
                      f"The per-example values −log ŷ[i, yᵢ] are right but no mean is taken: neither cross_entropy nor the model's "
                      f"loss returns a scalar, so backward in trainer.fit fails. Add .mean() (expected mean {expected:.5f}).",
                      points=spec.points / 2)
    if arr.size != 1:
        return failed(spec, f"cross_entropy는 스칼라(평균)를 반환해야 합니다. 실제 모양: {tuple(arr.shape)}. .mean()을 잊지 마세요.",
                      f"cross_entropy must return a scalar (the mean); found shape {tuple(arr.shape)}. Don't forget .mean().")
    found = float(arr.reshape(-1)[0])
    if _same(found, expected):
        return passed(spec, f"cross_entropy가 기준값 {expected:.5f}와 일치합니다.", f"cross_entropy matches the reference {expected:.5f}.")
    if _same(found, -expected):
        return failed(spec, f"부호가 반대입니다: 기대값 {expected:.5f}, 실제 {found:.5f}. −log를 쓰세요.",
                      f"The sign is flipped: expected {expected:.5f}, found {found:.5f}. Use −log.")
    if _same(found, len(y) * expected):
        return failed(spec, f"평균 대신 합입니다: 기대값 {expected:.5f}, 실제 {found:.5f}.",
                      f"A sum instead of a mean: expected {expected:.5f}, found {found:.5f}.")
    return failed(spec, f"cross_entropy가 다릅니다: 기대값 mean(−log ŷ[i, yᵢ]) = {expected:.5f}, 실제 {found:.5f}.",
                  f"cross_entropy differs: expected mean(−log ŷ[i, yᵢ]) = {expected:.5f}, found {found:.5f}.")


def check_fashion_training(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """The student's SoftmaxRegressionScratch, re-trained in the probe process as the notebook's
    FashionMNIST cell sets it up (num_inputs 784 or 28*28, num_outputs 10, the notebook's lr,
    batch size and epochs up to 10) with d2l's Trainer on the stand-in: its training loss must
    go down and it must classify hidden images (never visible to any sandbox) above 50 %.
    Re-training, rather than reading the notebook's trained model, keeps the kernel's state out
    of grading; whether the notebook's own training cell ran is `notebook_runs`' business."""
    probe = probed(ctx, spec, "training", "SoftmaxRegressionScratch + d2l.Trainer (FashionMNIST)")
    if isinstance(probe, CheckResult):
        return probe
    v = probe.values
    issues_ko, issues_en = [], []
    if not v.get("from_notebook"):
        issues_ko.append("FashionMNIST 셀의 SoftmaxRegressionScratch(num_inputs=…, num_outputs=…, lr=…)에 상수 값이 없습니다 "
                         "(빈칸을 숫자로 채우세요; 784, 10, 0.1로 다시 학습했습니다)")
        issues_en.append("the FashionMNIST cell's SoftmaxRegressionScratch(num_inputs=…, num_outputs=…, lr=…) has no constant "
                         "values (fill the blanks with numbers; re-trained with 784, 10, 0.1)")
    elif v.get("num_inputs") != 784 or v.get("num_outputs") != 10:
        issues_ko.append(f"num_inputs={_num(v.get('num_inputs'))}, num_outputs={_num(v.get('num_outputs'))} (기대 784, 10)")
        issues_en.append(f"num_inputs={_num(v.get('num_inputs'))}, num_outputs={_num(v.get('num_outputs'))} (expected 784, 10)")
    losses = probe.arrays.get("train_loss", np.zeros(0))
    finite = losses[np.isfinite(losses)]
    # a real decrease, not the noise of averaging different batches (lr=0 still wiggles by ~0.1%)
    went_down = len(finite) >= 2 and finite[0] - finite[-1] > 0.05 * abs(finite[0])
    if not went_down:
        issues_ko.append("학습 손실이 줄어들지 않았습니다" + ("" if len(losses) else " (기록된 손실 없음)"))
        issues_en.append("the training loss did not go down" + ("" if len(losses) else " (no losses recorded)"))
    scores, truth = probe.arrays.get("scores"), ctx.hidden.answers.get("train_y")
    acc = None
    if scores is not None and truth is not None and scores.ndim == 2 and scores.shape[0] == len(truth):
        acc = float((scores.argmax(axis=1) == truth).mean())
    loss_text = f"{finite[0]:.3f} → {finite[-1]:.3f}" if len(finite) >= 2 else "-"
    acc_text = "-" if acc is None else f"{acc:.1%}"
    if acc is None:
        issues_ko.append("숨겨진 검증 이미지에 대해 (n, 10) 점수를 얻지 못했습니다")
        issues_en.append("no (n, 10) class scores for the hidden validation images")
    elif acc < MIN_ACCURACY:
        issues_ko.append(f"숨겨진 검증 이미지 정확도가 {acc_text}로 기준 {MIN_ACCURACY:.0%}보다 낮습니다 (10개 클래스의 우연 수준은 10%)")
        issues_en.append(f"accuracy on hidden validation images is {acc_text}, below {MIN_ACCURACY:.0%} (chance is 10% for 10 classes)")
    setting = f"lr={_num(v.get('lr'))}, batch_size={v.get('batch_size')}, epochs={v.get('epochs')}"
    if issues_en:
        return failed(spec, "; ".join(issues_ko) + f". (다시 학습: {setting}; 손실 {loss_text}, 검증 정확도 {acc_text})",
                      "; ".join(issues_en) + f". (re-trained: {setting}; loss {loss_text}, validation accuracy {acc_text})")
    return passed(spec, f"여러분의 784 → 10 모델을 노트북 설정({setting})으로 다시 학습했습니다: 손실 {loss_text}, 숨겨진 검증 이미지 정확도 {acc_text}.",
                  f"Your 784 → 10 model, re-trained with the notebook's setting ({setting}): loss {loss_text}, accuracy on hidden validation images {acc_text}.")


def _num(value: object) -> str:
    return "?" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


CHECKS = {
    "notebook_runs": notebook_runs_check,
    "linreg_requires_grad": check_linreg_requires_grad,
    "linreg_forward": check_linreg_forward,
    "squared_loss": check_squared_loss,
    "gradient_descent_fit": check_gradient_descent_fit,
    "softmax": check_softmax,
    "softmax_params": check_softmax_params,
    "softmax_forward": check_softmax_forward,
    "cross_entropy": check_cross_entropy,
    "fashion_training": check_fashion_training,
}


def rerun_playground(config: dict) -> Message | None:
    """Re-run a configuration read off a screenshot with the reference Playground port.

    A leader-only diagnostic (``CheckResult.diagnostics``), never part of the student's
    message: the student's data and initial weights cannot be reproduced.  Measured on the 26
    real screenshots of 2025-fall/2026-summer: the whole setting was read on 21; "reaches test
    loss ≤ 0.005 within 1000 epochs with one of the 3 seeds" agreed with the screenshot on 16
    of them (76 %), and a single seed on 30 of 63 runs (48 %) — e.g. screenshots at 0.004 whose
    re-runs stall at 0.25.  Too unreliable to tell a student anything.
    """
    return _rerun(json.dumps(config, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _rerun(config_json: str) -> Message | None:
    config = json.loads(config_json)
    from .playground import simulator as playground
    from .playground.reader import config_complete

    if not config_complete(config):
        return None  # the screenshot does not reveal the whole setting: nothing faithful to re-run
    fields = set(playground.PlaygroundConfig.__dataclass_fields__)
    values = {k: v for k, v in config.items() if k in fields}
    values["network_shape"] = tuple(int(n) for n in config["neurons"])
    values["features"] = tuple(config["features"])
    try:
        cfg = playground.PlaygroundConfig(**values)
    except (TypeError, ValueError):
        return None
    reached: list[str] = []
    best = float("inf")
    for seed in RERUN_SEEDS:
        run = playground.train(cfg, epochs=1000, seed=seed, stop_at_test_loss=0.005)
        epoch = run.reached(0.005, 1000)
        reached.append("-" if epoch is None else str(epoch))
        best = min([best, *run.test_loss])
    seeds = ", ".join(f"seed {s}: {r}" for s, r in zip(RERUN_SEEDS, reached))
    return Message(f"[세션장용] 읽은 설정을 기준 구현으로 재실행(데이터·초기값 재현 불가, 실제 스크린샷과 21번 중 16번 일치): "
                   f"test loss ≤ 0.005 도달 epoch {seeds}; 최소 test loss {best:.4f}.",
                   f"[leaders only] re-run of the read setting with the reference port (the student's data and "
                   f"initial weights are not reproducible; agreed with real screenshots 16 of 21 times): epoch "
                   f"reaching test loss ≤ 0.005 {seeds}; best test loss {best:.4f}.")


def check_playground(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Every screenshot of the submission is read (one OCR per distinct image, `_read_screenshot`);
    one on an allowed dataset within the limits passes.  The re-run note is leader-only."""
    from .playground.reader import ALLOWED_DATASETS, playground_check

    cfg = ctx.pack.raw.get("playground", {})
    paths, names = _playground_screenshots(ctx.intake)
    rerun = rerun_playground if cfg.get("rerun_diagnostic", False) else None  # opt-in: seconds per screenshot
    return playground_check(paths, spec.points, float(cfg.get("max_test_loss", 0.005)),
                            int(cfg.get("max_epochs", 1000)), spec.id, rerun=rerun, names=names,
                            datasets=tuple(cfg.get("datasets", ALLOWED_DATASETS)),
                            reader=functools.partial(_read_screenshot, ctx.memo))


def _playground_screenshots(intake) -> tuple[list[Path], list[str]]:
    """All usable images of the submission (the "screenshot" role's candidates) and their names in the zip."""
    pairs = [(p, n) for p, n in intake.candidates("screenshot") if p.is_file()]
    first = intake.artifact("screenshot")
    if not pairs and first is not None and first.is_file():
        pairs = [(first, intake.extra.get("screenshot_source") or first.name)]
    return [p for p, _ in pairs], [n for _, n in pairs]


def _read_screenshot(memo: Memo, path: Path):
    """``read_playground`` once per distinct image (by content): within the run, and across runs
    when the memo keeps a folder (the key is the image's sha256, the kind names the reader's
    version). A reading cut short (time limit on a busy machine, the reader not starting) is
    not kept: the next run reads the image again."""
    from .playground.reader import read_playground, reader_version, reading_from_json, reading_to_json

    kind = f"playground-reading-{reader_version()}"
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    kept = memo.get(kind, digest)
    if kept is not None:
        try:
            return reading_from_json(kept)
        except TypeError:  # not a reading this reader writes: read the image again
            pass
    reading = read_playground(Path(path))
    if not reading.timed_out and not any(p.startswith("OCR failed") for p in reading.problems):
        memo.put(kind, digest, reading_to_json(reading))
    return reading


CHECKS["playground"] = check_playground
