"""Reference optimizers (our own): each keeps its state across update() calls and updates the
parameter arrays of `params` in place, as the template's training loop expects."""

from __future__ import annotations

import numpy as np

EPS = 1e-7


class SGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    """v ← αv − η∇; θ ← θ + v (v starts at 0)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: dict[str, np.ndarray] | None = None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.v is None:
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class AdaGrad:
    """h ← h + ∇²; θ ← θ − η∇ / (√h + ε) (h starts at 0)."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: dict[str, np.ndarray] | None = None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.h is None:
            self.h = {k: np.zeros_like(p) for k, p in params.items()}
        for key in params:
            self.h[key] += grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + EPS)


def run_steps(optimizer, params: dict[str, np.ndarray], grad_seq: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Apply one optimizer to a copy of params for each gradient in turn; the params after each step."""
    current = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out = []
    for grads in grad_seq:
        optimizer.update(current, grads)
        out.append({k: v.copy() for k, v in current.items()})
    return out
