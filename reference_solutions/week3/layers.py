"""Reference NumPy layers of the week-3 two-layer network (our own implementation).

Shapes follow the class's pipeline: inputs (batch, features) float, targets either one-hot
(batch, classes) as the template's MNIST cell makes them, or integer labels (batch,).
"""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis, shifted by the row maximum (stable for large inputs)."""
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def labels_of(t: np.ndarray, classes: int) -> np.ndarray:
    """Integer labels from one-hot (batch, classes) or label (batch,) targets."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] == classes:
        return t.argmax(axis=1)
    return t.reshape(-1).astype(np.int64)


def cross_entropy_error(y: np.ndarray, t: np.ndarray, eps: float = 1e-7) -> float:
    """Batch mean of −log y[i, tᵢ] (y: probabilities; t: one-hot or labels); a 1-D y is one example."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = np.asarray(t).reshape(1, -1) if np.asarray(t).size == y.size else np.asarray(t).reshape(1)
    idx = labels_of(t, y.shape[1])
    return float(-np.mean(np.log(y[np.arange(len(idx)), idx] + eps)))


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1) @ W + b


def affine_backward(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx with x's shape, dW, db) for out = x·W + b."""
    flat = x.reshape(x.shape[0], -1)
    return (dout @ W.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def relu_forward(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 0.0)


def relu_backward(x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """dout where the input was positive, 0 elsewhere (inputs are never exactly 0 in our probes)."""
    return np.where(x > 0, dout, 0.0)


def softmax_with_loss_backward(logits: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d(mean cross-entropy of softmax(logits))/d logits = (y − onehot(t)) / batch."""
    y = softmax(logits)
    onehot = np.zeros_like(y)
    onehot[np.arange(len(y)), labels_of(t, y.shape[1])] = 1.0
    return (y - onehot) / len(y)


def two_layer_loss(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> float:
    """Loss of the template's network: Affine → Relu → Affine → SoftmaxWithLoss."""
    h = relu_forward(affine_forward(x, params["W1"], params["b1"]))
    return cross_entropy_error(softmax(affine_forward(h, params["W2"], params["b2"])), t)


def two_layer_gradient(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagated gradients of two_layer_loss (the reference for TwoLayerNet.gradient)."""
    a1 = affine_forward(x, params["W1"], params["b1"])
    h = relu_forward(a1)
    logits = affine_forward(h, params["W2"], params["b2"])
    d_logits = softmax_with_loss_backward(logits, t)
    dh, dW2, db2 = affine_backward(h, params["W2"], d_logits)
    _, dW1, db1 = affine_backward(x, params["W1"], relu_backward(a1, dh))
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
