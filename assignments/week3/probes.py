"""Week-3 probes: run in the probe process (its own sandbox, never the notebook's kernel),
each in a fresh fork holding only the notebook's definitions.

Each probe calls the student's NumPy classes and functions on hidden inputs shaped the way
the class's pipeline shapes them (float64 arrays (batch, features); one-hot targets (batch,
classes) as the template's MNIST cell makes them, and integer labels, which the template's
given code also handles) and returns plain values and arrays. Inputs are copied before each
call: the template's Relu.backward writes into dout, and a student's layer may keep a
reference to what it is given. Nothing here judges: checks.py compares in the grader.
"""

import numpy as np


def _arr(value):
    """A float64 copy of what the student returned (a scalar becomes a 0-d array)."""
    return np.array(value, dtype=np.float64)


def _onehot(labels, classes):
    return np.eye(classes)[labels.astype(np.int64)]


def probe_affine(ns, inputs, params):
    layer = ns["Affine"](inputs["aff_W"].copy(), inputs["aff_b"].copy())
    out = {"out": _arr(layer.forward(inputs["aff_x"].copy()))}
    out["dx"] = _arr(layer.backward(inputs["aff_dout"].copy()))
    for name in ("dW", "db"):
        value = getattr(layer, name, None)
        if value is not None:
            out[name] = _arr(value)
    return out


def probe_relu(ns, inputs, params):
    layer = ns["Relu"]()
    return {"out": _arr(layer.forward(inputs["relu_x"].copy())),
            "dx": _arr(layer.backward(inputs["relu_dout"].copy()))}


def probe_softmax(ns, inputs, params):
    """(batch, classes) logits as the network gives them; large logits (stability); and one
    1-D vector, a robustness probe that never costs points."""
    fn = ns["softmax"]
    out = {"probs": _arr(fn(inputs["sm_x"].copy()))}
    with np.errstate(all="ignore"):
        out["large"] = _arr(fn(inputs["sm_large"].copy()))
        try:
            out["vector"] = _arr(fn(inputs["sm_vec"].copy()))
        except Exception as exc:  # noqa: BLE001 - only a tip depends on it
            out["vector_error"] = (type(exc).__name__ + ": " + str(exc))[:200]
    return out


def probe_cross_entropy(ns, inputs, params):
    """The mean cross-entropy of hidden probabilities, with one-hot targets (the template's
    pipeline) and with integer labels (which the template's given code also handles)."""
    fn = ns["cross_entropy_error"]
    y, labels = inputs["ce_y"], inputs["ce_labels"]
    out = {"onehot": _arr(fn(y.copy(), _onehot(labels, y.shape[1])))}
    try:
        out["labels"] = _arr(fn(y.copy(), labels.copy()))
    except Exception as exc:  # noqa: BLE001 - reported by the check
        out["labels_error"] = (type(exc).__name__ + ": " + str(exc))[:200]
    return out


def _reference_softmax(x):
    """Row-wise softmax, to isolate a layer from the student's own softmax."""
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _reference_cross_entropy(y, t):
    if y.ndim == 1:
        y, t = y.reshape(1, -1), np.asarray(t).reshape(1, -1)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.mean(np.log(y[np.arange(y.shape[0]), t.astype(np.int64)] + 1e-7))


