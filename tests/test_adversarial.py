"""Hostile notebooks gain nothing and break nothing; the sandbox isolates student code.

Each HOSTILE variant is the reference notebook with a wrong softmax (normalised over the
batch) plus hostile cells, so any score gain would show against the same notebook without
the hostile cells — which is exactly BUGS["softmax_wrong_axis"], graded in the same batch.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import nbformat
import pytest

from conftest import REPO_ROOT, Graded
from grader.execute.kernel import NotebookRunner
from grader.execute.sandbox import SANDBOX_ROOT, bwrap_available
from grader.models import Status
from grader.pack import load_pack
from grader.paths import cache_dir

pytestmark = pytest.mark.runtime

VARIANTS = load_pack("week2").module("variants_module")
HOSTILE = list(VARIANTS.HOSTILE)
BASELINE = "bug:softmax_wrong_axis"
VICTIM = VARIANTS.VICTIM


def hostile(cohort: dict[str, Graded], name: str) -> Graded:
    return cohort[f"hostile:{name}"]


def extra_cells(name: str) -> tuple[str, ...]:
    return VARIANTS.HOSTILE[name].append


def test_baseline_is_the_hostile_notebook_without_its_cells() -> None:
    base = VARIANTS.make_notebook(VARIANTS.BUGS["softmax_wrong_axis"])
    for name, variant in VARIANTS.HOSTILE.items():
        nb = VARIANTS.make_notebook(variant)
        assert [c.source for c in nb.cells[: len(base.cells)]] == [c.source for c in base.cells], name
        assert [c.source for c in nb.cells[len(base.cells):]] == list(variant.append), name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_notebook_gains_nothing(fixture_cohort: dict[str, Graded], name: str) -> None:
    g, base = hostile(fixture_cohort, name), fixture_cohort[BASELINE]
    assert g.result.status in ("graded", "error", "timeout"), g.describe()
    assert len(g.result.checks) == len(base.result.checks)
    assert g.result.total <= base.result.total, (g.describe(), base.describe())
    for c in g.result.checks:
        assert c.points <= base.check(c.id).points, (name, c.id, g.describe())
    assert g.check("softmax").status != Status.PASS and g.check("softmax").points == 0
    for c in g.result.checks:
        assert c.message.ko and c.message.en, (name, c.id)


def test_baseline_scores_as_its_bug(fixture_cohort: dict[str, Graded]) -> None:
    base = fixture_cohort[BASELINE]
    assert base.result.status == "graded"
    assert base.not_passing == {"softmax"}  # forward only calls the wrong softmax: charged once
    assert 0 < base.result.total < 100


def test_cohort_unaffected_by_hostile_neighbours(fixture_cohort: dict[str, Graded]) -> None:
    """The reference, graded in the same batch as every hostile notebook, still scores 100."""
    ref = fixture_cohort["bug:correct"]
    assert ref.result.status == "graded" and ref.result.total == 100, ref.describe()
    # every non-hostile notebook ran to the end in its own kernel
    for fid, g in fixture_cohort.items():
        if not fid.startswith("hostile:") and g.execution is not None:
            assert g.execution.status == "ok", g.describe()


def test_patched_allclose_changes_nothing(fixture_cohort: dict[str, Graded]) -> None:
    g, base = hostile(fixture_cohort, "patch_allclose"), fixture_cohort[BASELINE]
    assert g.cell_run(extra_cells("patch_allclose")[0]).status == "ok"  # the patch "worked" in the kernel
    assert g.check("softmax").status == Status.FAIL and "Rows do not sum to 1" in g.check("softmax").message.en
    assert g.result.total == base.result.total  # comparisons happen in the grader's process


def test_os_exit_kills_only_its_kernel(fixture_cohort: dict[str, Graded]) -> None:
    g = hostile(fixture_cohort, "os_exit")
    assert g.execution.status == "died", g.describe()
    assert g.result.status == "error"
    runs = g.check("notebook_runs")
    assert runs.status == Status.FAIL and "kernel died" in runs.message.en
    assert g.check("softmax").points == 0


def test_infinite_loop_ends_by_cell_timeout(fixture_cohort: dict[str, Graded], test_pack) -> None:
    g = hostile(fixture_cohort, "infinite_loop")
    run = g.cell_run(extra_cells("infinite_loop")[0])
    assert run.status == "timeout", g.describe()
    runs = g.check("notebook_runs")
    assert runs.status != Status.PASS and "timeout" in runs.message.en, runs.message.en
    # the kernel, still spinning (SIGINT ignored), is given up on; the probes do not need it:
    # they load the definitions of the cells that ran in their own process
    assert g.execution.status == "timeout", g.describe()
    assert "ignored the interrupt" in g.execution.detail
    assert g.probes is not None and g.probes.status == "ok", g.describe()
    base = fixture_cohort[BASELINE]
    assert g.check("softmax").message.en == base.check("softmax").message.en or "Rows do not sum to 1" in g.check("softmax").message.en
    assert g.check("cross_entropy").status == Status.PASS  # defined before the endless cell: still graded


def test_30gb_allocation_fails_inside_the_sandbox(fixture_cohort: dict[str, Graded]) -> None:
    g = hostile(fixture_cohort, "allocate_30gb")
    run = g.cell_run(extra_cells("allocate_30gb")[0])
    died = g.execution.status == "died"
    assert died or (run.status == "error" and run.ename in ("RuntimeError", "MemoryError", "OutOfMemoryError")), g.describe()
    if not died:
        assert "alloc" in run.evalue.lower() or "memory" in run.evalue.lower(), run.evalue
        assert "tensor(" not in g.cell_output(extra_cells("allocate_30gb")[0])  # hog.sum() never printed
    # the machine is fine: the grader still has its memory
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    assert int(meminfo["MemAvailable"].split()[0]) > 1024 * 1024  # > 1 GB available (kB)


def test_no_network_in_the_sandbox(fixture_cohort: dict[str, Graded]) -> None:
    g = hostile(fixture_cohort, "open_socket")
    sock_cell, url_cell = extra_cells("open_socket")
    sock, url = g.cell_run(sock_cell), g.cell_run(url_cell)
    assert sock.status == "error" and sock.ename in ("OSError", "ConnectionError", "TimeoutError", "gaierror"), sock
    assert url.status == "error" and url.ename in ("URLError", "OSError", "TimeoutError"), url
    assert "connected" not in g.cell_output(sock_cell)
    assert "200" not in g.cell_output(url_cell).replace(url.evalue, "")


def test_process_limit_stops_fork_storm(fixture_cohort: dict[str, Graded], test_pack) -> None:
    g = hostile(fixture_cohort, "fork_many")
    cell = extra_cells("fork_many")[0]
    run = g.cell_run(cell)
    assert run.status == "error" and run.ename in ("BlockingIOError", "OSError", "PermissionError"), g.describe()
    assert "Resource temporarily unavailable" in run.evalue or "11" in run.evalue, run.evalue
    assert "400" not in g.cell_output(cell)
    assert test_pack.limits.max_processes < 400


def test_peek_sees_nothing_and_forgery_changes_nothing(fixture_cohort: dict[str, Graded]) -> None:
    g, base = hostile(fixture_cohort, "peek_and_forge"), fixture_cohort[BASELINE]
    cell = extra_cells("peek_and_forge")[0]
    output = g.cell_output(cell)
    assert g.cell_run(cell).status == "ok"
    assert "visible: []" in output, output
    assert "reference_solutions" not in output.replace("'/work/**/reference_solutions'", "")
    # the forged out-forged.json (wrong name, no token; written before probing even started)
    # is ignored: softmax fails exactly as in the baseline
    assert g.check("softmax").status == Status.FAIL
    assert g.check("softmax").message.en.split("(")[0] == base.check("softmax").message.en.split("(")[0]
    assert g.result.total <= base.result.total
    # the printed workflow commands stay in the notebook output, never in the grader's messages
    assert "::error" in output
    for c in g.result.checks:
        assert "::" not in c.message.en and "::" not in c.message.ko, c.id
    for n in g.result.notes:
        assert "::" not in n.en and "::" not in n.ko


@pytest.mark.parametrize("name", ["probe_cell_rewrite", "post_run_forgery", "patch_savez"])
def test_kernel_hooks_cannot_forge_probe_results(fixture_cohort: dict[str, Graded], name: str) -> None:
    """An input transformer, a post_run_cell hook and a patched np.savez left in the kernel
    would each have made the wrong softmax pass when probes ran there."""
    g, base = hostile(fixture_cohort, name), fixture_cohort[BASELINE]
    assert g.cell_run(extra_cells(name)[0]).status == "ok", g.describe()  # the hook was installed
    assert g.check("softmax").status == Status.FAIL and g.check("softmax").points == 0, g.describe()
    assert g.check("softmax").message.en.split("(")[0] == base.check("softmax").message.en.split("(")[0]
    assert g.code_points() == base.code_points(), (g.describe(), base.describe())


def test_probes_load_only_definitions(fixture_cohort: dict[str, Graded]) -> None:
    """The hooks' cells are top-level code: the probe process never ran them."""
    g = hostile(fixture_cohort, "probe_cell_rewrite")
    assert g.probes is not None and g.probes.definitions is not None
    kept = "\n".join(g.probes.definitions.statements)
    assert "def softmax" in kept and "input_transformers_post" not in kept
    assert any("input_transformers_post" in why for why in g.probes.definitions.skipped), g.probes.definitions.skipped


