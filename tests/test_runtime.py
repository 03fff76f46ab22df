"""The student runtime: `grade setup` is idempotent, damage is detected, the offline
FashionMNIST stand-in is well-formed and the reference notebook learns it."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, Graded
from grader.pack import Pack
from grader.runtime import (
    Runtime,
    RuntimeMissing,
    _dist_name,
    _normalise,
    build,
    load_runtime,
    requirements_key,
    runtime_root,
    verify,
)

# ------------------------------------------------------------------------- the real runtime


@pytest.mark.runtime
def test_setup_is_idempotent(pack: Pack, runtime: Runtime) -> None:
    ready = runtime.root / "ready.json"
    stamp = ready.stat().st_mtime_ns
    said: list[str] = []
    again = build(pack, progress=said.append)
    assert again == runtime
    assert said == [f"runtime ready: {runtime.root}"]  # nothing rebuilt
    assert verify(again, pack) is None
    proc = subprocess.run([sys.executable, "-c", "from grader.cli import main; main()", "setup", "week2"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "runtime ready" in proc.stderr and "building" not in proc.stderr, proc.stderr
    assert ready.stat().st_mtime_ns == stamp


def _read_idx(path: Path) -> tuple[int, tuple[int, ...], bytes]:
    raw = path.read_bytes()
    magic = struct.unpack(">I", raw[:4])[0]
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return magic, shape, raw[4 + 4 * ndim :]


@pytest.mark.runtime
def test_fashion_mnist_standin_files(runtime: Runtime) -> None:
    raw = runtime.data / "FashionMNIST" / "raw"
    summary = json.loads((runtime.data / ".complete").read_text())
    counts = {}
    for split in ("train", "t10k"):
        magic, shape, body = _read_idx(raw / f"{split}-images-idx3-ubyte")
        assert magic == 0x00000803 and len(shape) == 3 and shape[1:] == (28, 28), (split, magic, shape)
        assert len(body) == shape[0] * 28 * 28
        lmagic, lshape, labels = _read_idx(raw / f"{split}-labels-idx1-ubyte")
        assert lmagic == 0x00000801 and lshape == (shape[0],), (split, lmagic, lshape)
        values = np.frombuffer(labels, dtype=np.uint8)
        assert set(values.tolist()) == set(range(10))  # ten classes, all present
        images = np.frombuffer(body, dtype=np.uint8).reshape(shape)
        assert images.max() > 200 and images[:, :4, :].max() == 0  # real strokes, MNIST-like margin
        counts[split] = shape[0]
    assert counts == {"train": summary["train"], "t10k": summary["test"]}


@pytest.mark.runtime
def test_reference_learned_the_standin(fixture_cohort: dict[str, Graded]) -> None:
    check = fixture_cohort["bug:correct"].check("fashion_training")
    msg = check.message.en
    acc = re.search(r"accuracy on hidden validation images ([\d.]+)%", msg)
    loss = re.search(r"loss ([\d.]+) → ([\d.]+)", msg)
    assert acc and loss, msg
    accuracy = float(acc.group(1)) / 100
    print(f"\nreference notebook on the FashionMNIST stand-in: accuracy on hidden validation images "
          f"{accuracy:.1%}, training loss {loss.group(1)} → {loss.group(2)}")
    assert check.points == check.max_points
    assert accuracy >= 0.8  # 10 classes: chance is 10%
    assert float(loss.group(2)) < float(loss.group(1))


# ------------------------------------------------------------------------- verify() on a fake runtime


def _fake_runtime(base: Path, pack: Pack) -> tuple[Runtime, dict[str, Path]]:
    """A runtime folder with the layout verify() reads, tiny fake packages included."""
    rt = Runtime(runtime_root(pack, base))
    site = rt.venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    rt.python.parent.mkdir(parents=True)
    rt.python.write_text("#!/bin/sh\n")
    (rt.venv / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    modules: dict[str, Path] = {}
    for req in pack.runtime.requirements:
        name = _normalise(_dist_name(req))
        dist = site / f"{name}-1.0.dist-info"
        dist.mkdir(parents=True)
        pkg = site / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "core.py").write_text("x = 1\n")
        (dist / "RECORD").write_text("\n".join([
            f"{name}/__init__.py,sha256=abc,0",
            f"{name}/core.py,sha256=def,6",
            f"{name}/__pycache__/core.cpython-311.pyc,,",  # bytecode pip wrote: not required
            f"{name}-1.0.dist-info/RECORD,,",
        ]) + "\n")
        modules[name] = pkg / "core.py"
    for folder in (rt.data, rt.hidden):
        folder.mkdir(parents=True)
        (folder / ".complete").write_text("{}")
    (rt.root / "ready.json").write_text(json.dumps({"key": requirements_key(pack)}))
    return rt, modules


def test_verify_accepts_a_complete_fake_runtime(tmp_path: Path, pack: Pack) -> None:
    rt, _ = _fake_runtime(tmp_path, pack)
    assert verify(rt, pack) is None
    assert load_runtime(pack, base=tmp_path) == rt


def test_verify_detects_a_damaged_runtime(tmp_path: Path, pack: Pack) -> None:
    rt, modules = _fake_runtime(tmp_path, pack)
    victim = _normalise(_dist_name(pack.runtime.requirements[0]))
    modules[victim].unlink()
    problem = verify(rt, pack)
    assert problem is not None and "damaged" in problem and f"{victim}/core.py" in problem, problem
    with pytest.raises(RuntimeMissing) as err:
        load_runtime(pack, base=tmp_path)
    assert "grade setup week2" in str(err.value)


def test_damage_after_a_load_that_passed_is_still_detected(tmp_path: Path, pack: Pack) -> None:
    """load_runtime checks every recorded file only when the runtime changed since a check
    that passed: a file removed (or a package folder replaced) since is still reported."""
    rt, modules = _fake_runtime(tmp_path, pack)
    assert load_runtime(pack, base=tmp_path) == rt
    assert load_runtime(pack, base=tmp_path) == rt  # unchanged: answered without the full check
    victim = _normalise(_dist_name(pack.runtime.requirements[0]))
    modules[victim].unlink()
    with pytest.raises(RuntimeMissing) as err:
        load_runtime(pack, base=tmp_path)
    assert f"{victim} damaged: {victim}/core.py missing" in str(err.value) and "grade setup week2" in str(err.value)
    modules[victim].write_text("x = 1\n")  # repaired
    assert load_runtime(pack, base=tmp_path) == rt
    other = _normalise(_dist_name(pack.runtime.requirements[-1]))
    package = modules[other].parent
    package.rename(tmp_path / "moved")
    package.mkdir()  # the folder is back, its files are not
    with pytest.raises(RuntimeMissing, match=f"{other} damaged"):
        load_runtime(pack, base=tmp_path)


@pytest.mark.parametrize("damage, expected", [
    ("ready", "not built"),
    ("key", "other requirements"),
    ("python", "missing"),
    ("dist", "not installed"),
    ("data", "offline data missing"),
    ("hidden", "offline data missing"),
])
def test_verify_names_what_is_wrong(tmp_path: Path, pack: Pack, damage: str, expected: str) -> None:
    rt, modules = _fake_runtime(tmp_path, pack)
    if damage == "ready":
        (rt.root / "ready.json").unlink()  # an interrupted build never wrote it
    elif damage == "key":
        (rt.root / "ready.json").write_text(json.dumps({"key": "0" * 12}))
    elif damage == "python":
        rt.python.unlink()
    elif damage == "dist":
        last = _normalise(_dist_name(pack.runtime.requirements[-1]))
        next(modules[last].parents[1].glob(f"{last}-*.dist-info")).rename(modules[last].parents[1] / "gone")
    elif damage == "data":
        (rt.data / ".complete").unlink()
    elif damage == "hidden":  # a runtime built before the grader kept hidden validation images
        (rt.hidden / ".complete").unlink()
    problem = verify(rt, pack)
    assert problem is not None and expected in problem, problem
