"""Reference PyTorch implementations for the linear-regression half of week 2."""

from __future__ import annotations

from dataclasses import dataclass

import torch


class LinearRegressionScratch:
    """y = X @ w + b with w of shape (num_inputs, 1) and b of shape (1,), both requiring grad."""

    def __init__(self, num_inputs: int, lr: float, sigma: float = 0.01, generator: torch.Generator | None = None):
        self.num_inputs, self.lr = num_inputs, lr
        self.w = (torch.randn((num_inputs, 1), generator=generator, dtype=torch.float64) * sigma).requires_grad_(True)
        self.b = torch.zeros(1, dtype=torch.float64, requires_grad=True)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return forward(X, self.w, self.b)

    def loss(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return squared_loss(y_hat, y)

    def parameters(self) -> list[torch.Tensor]:
        return [self.w, self.b]


def forward(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model's output, shape (n, 1)."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over examples of ½(ŷ − y)², y reshaped to ŷ's shape (the template's convention)."""
    return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean()


class SGD:
    """d2l's minibatch SGD: param ← param − lr · grad (gradients of the *mean* batch loss)."""

    def __init__(self, params: list[torch.Tensor], lr: float):
        self.params, self.lr = params, lr

    @torch.no_grad()
    def step(self) -> None:
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self) -> None:
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


@dataclass(frozen=True)
class Fit:
    w: torch.Tensor
    b: torch.Tensor
    losses: list[float]


def fit_by_gradient_descent(
    X: torch.Tensor, y: torch.Tensor, lr: float = 0.03, epochs: int = 5, batch_size: int = 32, seed: int = 0
) -> Fit:
    """Fit the reference model by minibatch SGD, visiting batches in a seeded random order."""
    gen = torch.Generator().manual_seed(seed)
    model = LinearRegressionScratch(X.shape[1], lr, generator=gen)
    opt = SGD(model.parameters(), lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            loss = model.loss(model.forward(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            losses.append(float(model.loss(model.forward(X), y)))
    return Fit(model.w.detach().reshape(-1), model.b.detach().reshape(-1), losses)


def synthetic_regression(w: torch.Tensor, b: float, n: int, noise: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """d2l's SyntheticRegressionData: X ~ N(0, 1), y = X w + b + N(0, noise²), y of shape (n, 1)."""
    X = torch.randn((n, len(w)), generator=generator, dtype=torch.float64)
    y = X @ w.reshape(-1, 1).to(torch.float64) + b + noise * torch.randn((n, 1), generator=generator, dtype=torch.float64)
    return X, y