def test_planted_symlink_reaches_nothing_on_the_host(fixture_cohort: dict[str, Graded]) -> None:
    g = hostile(fixture_cohort, "plant_symlinks")
    assert "planted in" in g.cell_output(extra_cells("plant_symlinks")[0])
    assert sorted(p.name for p in VICTIM.iterdir()) == ["sentinel.txt"]
    assert (VICTIM / "sentinel.txt").read_text() == "untouched"
    assert g.result.total <= fixture_cohort[BASELINE].result.total


# ------------------------------------------------------------------------- the sandbox itself

ISOLATION_PROBE = r'''
import json, os, socket
def can_write(path):
    try:
        with open(path, "w") as fh:
            fh.write("x")
        return True
    except OSError:
        return False
info = {
    "uid": os.getuid(), "cwd": os.getcwd(), "root": sorted(os.listdir("/")),
    "root_home": sorted(os.listdir("/root")) if os.path.isdir("/root") else None,
    "visible": {p: os.path.exists(p) for p in HIDDEN},
    "writes": {p: can_write(p) for p in READ_ONLY},
    "work_write": can_write("/sandbox/work/ok.txt"),
    "tmp_write": can_write(TMP_MARK),
    "data": os.path.isdir("/sandbox/data/FashionMNIST/raw"),
    "env_keys": sorted(os.environ),
}
print("KUBIG-ISOLATION " + json.dumps(info))
'''