class _ReferenceHelpers:
    """softmax and cross_entropy_error swapped for correct ones while a probe runs (each
    probe runs in its own fork, so nothing outlives it)."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        self.saved = {k: self.ns.get(k) for k in ("softmax", "cross_entropy_error")}
        self.ns["softmax"], self.ns["cross_entropy_error"] = _reference_softmax, _reference_cross_entropy
        return self

    def __exit__(self, *exc):
        self.ns.update(self.saved)
        return False


def _swl(ns, x, t):
    layer = ns["SoftmaxWithLoss"]()
    loss = layer.forward(x.copy(), t.copy())
    return _arr(loss), _arr(layer.backward(1))


def probe_softmax_with_loss(ns, inputs, params):
    x, labels = inputs["swl_x"], inputs["swl_labels"]
    loss, dx = _swl(ns, x, _onehot(labels, x.shape[1]))
    out = {"loss_onehot": loss, "dx_onehot": dx}
    try:
        out["loss_labels"], out["dx_labels"] = _swl(ns, x, labels)
    except Exception as exc:  # noqa: BLE001 - reported by the check
        out["labels_error"] = (type(exc).__name__ + ": " + str(exc))[:200]
    try:  # with a correct softmax: a softmax mistake is charged in `softmax` only
        with _ReferenceHelpers(ns):
            out["ref_loss_onehot"], out["ref_dx_onehot"] = _swl(ns, x, _onehot(labels, x.shape[1]))
    except Exception:  # noqa: BLE001 - only used to explain a mismatch
        pass
    return out


def _optimizer_steps(cls, kwargs, inputs, steps):
    """Several update() calls of one optimizer object on hidden parameters (state kept)."""
    optimizer = cls(**kwargs)
    params = {"W": inputs["opt_W"].copy(), "b": inputs["opt_b"].copy()}
    out = {}
    for i in range(steps):
        grads = {"W": inputs[f"opt_gW{i}"].copy(), "b": inputs[f"opt_gb{i}"].copy()}
        optimizer.update(params, grads)
        out[f"W{i}"], out[f"b{i}"] = _arr(params["W"]), _arr(params["b"])
    return out


def probe_sgd(ns, inputs, params):
    return _optimizer_steps(ns["SGD"], {"lr": params["lr"]}, inputs, params["steps"])


def probe_momentum(ns, inputs, params):
    return _optimizer_steps(ns["Momentum"], {"lr": params["lr"], "momentum": params["momentum"]}, inputs, params["steps"])


def probe_adagrad(ns, inputs, params):
    return _optimizer_steps(ns["AdaGrad"], {"lr": params["lr"]}, inputs, params["steps"])


def probe_network(ns, inputs, params):
    """TwoLayerNet as the training cell builds it (keyword sizes), with hidden weights copied
    into its own params arrays (which its layers share): the loss, the backpropagated
    gradients, and central-difference gradients of the student's own loss. softmax and
    cross_entropy_error are swapped for correct ones (they have their own checks): this probes
    the layers, SoftmaxWithLoss and gradient()."""
    with _ReferenceHelpers(ns):
        return _network(ns, inputs, params)


def _network(ns, inputs, params):
    sizes = {"input_size": int(params["net_sizes"][0]), "hidden_size": int(params["net_sizes"][1]),
             "output_size": int(params["net_sizes"][2])}
    net = ns["TwoLayerNet"](**sizes)
    replaced = []
    for key in ("W1", "b1", "W2", "b2"):
        value = inputs[f"net_{key}"]
        current = net.params.get(key) if isinstance(getattr(net, "params", None), dict) else None
        if isinstance(current, np.ndarray) and current.shape == value.shape and current.dtype.kind == "f":
            current[...] = value
        else:
            net.params[key] = value.copy()
            replaced.append(key)
    x = inputs["net_x"]
    t = _onehot(inputs["net_labels"], sizes["output_size"])
    out = {"loss": _arr(net.loss(x.copy(), t.copy())), "replaced": replaced}
    grads = net.gradient(x.copy(), t.copy())
    for key in ("W1", "b1", "W2", "b2"):
        if key in grads:
            out[f"grad_{key}"] = _arr(grads[key])
    h = float(params["numerical_h"])
    for key in ("W1", "b1", "W2", "b2"):
        p = net.params[key]
        num = np.zeros(p.shape)
        for i in np.ndindex(p.shape):
            keep = float(p[i])
            p[i] = keep + h
            up = float(net.loss(x.copy(), t.copy()))
            p[i] = keep - h
            down = float(net.loss(x.copy(), t.copy()))
            p[i] = keep
            num[i] = (up - down) / (2 * h)
        out[f"num_{key}"] = num
    return out


PROBES = {
    "affine": probe_affine,
    "relu": probe_relu,
    "softmax": probe_softmax,
    "cross_entropy": probe_cross_entropy,
    "softmax_with_loss": probe_softmax_with_loss,
    "sgd": probe_sgd,
    "momentum": probe_momentum,
    "adagrad": probe_adagrad,
    "network": probe_network,
}
