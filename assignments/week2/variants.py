"""Week-2 notebook variants built from our reference notebook: one per bug class, plus hostile ones.

Used by the bundled demo cohort, the tests and the benchmark. Each variant is a list of
(old, new) source replacements (each `old` must occur exactly once in the notebook) and/or
extra code cells appended at the end, with the checks it is expected to fail.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.notebook_variants import Variant, apply_variant

HERE = Path(__file__).resolve().parent


BUGS: dict[str, Variant] = {
    "correct": Variant(),
    "no_requires_grad": Variant(
        (("self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)",
          "self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=False)"),),
        fails=("linreg_requires_grad", "gradient_descent_fit", "notebook_runs")),
    "forward_no_bias": Variant(
        (("return torch.matmul(X, self.w) + self.b", "return torch.matmul(X, self.w)"),),
        fails=("linreg_forward", "gradient_descent_fit", "notebook_runs")),
    "loss_sum": Variant((("    return l.mean()", "    return l.sum()"),), fails=("squared_loss",)),
    "loss_abs": Variant((("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2", "l = (y_hat - y.reshape(y_hat.shape)).abs()"),),
                        fails=("squared_loss",)),
    # forward is right; its wrong softmax is charged in `softmax` only
    "softmax_wrong_axis": Variant((("partition = X_exp.sum(1, keepdims=True)", "partition = X_exp.sum(0, keepdims=True)"),),
                                  fails=("softmax",)),
    "softmax_b_scalar": Variant((("self.b = torch.zeros(num_outputs, requires_grad=True)", "self.b = torch.zeros(1, requires_grad=True)"),),
                                fails=("softmax_params",)),
    "forward_no_reshape": Variant((("    X = X.reshape((-1, self.W.shape[0]))\n", ""),),
                                  fails=("softmax_forward", "fashion_training", "notebook_runs")),
    "ce_no_minus": Variant((("return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()",
                             "return torch.log(y_hat[list(range(len(y_hat))), y]).mean()"),),
                           fails=("cross_entropy", "fashion_training")),
    # per-example values and no mean anywhere: backward in trainer.fit needs a scalar
    "ce_no_mean": Variant((("return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()",
                            "return -torch.log(y_hat[list(range(len(y_hat))), y])"),),
                          fails=("cross_entropy", "fashion_training", "notebook_runs")),
    "ce_sum": Variant((("return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()",
                        "return -torch.log(y_hat[list(range(len(y_hat))), y]).sum()"),),
                      fails=("cross_entropy", "fashion_training")),
    "training_lr_zero": Variant((("num_outputs=10, lr=0.1)", "num_outputs=10, lr=0.0)"),), fails=("fashion_training",)),
}

# Answers that are right for the class's template (d2l 1.0.3) and its slides, written the
# ways real students write them: each must score full marks.
ACCEPTED: dict[str, Variant] = {
    # plain-mean MSE, no reshape (y has y_hat's shape in the pipeline), flatten by batch size,
    # per-example cross-entropy with the mean taken in the model's loss, a (1, q) bias
    "forms_a": Variant((
        ("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2", "l = (y_hat - y) ** 2"),
        ("X = X.reshape((-1, self.W.shape[0]))", "X = X.reshape((X.shape[0], -1))"),
        ("return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()", "return -torch.log(y_hat[range(len(y)), y])"),
        ("    return cross_entropy(y_hat, y)", "    return cross_entropy(y_hat, y).mean()"),
        ("self.b = torch.zeros(num_outputs, requires_grad=True)", "self.b = torch.zeros((1, num_outputs), requires_grad=True)"),
    )),
    # the d2l book's loss, W consistently renamed w, a hard-coded 784, a max-subtracted softmax
    "forms_b": Variant((
        ("l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2", "l = (y_hat - y) ** 2 / 2"),
        ("self.W = torch.normal(0, sigma", "self.w = torch.normal(0, sigma"),
        ("return [self.W, self.b]", "return [self.w, self.b]"),
        ("    X = X.reshape((-1, self.W.shape[0]))\n    return softmax(torch.matmul(X, self.W) + self.b)",
         "    X = X.reshape((-1, 784))\n    return softmax(X @ self.w + self.b)"),
        ("X_exp = torch.exp(X)", "X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)"),
        ("SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, lr=0.1)",
         "SoftmaxRegressionScratch(num_inputs=28*28, num_outputs=10, lr=0.1)"),
    )),
}

# Hostile notebooks: each starts from a *wrong* softmax so a score gain would show.
VICTIM = Path("/tmp/kubig-victim")  # a host folder plant_symlinks aims at (tests create and inspect it)
_WRONG_SOFTMAX = (("partition = X_exp.sum(1, keepdims=True)", "partition = X_exp.sum(0, keepdims=True)"),)
HOSTILE: dict[str, Variant] = {
    "patch_allclose": Variant(_WRONG_SOFTMAX, (
        "import numpy, torch\n"
        "torch.allclose = lambda *a, **k: True\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None",), fails=("softmax",)),
    "os_exit": Variant(_WRONG_SOFTMAX, ("import os\nos._exit(0)",), fails=("softmax",)),
    "infinite_loop": Variant(_WRONG_SOFTMAX, ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",),
                             fails=("softmax",)),
    "allocate_30gb": Variant(_WRONG_SOFTMAX, ("import torch\nhog = torch.ones(30 * 1024**3, dtype=torch.uint8)\nprint(hog.sum())",),
                             fails=("softmax",)),
    "open_socket": Variant(_WRONG_SOFTMAX, (
        "import socket\ns = socket.create_connection(('1.1.1.1', 80), timeout=3)\nprint('connected')",
        "import urllib.request\nprint(urllib.request.urlopen('http://pypi.org', timeout=3).status)"),
        fails=("softmax",)),
    "peek_and_forge": Variant(_WRONG_SOFTMAX, (
        "import os, glob, json\n"
        "found = glob.glob('/work/**/reference_solutions', recursive=True) + glob.glob('/root/**', recursive=False)\n"
        "print('visible:', found)\n"
        "for d in glob.glob('/tmp/kg-*/comm/probe'):\n"
        "    open(os.path.join(d, 'out-forged.json'), 'w').write(json.dumps({'softmax': {'status': 'ok', 'values': {}}}))\n"
        "print('::error title=pwned::student wrote a workflow command')\nprint('::add-mask::secret')",),
        fails=("softmax",)),
    # Forgeries aimed at probes run inside the kernel (as before 2026-12): each would make the
    # wrong softmax pass there; probes now run elsewhere, on the cells' definitions only.
    "probe_cell_rewrite": Variant(_WRONG_SOFTMAX, (
        "_FIX = 'def softmax(X):\\n    e = torch.exp(X)\\n    return e / e.sum(1, keepdims=True)\\n'\n"
        "def _inject(lines):\n"
        "    return [_FIX] + lines if any('probe' in l.lower() for l in lines) else lines\n"
        "get_ipython().input_transformers_post.append(_inject)",), fails=("softmax",)),
    "post_run_forgery": Variant(_WRONG_SOFTMAX, (
        "import json, os, numpy as np\n"
        "def _forge(result):\n"
        "    g = get_ipython().user_ns\n"
        "    io, token = g.get('IO_DIR'), g.get('TOKEN')\n"
        "    if not io or not token:\n"
        "        return\n"
        "    X = np.load(os.path.join(io, 'inputs.npz'))['sm_X']\n"
        "    e = np.exp(X - X.max(1, keepdims=True))\n"
        "    arrays = dict(np.load(os.path.join(io, 'out-' + token + '.npz')))\n"
        "    arrays['softmax.probs'] = e / e.sum(1, keepdims=True)\n"
        "    np.savez(os.path.join(io, 'out-' + token + '.npz'), **arrays)\n"
        "    out = json.load(open(os.path.join(io, 'out-' + token + '.json')))\n"
        "    out['softmax'] = {'status': 'ok', 'values': {}}\n"
        "    json.dump(out, open(os.path.join(io, 'out-' + token + '.json'), 'w'))\n"
        "get_ipython().events.register('post_run_cell', _forge)",), fails=("softmax",)),
    "patch_savez": Variant(_WRONG_SOFTMAX, (
        "import sys, numpy as np\n"
        "_savez = np.savez\n"
        "def _forged_savez(file, **arrays):\n"
        "    if 'softmax.probs' in arrays:\n"
        "        X = sys._getframe(1).f_locals['inputs']['sm_X']\n"
        "        e = np.exp(X - X.max(1, keepdims=True))\n"
        "        arrays['softmax.probs'] = e / e.sum(1, keepdims=True)\n"
        "    return _savez(file, **arrays)\n"
        "np.savez = _forged_savez",), fails=("softmax",)),
    # Sabotage aimed at the grader writing probe files into the kernel's folder (as before): a
    # symlinked probe folder pointing at a host folder (VICTIM) the grader would write into.
    "plant_symlinks": Variant(_WRONG_SOFTMAX, (
        "import os, ipykernel\n"
        "comm = os.path.dirname(ipykernel.get_connection_file())\n"
        f"os.symlink({str(VICTIM)!r}, os.path.join(comm, 'probe'))\n"
        "print('planted in', comm)",), fails=("softmax",)),
    "fork_many": Variant(_WRONG_SOFTMAX, (
        "import subprocess\nprocs = []\n"
        "for _ in range(400):\n    procs.append(subprocess.Popen(['sleep', '30']))\nprint(len(procs))",),
        fails=("softmax",)),
}


def reference() -> NotebookNode:
    return nbformat.read(HERE / "reference.ipynb", as_version=4)


def make_notebook(variant: Variant) -> NotebookNode:
    """The reference notebook with the variant's replacements (and appended cells)."""
    return apply_variant(reference(), variant)


def variant(name: str) -> Variant:
    return BUGS.get(name) or ACCEPTED.get(name) or HOSTILE[name]
