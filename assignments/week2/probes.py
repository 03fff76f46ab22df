"""Week-2 probes: run INSIDE the student's sandboxed kernel after the notebook finished.

Each probe gets the student's namespace, the hidden inputs (numpy arrays drawn by the grader)
and parameters, calls the student's classes and functions, and returns plain values
(numbers, strings, booleans, numpy arrays). Nothing here judges: every comparison with the
reference solutions happens in the grader's process (checks.py).
"""

import numpy as np


def _np(t):
    """Tensor (or array-like) → float64 numpy array, without trusting the student's objects."""
    import torch

    if isinstance(t, torch.Tensor):
        return t.detach().cpu().to(torch.float64).numpy().copy()
    return np.asarray(t, dtype=np.float64)


def _param_info(t):
    import torch

    if not isinstance(t, torch.Tensor):
        return {"type": type(t).__name__}
    return {"shape": list(t.shape), "requires_grad": bool(t.requires_grad), "type": "Tensor"}


def probe_linreg_params(ns, inputs, params):
    model = ns["LinearRegressionScratch"](int(inputs["lin_X"].shape[1]), lr=0.03)
    return {"w": _param_info(getattr(model, "w", None)), "b": _param_info(getattr(model, "b", None))}


def _linreg_with_hidden_params(ns, inputs):
    """A student model whose w and b are replaced by the hidden ones."""
    import torch

    model = ns["LinearRegressionScratch"](int(inputs["lin_X"].shape[1]), lr=0.03)
    model.w = torch.tensor(inputs["lin_w"], dtype=torch.float32, requires_grad=True)
    model.b = torch.tensor(inputs["lin_b"], dtype=torch.float32, requires_grad=True)
    return model


def probe_linreg_forward(ns, inputs, params):
    import torch

    model = _linreg_with_hidden_params(ns, inputs)
    return {"forward": _np(model.forward(torch.tensor(inputs["lin_X"], dtype=torch.float32)))}


def probe_linreg_loss(ns, inputs, params):
    import torch

    model = _linreg_with_hidden_params(ns, inputs)
    y_hat = torch.tensor(inputs["loss_yhat"], dtype=torch.float32)
    y = torch.tensor(inputs["loss_y"], dtype=torch.float32)
    return {"loss": _np(model.loss(y_hat, y))}


def probe_linreg_fit(ns, inputs, params):
    """Minibatch SGD written here, using only the student's forward and loss."""
    import torch

    cls = ns["LinearRegressionScratch"]
    X = torch.tensor(inputs["fit_X"], dtype=torch.float32)
    y = torch.tensor(inputs["fit_y"], dtype=torch.float32)
    order = inputs["fit_order"].astype(np.int64)
    lr, batch = float(params["fit_lr"]), int(params["fit_batch"])
    model = cls(X.shape[1], lr=lr)
    w = torch.zeros((X.shape[1], 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    model.w, model.b = w, b
    losses = []
    for epoch_order in order:
        for start in range(0, len(epoch_order), batch):
            idx = torch.as_tensor(epoch_order[start : start + batch])
            loss = model.loss(model.forward(X[idx]), y[idx])
            if w.grad is not None:
                w.grad.zero_()
                b.grad.zero_()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
        with torch.no_grad():
            losses.append(float(model.loss(model.forward(X), y)))
    return {"w": _np(w).reshape(-1), "b": _np(b).reshape(-1), "losses": np.asarray(losses)}


def probe_softmax(ns, inputs, params):
    import torch

    fn = ns["softmax"]
    return {
        "probs": _np(fn(torch.tensor(inputs["sm_X"], dtype=torch.float32))),
        "large": _np(fn(torch.tensor(inputs["sm_X_large"], dtype=torch.float32))),
    }


def probe_softmax_params(ns, inputs, params):
    model = ns["SoftmaxRegressionScratch"](num_inputs=784, num_outputs=10, lr=0.1)
    return {"W": _param_info(getattr(model, "W", None)), "b": _param_info(getattr(model, "b", None))}


def probe_softmax_forward(ns, inputs, params):
    import torch

    model = ns["SoftmaxRegressionScratch"](num_inputs=784, num_outputs=10, lr=0.1)
    model.W = torch.tensor(inputs["smr_W"], dtype=torch.float32, requires_grad=True)
    model.b = torch.tensor(inputs["smr_b"], dtype=torch.float32, requires_grad=True)
    return {"forward": _np(model.forward(torch.tensor(inputs["smr_X"], dtype=torch.float32)))}


def probe_cross_entropy(ns, inputs, params):
    import torch

    fn = ns["cross_entropy"]
    y_hat = torch.tensor(inputs["ce_yhat"], dtype=torch.float32)
    y = torch.tensor(inputs["ce_y"], dtype=torch.int64)
    return {"loss": _np(fn(y_hat, y))}


def probe_training(ns, inputs, params):
    """The model the notebook's last training cell built and trained."""
    import torch

    model = ns.get("model")
    out = {"class": type(model).__name__}
    for attr in ("num_inputs", "num_outputs"):
        value = getattr(model, attr, None)
        out[attr] = int(value) if isinstance(value, (int, np.integer)) else None
    out["W"] = _param_info(getattr(model, "W", None))
    board = getattr(model, "board", None)
    data = getattr(board, "data", {}) or {}
    for label in ("train_loss", "val_loss", "val_acc"):
        points = data.get(label, [])
        out[label] = np.asarray([float(p.y) for p in points], dtype=np.float64)
    X = torch.tensor(inputs["train_X"], dtype=torch.float32)
    with torch.no_grad():
        probs = model.forward(X) if hasattr(model, "forward") else model(X)
    out["predictions"] = _np(probs).argmax(axis=1).astype(np.float64)
    return out


PROBES = {
    "linreg_params": probe_linreg_params,
    "linreg_forward": probe_linreg_forward,
    "linreg_loss": probe_linreg_loss,
    "linreg_fit": probe_linreg_fit,
    "softmax": probe_softmax,
    "softmax_params": probe_softmax_params,
    "softmax_forward": probe_softmax_forward,
    "cross_entropy": probe_cross_entropy,
    "training": probe_training,
}
