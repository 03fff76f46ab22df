"""Week-3 notebook variants built from our reference notebook: one per bug class, and answers
written the other ways real students write them (which must score full marks).

Each variant is a list of (old, new) source replacements (each `old` must occur in exactly
one cell) with the checks it is expected not to pass (besides naming, artifacts and the
task-1 image, which depend on the files around the notebook).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.notebook_variants import Variant, apply_variant

HERE = Path(__file__).resolve().parent


BUGS: dict[str, Variant] = {
    "correct": Variant(),
    # the bias forgotten: forward is wrong, and the network's gradients with it
    "affine_no_bias": Variant((("out = np.dot(x, self.W) + self.b", "out = np.dot(x, self.W)"),),
                              fails=("affine", "network_gradient")),
    "affine_db_mean": Variant((("self.db = np.sum(dout, axis=0)", "self.db = np.mean(dout, axis=0)"),),
                              fails=("affine", "network_gradient")),
    "relu_no_backward_mask": Variant((("dout[self.mask] = 0", "dout[self.mask] = dout[self.mask]"),),
                                     fails=("relu", "network_gradient")),
    # the template's max-shift removed: right on ordinary logits, NaN on large ones (half)
    "softmax_unstable": Variant((("    x = x - np.max(x, axis=-1, keepdims=True)  # keeps exp from overflowing\n", ""),),
                                fails=("softmax",)),
    "softmax_axis0": Variant((("np.sum(np.exp(x), axis=-1, keepdims=True)", "np.sum(np.exp(x), axis=0, keepdims=True)"),),
                             fails=("softmax", "notebook_runs")),  # run_basic_checks() asserts rows sum to 1;
    # charged once otherwise: the layers and the network are probed with a correct softmax
    # the log forgotten (a real 2026 submission): the backward pass stays right
    "ce_no_log": Variant((("-np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size",
                           "-np.sum(y[np.arange(batch_size), t] + 1e-7) / batch_size"),),
                         fails=("cross_entropy",)),
    "swl_no_batch_division": Variant((("dx = (self.y - self.t) / batch_size", "dx = self.y - self.t"),),
                                     fails=("softmax_with_loss", "network_gradient")),
    "sgd_ascent": Variant((("params[key] -= self.lr * grads[key]", "params[key] += self.lr * grads[key]"),),
                          fails=("sgd",)),
    "momentum_sign": Variant((("self.momentum * self.v[key] - self.lr * grads[key]",
                               "self.momentum * self.v[key] + self.lr * grads[key]"),), fails=("momentum",)),
    "adagrad_no_square": Variant((("self.h[key] += grads[key] * grads[key]", "self.h[key] += grads[key]"),),
                                 fails=("adagrad",)),
}

_RELU = next(c.source for c in nbformat.read(HERE / "reference.ipynb", as_version=4).cells
             if c.source.startswith("class Relu"))

# Right for the class's template, written the ways real students write them: full marks.
ACCEPTED: dict[str, Variant] = {
    "variant_forms": Variant((
        # a cell indented as a whole (IPython dedents it), with an import inside a class body
        (_RELU, textwrap.indent(_RELU.replace("    def __init__", "    import numpy as np\n\n    def __init__", 1), "    ")),
        ("np.sum(np.exp(x), axis=-1, keepdims=True)", "np.sum(np.exp(x), axis=1, keepdims=True)"),  # 2-D input
        ("self.mask = (x <= 0)", "self.mask = (x < 0)"),  # the inputs are never exactly 0
        ("self.h[key] += grads[key] * grads[key]", "self.h[key] += grads[key] ** 2"),
        ("params[key] -= self.lr * grads[key]", "params[key] -= grads[key] * self.lr"),
        ("dx = (self.y - self.t) / batch_size", "dx = (self.y - self.t) * dout / batch_size"),
    )),
}


def reference() -> NotebookNode:
    return nbformat.read(HERE / "reference.ipynb", as_version=4)


def make_notebook(variant: Variant) -> NotebookNode:
    """The reference notebook with the variant's replacements (and appended cells)."""
    return apply_variant(reference(), variant)


def variant(name: str) -> Variant:
    return BUGS.get(name) or ACCEPTED[name]
