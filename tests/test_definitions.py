"""What the probe process loads from a notebook: definitions only, never code that runs."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from grader.execute.definitions import extract_definitions
from grader.execute.probe_process import ChannelError, safe_npz

TRUSTED = ("d2l.torch.add_to_class", "torch.no_grad")


def kept_and_skipped(*cells: str) -> tuple[str, str]:
    d = extract_definitions(list(cells), TRUSTED)
    return "\n".join(d.statements), "\n".join(d.skipped)


def test_the_templates_definitions_are_kept_and_its_runs_skipped() -> None:
    kept, skipped = kept_and_skipped(
        "!pip install d2l==1.0.3",
        "%matplotlib inline\nimport torch\nfrom d2l import torch as d2l",
        "class LinearRegressionScratch(d2l.Module):\n    '''doc'''\n    def __init__(self, num_inputs, lr, sigma=0.01):\n"
        "        super().__init__()\n        self.w = torch.normal(0, sigma, (num_inputs, 1), requires_grad=True)",
        "@d2l.add_to_class(LinearRegressionScratch)\ndef forward(self, X):\n    return torch.matmul(X, self.w)",
        "model = LinearRegressionScratch(2, lr=0.03)\ntrainer = d2l.Trainer(max_epochs=3)\ntrainer.fit(model, data)",
        "SEED = 42\nN = 28 * 28",
    )
    for wanted in ("import torch", "from d2l import torch as d2l", "class LinearRegressionScratch", "def forward",
                   "@d2l.add_to_class(LinearRegressionScratch)", "SEED = 42", "N = 28 * 28"):
        assert wanted in kept, (wanted, kept)
    assert "trainer" not in kept and "pip" not in kept and "matplotlib" not in kept
    assert "trainer.fit(model, data)" in skipped and "model = LinearRegressionScratch" in skipped


@pytest.mark.parametrize("cell, why, dropped", [
    ("def deco(f):\n    print('pwned')\n    return f\n@deco\ndef softmax(X):\n    return X", "defined in the notebook", "@deco"),
    ("import os as d2l\n@d2l.add_to_class(object)\ndef f(self):\n    pass", "not one the grader trusts", "def f"),
    ("@d2l.add_to_class(object, 'x')\ndef f(self):\n    pass", "computed arguments", "def f"),
    ("def f(x=print('pwned')):\n    return x", "default value that is computed", "pwned"),
    ("class A(metaclass=M):\n    pass", "metaclass", "class A"),
    ("class A:\n    def __init_subclass__(cls):\n        print('pwned')", "runs when classes are created", "pwned"),
    ("class A:\n    print('pwned')", "class body", "pwned"),
    ("class A:\n    x = print('pwned')", "computed", "pwned"),
    ("get_ipython().events.register('post_run_cell', print)", "runs code", "get_ipython"),
    ("import numpy as np\nnp.savez = print", "runs code", "np.savez"),
    ("for i in range(3):\n    pass", "runs code", "for i"),
    ("from .evil import x", "relative import", "evil"),
])
def test_statements_that_would_run_student_code_are_skipped(cell: str, why: str, dropped: str) -> None:
    d = extract_definitions(["from d2l import torch as d2l", cell], TRUSTED)
    assert any(why in s for s in d.skipped), d.skipped
    assert dropped not in "\n".join(d.statements)


def test_annotations_are_dropped() -> None:
    kept, _ = kept_and_skipped("def f(x: print('pwned')) -> print('pwned'):\n    return x")
    assert "def f(x):" in kept and "pwned" not in kept


def test_a_cell_that_is_not_python_is_skipped_whole() -> None:
    d = extract_definitions(["def softmax(X):\n    return (", "def ok():\n    return 1"])
    assert d.statements == ("def ok():\n    return 1",)
    assert d.skipped and "not valid Python" in d.skipped[0]


def test_constant_calls_are_read_as_data() -> None:
    d = extract_definitions(["model = SoftmaxRegressionScratch(num_inputs=28*28, num_outputs=10, lr=0.1)\n"
                             "trainer = d2l.Trainer(max_epochs=X.shape[0])"])
    assert d.calls["model"].kwargs == {"num_inputs": 784, "num_outputs": 10, "lr": 0.1}
    assert d.calls["trainer"].callee == "d2l.Trainer" and d.calls["trainer"].kwargs == {"max_epochs": None}


def _npz_declaring(shape: tuple[int, ...]) -> bytes:
    """An .npz whose only member's header claims `shape` (float64) but holds 8 bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("probs.npy", header.getvalue() + b"\x00" * 8)  # the header starts with the magic
    return out.getvalue()


def test_npz_headers_are_checked_before_allocation() -> None:
    with pytest.raises(ChannelError, match="too large"):
        safe_npz(_npz_declaring((3 * 1024**3 // 8,)))  # 3 GiB declared, 8 bytes sent
    good = io.BytesIO()
    np.savez(good, probs=np.eye(3))
    assert np.array_equal(safe_npz(good.getvalue())["probs"], np.eye(3))
    obj = io.BytesIO()
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("x.npy", obj.getvalue())
    with pytest.raises(ChannelError, match="unexpected array type"):
        safe_npz(packed.getvalue())
