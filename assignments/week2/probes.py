"""Week-2 probes: run in the probe process (its own sandbox, never the notebook's kernel),
each in a fresh fork holding only the notebook's definitions.

Each probe gets that namespace, the hidden inputs (numpy arrays drawn by the grader) and
parameters (with `_calls`: the notebook's top-level `NAME = callee(constants)` lines), calls
the student's classes and functions, and returns plain values (numbers, strings, booleans,
numpy arrays). Nothing here judges: every comparison with the reference solutions happens in
the grader's process (checks.py).
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


def _load_into(param, value):
    """Copy hidden values into the student's own tensor (in place, so every reference to it,
    e.g. a parameters() list or a renamed attribute, sees them); a tensor of another size is
    replaced by a fresh one."""
    import torch

    new = torch.tensor(value, dtype=torch.float32)
    if isinstance(param, torch.Tensor) and param.numel() == new.numel() and param.is_floating_point():
        with torch.no_grad():
            param.copy_(new.reshape(param.shape))  # e.g. a bias kept as (1, q), as the slides draw it
        return param
    return new.requires_grad_(True)


def _linreg_with_hidden_params(ns, inputs):
    """The student's model with the hidden w and b loaded into its own w and b."""
    model = ns["LinearRegressionScratch"](int(inputs["lin_X"].shape[1]), lr=0.03)
    model.w = _load_into(getattr(model, "w", None), inputs["lin_w"])
    model.b = _load_into(getattr(model, "b", None), inputs["lin_b"])
    return model


def probe_linreg_forward(ns, inputs, params):
    import torch

    model = _linreg_with_hidden_params(ns, inputs)
    with torch.no_grad():
        return {"forward": _np(model.forward(torch.tensor(inputs["lin_X"], dtype=torch.float32)))}


def probe_linreg_loss(ns, inputs, params):
    """The loss on the shapes the class's pipeline produces (y like y_hat, (n, 1)), and, as a
    robustness probe that never costs points, on a flat y of shape (n,)."""
    import torch

    model = _linreg_with_hidden_params(ns, inputs)
    y_hat = torch.tensor(inputs["loss_yhat"], dtype=torch.float32)
    y = torch.tensor(inputs["loss_y"], dtype=torch.float32)
    with torch.no_grad():
        out = {"loss": _np(model.loss(y_hat, y))}
        try:
            out["loss_flat_y"] = _np(model.loss(y_hat, y.reshape(-1)))
        except Exception as exc:  # noqa: BLE001 - only a tip depends on it
            out["flat_y_error"] = (type(exc).__name__ + ": " + str(exc))[:200]
    return out


def probe_linreg_fit(ns, inputs, params):
    """Minibatch SGD on hidden data, training the student's own model as the notebook builds
    it: its w and b as initialised (requires_grad included), its forward and its loss; the
    update is the template's SGD step on [w, b] (what configure_optimizers hands to SGD)."""
    import torch

    cls = ns["LinearRegressionScratch"]
    X = torch.tensor(inputs["fit_X"], dtype=torch.float32)
    y = torch.tensor(inputs["fit_y"], dtype=torch.float32)
    order = inputs["fit_order"].astype(np.int64)
    lr, batch = float(params["fit_lr"]), int(params["fit_batch"])
    model = cls(X.shape[1], lr=lr)
    w, b = getattr(model, "w", None), getattr(model, "b", None)
    out = {"w_init": _param_info(w), "b_init": _param_info(b)}
    if not (isinstance(w, torch.Tensor) and isinstance(b, torch.Tensor)):
        return out
    frozen = [name for name, p in (("w", w), ("b", b)) if not p.requires_grad]
    if frozen:  # the template's SGD step would meet grad None: this model cannot learn
        out["no_grad"] = frozen
        return out
    losses = []
    for epoch_order in order:
        for start in range(0, len(epoch_order), batch):
            idx = torch.as_tensor(epoch_order[start : start + batch])
            loss = model.loss(model.forward(X[idx]), y[idx])
            for p in (w, b):
                if p.grad is not None:
                    p.grad.zero_()
            loss.backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= lr * p.grad
        with torch.no_grad():
            losses.append(float(model.loss(model.forward(X), y)))
    out.update({"w": _np(w).reshape(-1), "b": _np(b).reshape(-1), "losses": np.asarray(losses)})
    return out


def probe_softmax(ns, inputs, params):
    import torch

    fn = ns["softmax"]
    return {
        "probs": _np(fn(torch.tensor(inputs["sm_X"], dtype=torch.float32))),
        "large": _np(fn(torch.tensor(inputs["sm_X_large"], dtype=torch.float32))),
    }


def _softmax_model(ns):
    return ns["SoftmaxRegressionScratch"](num_inputs=784, num_outputs=10, lr=0.1)


def _weights_and_bias(model):
    """(weights, bias) as the model keeps them: the template's parameters() list [W, b] (so a
    consistently renamed `self.w` counts), else the attributes W/w and b."""
    import torch

    try:
        listed = list(model.parameters())
    except Exception:  # noqa: BLE001 - a broken parameters() is judged by the checks
        listed = []
    if len(listed) == 2 and all(isinstance(t, torch.Tensor) for t in listed):
        return listed[0], listed[1]
    weights = getattr(model, "W", None)
    if weights is None:
        weights = getattr(model, "w", None)
    return weights, getattr(model, "b", None)


