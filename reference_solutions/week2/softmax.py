"""Reference PyTorch implementations for the softmax-regression half of week 2."""

from __future__ import annotations

import torch


def softmax(X: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax exp(X_ij) / Σ_k exp(X_ik), computed stably (max subtracted first)."""
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def naive_softmax(X: torch.Tensor) -> torch.Tensor:
    """The formula as written (what the template asks): overflows for large logits."""
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


class SoftmaxRegressionScratch:
    """Softmax regression with W of shape (num_inputs, num_outputs) and b of shape (num_outputs,)."""

    def __init__(self, num_inputs: int, num_outputs: int, lr: float, sigma: float = 0.01, generator: torch.Generator | None = None):
        self.num_inputs, self.num_outputs, self.lr = num_inputs, num_outputs, lr
        self.W = (torch.randn((num_inputs, num_outputs), generator=generator, dtype=torch.float64) * sigma).requires_grad_(True)
        self.b = torch.zeros(num_outputs, dtype=torch.float64, requires_grad=True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.W, self.b]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return forward(X, self.W, self.b)

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return cross_entropy(y_hat, y)


def forward(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Flatten images (n, 1, 28, 28) → (n, num_inputs), then class probabilities (n, num_outputs)."""
    X = X.reshape((-1, W.shape[0]))
    return softmax(torch.matmul(X, W) + b)


def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over examples of −log ŷ[i, y_i] (y_hat holds probabilities)."""
    return -torch.log(y_hat[torch.arange(len(y_hat)), y.long()]).mean()
