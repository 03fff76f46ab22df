"""The benchmark's helpers (bench/cohort.py), on tiny notebooks built here; the benchmark is not run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

BENCH = Path(__file__).resolve().parents[1] / "bench" / "cohort.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_cohort", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()

TRAIN = ("data = d2l.FashionMNIST(batch_size=256)\nmodel = SoftmaxRegressionScratch(784, 10, lr=0.1)\n"
         "trainer = d2l.Trainer(max_epochs=10)\ntrainer.fit(model, data)")
TIMING = {"execution": {"iopub.execute_input": "2026-11-30T10:00:00.000000Z",
                        "shell.execute_reply": "2026-11-30T10:00:04.500000Z"}}


def _executed(*train_outputs, count: int | None = 2) -> dict:
    nb = new_notebook(cells=[
        new_code_cell("import torch\nfrom d2l import torch as d2l", execution_count=1),
        new_code_cell(TRAIN, execution_count=count, outputs=list(train_outputs), metadata=dict(TIMING)),
    ])
    return nbformat.from_dict(nb)


def test_a_clean_training_cell_trained(tmp_path: Path) -> None:
    path = tmp_path / "clean.ipynb"
    nbformat.write(_executed(new_output("display_data", data={"text/plain": "<Figure size 350x250>"})), path)
    t = bench.training_status(path)
    assert t.trained and not t.reason
    assert t.seconds == 4.5


def test_an_error_in_the_training_cell_did_not_train() -> None:
    err = new_output("error", ename="RuntimeError",
                     evalue="grad can be implicitly created only for scalar outputs", traceback=["..."])
    t = bench.training_status(nbformat.writes(_executed(err)))
    assert not t.trained and not t.environment
    assert "RuntimeError" in t.reason


def test_a_download_attempt_is_the_environment() -> None:
    download = new_output("stream", name="stdout",
                          text="Downloading http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
                               "train-images-idx3-ubyte.gz\n")
    err = new_output("error", ename="URLError", evalue="<urlopen error [Errno -3]>", traceback=[])
    for outputs in ((download,), (err,)):
        t = bench.training_status(_executed(*outputs))
        assert not t.trained and t.environment, outputs


def test_no_training_cell_or_not_run() -> None:
    nb = nbformat.from_dict(new_notebook(cells=[new_code_cell("x = 1", execution_count=1)]))
    assert not bench.training_status(nb).trained
    assert not bench.training_status(_executed(count=None)).trained


def test_only_the_students_own_errors_seen_by_the_grader_keep_the_ratio() -> None:
    T = bench.Training
    trainings = {"ok": T(True), "own": T(False, "RuntimeError: x"), "env": T(False, "download attempt", True)}
    blocking, lines = bench.comparable(trainings, grader_failed={"own", "env"})
    assert blocking == 1 and len(lines) == 2
    assert bench.comparable({"ok": T(True), "own": T(False, "RuntimeError: x")}, {"own"})[0] == 0
    assert bench.comparable({"own": T(False, "RuntimeError: x")}, set())[0] == 1


def test_scores_helpers() -> None:
    results = [
        {"submission": {"key": "a"}, "timings": {"total": 10.0, "student_cells": 9.5},
         "checks": [{"id": "notebook_runs", "status": "pass"}]},
        {"submission": {"key": "b"}, "timings": {"total": 3.0, "student_cells": 1.0},
         "checks": [{"id": "notebook_runs", "status": "fail"}]},
        {"submission": {"key": "c"}, "timings": {"total": 1.0}, "checks": []},
    ]
    assert bench.overheads(results) == [0.5, 2.0]
    assert bench.notebook_status(results, "fail") == {"b"}


def test_nbconvert_runs_the_runtime_offline(tmp_path: Path) -> None:
    env = bench.nbconvert_env(tmp_path / "venv" / "bin")
    assert env["PATH"].split(":")[0] == str(tmp_path / "venv" / "bin")
    assert env["PIP_NO_INDEX"] == "1" and "MPLBACKEND" not in env


def test_arguments() -> None:
    args = bench.parse_args(["--n", "2", "--scale", "200", "--grade-args=--no-warm", "--keep"])
    assert (args.synthetic, args.scale, args.grade_args, args.keep) == (2, 200, "--no-warm", True)
    args = bench.parse_args(["--source", "x.bundle", "--folder", "F", "--limit", "2"])
    assert (args.source, args.folder, args.limit, args.synthetic) == ("x.bundle", "F", 2, None)


def test_peak_memory_sees_a_childs_short_peak() -> None:
    """The sampler reads PSS only near the tree's highest RSS, yet still sees a child that holds
    300 MB for a moment and then frees it: the peak it prints is not missed."""
    import subprocess

    hold = ("import time\nb = bytearray(300 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
            "time.sleep(1.5)\ndel b\ntime.sleep(1.0)\n")
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {hold!r}])"])
    with bench.PeakMemory(parent.pid) as mem:
        parent.wait(timeout=60)
    assert mem.tree_peak >= 300 * 2**20
    assert mem.root_peak < 100 * 2**20  # the parent itself never held it
