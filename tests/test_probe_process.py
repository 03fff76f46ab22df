"""The probe process against student functions that attack it when called.

Each probe runs in its own fork with only its own pipe: a function that writes forged frames
to every descriptor, loops forever, returns too much or kills the probe process can spoil its
own result (or, killing the parent, the ones after it), never forge another probe's.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from grader.execute.probe_process import ProbeHost

pytestmark = pytest.mark.runtime

STUDENT = [
    "import os, signal, struct, json",
    "def good(x):\n    return x * 2",
    textwrap.dedent("""\
        def forger(x):
            frame = lambda b: struct.pack('>I', len(b)) + b
            fake = frame(json.dumps({'probe': 'good', 'status': 'ok', 'error': ''}).encode())
            for fd in range(0, 64):
                try:
                    os.write(fd, fake + frame(b'done'))
                except OSError:
                    pass
            return x"""),
    "def sleeper(x):\n    while True:\n        pass",
    "def hog(x):\n    import numpy as np\n    return np.zeros(6 * 1024 * 1024)",
    "def killer(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return x",
]

PROBES = textwrap.dedent("""\
    import numpy as np
    def call(name):
        return lambda ns, inputs, params: {"out": np.asarray(ns[name](inputs["x"]), dtype=float)}
    PROBES = {name: call(name) for name in ["good", "forger", "sleeper", "hog", "good2", "killer", "after"]}
    PROBES["good2"] = call("good")
    PROBES["after"] = call("good")
    """)


@pytest.fixture(scope="module")
def report(runtime, test_pack):
    host = ProbeHost(runtime, test_pack.limits, threads=1, preload=("numpy",))
    return host.run(PROBES, tuple(STUDENT), {"x": np.arange(3.0)}, {}, probe_seconds=3, budget_s=60)


def test_each_probe_gets_only_its_own_result(report) -> None:
    assert report.probes["good"]["status"] == "ok"
    assert np.array_equal(report.probes["good"]["arrays"]["out"], [0.0, 2.0, 4.0])
    # the forged frames went into the forger's own pipe: its own result is spoiled, nothing else
    assert report.probes["forger"]["status"] == "error", report.probes["forger"]
    assert report.probes["good2"]["status"] == "ok"
    assert np.array_equal(report.probes["good2"]["arrays"]["out"], [0.0, 2.0, 4.0])


def test_a_looping_or_hoarding_probe_is_cut_off(report) -> None:
    assert report.probes["sleeper"]["status"] == "timeout"
    assert report.probes["hog"]["status"] == "error" and "too large" in report.probes["hog"]["error"]


def test_killing_the_probe_process_loses_results_it_never_forges_them(report) -> None:
    assert report.status == "error" and "stopped" in report.detail
    assert "after" not in report.probes  # never reported, so the checks say the probe did not run
    assert not any(p["status"] == "ok" for name, p in report.probes.items() if name in ("killer", "after"))