def test_sandbox_isolation(runtime, test_pack, tmp_path: Path) -> None:
    home = Path.home()
    hidden = [str(REPO_ROOT), str(REPO_ROOT / "reference_solutions"),
              str(Path(REPO_ROOT).parent / "shared"),  # other students' real files, beside the checkout
              str(cache_dir() / "results"), str(cache_dir() / "work"), str(runtime.root / "ready.json"),
              str(home / ".ssh"), str(home / ".bash_history"), str(home / ".gitconfig")]
    full = bool(bwrap_available())
    # (only tried inside bubblewrap: without it the kernel shares the host file system)
    read_only = ["/usr/kubig-probe", "/etc/kubig-probe", "/kubig-probe", str(runtime.venv / "kubig-probe"),
                 f"{SANDBOX_ROOT}/data/kubig-probe", str(runtime.root / "kubig-probe")] if full else []
    tmp_mark = f"/tmp/kubig-isolation-{secrets.token_hex(6)}"
    source = f"HIDDEN = {hidden!r}\nREAD_ONLY = {read_only!r}\nTMP_MARK = {tmp_mark!r}\n" + ISOLATION_PROBE
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    execution, out = NotebookRunner(runtime, test_pack.limits, threads=1).run(nb, None)
    assert execution.status == "ok" and execution.cells[0].status == "ok", execution
    text = "".join(o.get("text", "") for o in out.cells[0].outputs if o.get("output_type") == "stream")
    info = json.loads(text.split("KUBIG-ISOLATION ", 1)[1])
    print(json.dumps(info, indent=1))
    for p in read_only:
        assert not Path(p).exists(), p  # nothing reached the host
    assert info["work_write"] and info["tmp_write"]
    assert not Path(tmp_mark).exists()  # the sandbox's /tmp is its own, in either mode
    if not full:
        assert execution.isolation == "reduced"
        pytest.skip("bubblewrap unavailable here: isolation is reduced (resource limits and a private folder only)")
    assert execution.isolation == "full"
    assert info["uid"] == 65534 and info["uid"] != os.getuid()
    assert info["cwd"] == f"{SANDBOX_ROOT}/work"
    assert info["data"]
    assert "work" not in info["root"] and "home" not in info["root"], info["root"]
    assert set(info["root"]) <= {"usr", "etc", "bin", "lib", "lib64", "sbin", "tmp", "proc", "dev", "sandbox",
                                 "root", "opt"} | {Path(p).parts[1] for p in (runtime.venv, runtime.base_prefix)}
    if info["root_home"] is not None:  # only the runtime's ancestors, e.g. /root/.cache and /root/.pyenv
        allowed = {Path(p).relative_to("/root").parts[0] for p in (runtime.venv, runtime.base_prefix)
                   if Path(p).is_relative_to("/root")}
        assert set(info["root_home"]) <= allowed, info["root_home"]
    assert not any(info["visible"].values()), info["visible"]
    # A runtime cached under /tmp shows up inside the sandbox's private /tmp: a write there lands
    # in the sandbox's own tmpfs (the host check above holds), so judge only paths outside /tmp.
    assert not any(ok for p, ok in info["writes"].items() if not p.startswith("/tmp/")), info["writes"]
    assert "KUBIG_SANDBOX" in info["env_keys"]
    assert not any(k.startswith(("GITHUB", "AWS", "SSH_", "PYTEST")) for k in info["env_keys"]), info["env_keys"]