def probe_softmax_params(ns, inputs, params):
    W, b = _weights_and_bias(_softmax_model(ns))
    return {"W": _param_info(W), "b": _param_info(b)}


def _reference_softmax(X):
    """Row-wise softmax, for isolating forward from the student's softmax."""
    X_exp = (X - X.max(dim=1, keepdim=True).values).exp()
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def probe_softmax_forward(ns, inputs, params):
    """forward on images shaped as d2l's FashionMNIST loader gives them ((n, 1, 28, 28),
    float32), with hidden W and b loaded into the student's own tensors; once with the
    student's softmax and once with a correct one, so a softmax mistake is not charged twice."""
    import torch

    model = _softmax_model(ns)
    W, b = _weights_and_bias(model)
    W2, b2 = _load_into(W, inputs["smr_W"]), _load_into(b, inputs["smr_b"])
    if W2 is not W or b2 is not b:  # shapes differ from the template's: use attributes
        model.W, model.b = W2, b2
    X = torch.tensor(inputs["smr_X"], dtype=torch.float32)
    with torch.no_grad():
        out = {"forward": _np(model.forward(X))}
        own = ns.get("softmax")
        if own is not None:
            ns["softmax"] = _reference_softmax
            try:
                out["forward_ref_softmax"] = _np(model.forward(X))
            except Exception:  # noqa: BLE001 - only used to explain a mismatch
                pass
            finally:
                ns["softmax"] = own
    return out


def probe_cross_entropy(ns, inputs, params):
    """cross_entropy(y_hat, y), and the model's loss built on it (what the trainer uses)."""
    import torch

    fn = ns["cross_entropy"]
    y_hat = torch.tensor(inputs["ce_yhat"], dtype=torch.float32)
    y = torch.tensor(inputs["ce_y"], dtype=torch.int64)
    out = {"loss": _np(fn(y_hat, y))}
    try:
        out["model_loss"] = _np(_softmax_model(ns).loss(y_hat, y))
    except Exception as exc:  # noqa: BLE001 - reported by the check
        out["model_loss_error"] = (type(exc).__name__ + ": " + str(exc))[:200]
    return out


def _last_call(calls, callee_suffix):
    """The notebook's last top-level `NAME = ...callee(args)` with this callee (plain data)."""
    found = [c for c in calls.values() if str(c.get("callee", "")).split(".")[-1] == callee_suffix]
    return found[-1] if found else None


def _in_memory_loader(data):
    """d2l's FashionMNIST batches without its per-image transforms: on 28×28 images its
    Resize((28, 28)) + ToTensor() is exactly a float conversion /255, done once here; same
    batch size and shuffling, no worker processes."""
    import torch

    tensors = {}
    for train, split in ((True, data.train), (False, data.val)):
        X = split.data.to(torch.float32).unsqueeze(1) / 255.0
        tensors[train] = torch.utils.data.TensorDataset(X, split.targets)

    def get_dataloader(train):
        return torch.utils.data.DataLoader(tensors[train], data.batch_size, shuffle=train, num_workers=0)

    return get_dataloader


def probe_training(ns, inputs, params):
    """Train the student's SoftmaxRegressionScratch as the notebook's FashionMNIST cell sets
    it up (its constant num_inputs, num_outputs, lr, batch size and epochs), with d2l's
    Trainer and the student's fit_epoch, on the offline stand-in; then class scores of hidden
    images no sandbox can read (the grader computes the accuracy)."""
    import torch
    from d2l import torch as d2l

    calls = params.get("_calls", {})
    made = _last_call(calls, "SoftmaxRegressionScratch")
    args = list(made["args"]) if made else []
    kwargs = dict(made["kwargs"]) if made else {}
    constant = made is not None and None not in args and None not in kwargs.values()
    if not constant:
        args, kwargs = [], {"num_inputs": 784, "num_outputs": 10, "lr": 0.1}
    fit = _last_call(calls, "Trainer")
    epochs = (fit or {}).get("kwargs", {}).get("max_epochs") or ((fit or {}).get("args") or [10])[0] or 10
    loader = _last_call(calls, "FashionMNIST")
    batch = (loader or {}).get("kwargs", {}).get("batch_size") or 256
    epochs = int(min(max(1, int(epochs)), int(params["train_max_epochs"])))
    torch.manual_seed(0)
    model = ns["SoftmaxRegressionScratch"](*args, **kwargs)
    out = {"from_notebook": bool(constant), "epochs": epochs, "batch_size": int(batch)}
    for attr in ("num_inputs", "num_outputs", "lr"):
        value = getattr(model, attr, None)
        out[attr] = float(value) if isinstance(value, (int, float, np.integer, np.floating)) else None
    board = getattr(model, "board", None)
    if board is not None:
        board.display = False  # keep the points, draw nothing
    data = d2l.FashionMNIST(batch_size=int(batch))
    data.get_dataloader = _in_memory_loader(data)
    d2l.Trainer(max_epochs=epochs).fit(model, data)
    points = (getattr(board, "data", {}) or {}).get("train_loss", [])
    out["train_loss"] = np.asarray([float(p.y) for p in points], dtype=np.float64)
    X = torch.tensor(inputs["train_X"], dtype=torch.float32)
    with torch.no_grad():
        out["scores"] = _np(model(X))
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
