"""Shared fixtures for the engine tests.

Executing a notebook costs ~25-40 s here, so every fixture notebook is executed once per
test session: `fixture_cohort` builds all fixture submissions (zips made here from the week-2
notebook variants plus a synthetic Playground screenshot, named like real ones), grades them
in ONE `run_cohort` batch (jobs=2) and the tests only read the results.

The batch is graded with the week-2 pack whose limits are shortened (TEST_LIMITS) so the
hostile notebooks (infinite loop, 30 GB allocation, …) end quickly. The reference notebook
needs ~25 s in all and its FashionMNIST cell ~16 s on an idle 2-core machine (~26 s when the
machine is shared), so the cell limit leaves more than 3× headroom and never flakes.

To look at what happened inside the kernel (which cell errored, what it printed) the batch
is graded by a `Grader` whose `on_execution` observer keeps each submission's `Execution` and
executed notebook next to its `SubmissionResult`; grading itself is the engine's, unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbformat import NotebookNode

from grader.cohort import run_cohort
from grader.models import Execution
from grader.execute.probes import ProbeSession
from grader.grade import Executed, Grader
from grader.models import CheckResult, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.runtime import Runtime, RuntimeMissing, load_runtime
from grader.sources.local import discover_local
from zipfactory import UTF8_FLAG, ZEntry, write_zip

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real submissions live next to the repository: /work/shared when the repo is /work/main.
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_SUBMISSIONS = SHARED / "kubig" / "week2" / "submissions-2025-fall"

# Shorter than the manifest's (cell 180 s, notebook 900 s, probes 120 s, 6 GB) so hostile
# notebooks end fast; still far above what the reference needs (see module docstring).
TEST_LIMITS = {"cell_timeout_s": 90, "notebook_timeout_s": 400, "probe_timeout_s": 30, "memory_mb": 3072}

# Checks that are about the zip and the screenshot rather than the notebook's code.
SUBMISSION_CHECKS = ("naming", "artifacts", "playground")
COHORT = 25
NOTEBOOK_ENTRY = "2주차 과제.ipynb"
SCREENSHOT_ENTRY = "플레이그라운드 스크린샷.png"


def camel(name: str) -> str:
    """'loss_no_half' → 'LossNoHalf' (file-name safe: the naming rule splits on '_')."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def zip_name(student: str) -> str:
    return f"2주차 과제_{COHORT}기_{student}.zip"


# ------------------------------------------------------------------------- pack and runtime


@pytest.fixture(scope="session")
def pack() -> Pack:
    return load_pack("week2")


@pytest.fixture(scope="session")
def runtime(pack: Pack) -> Runtime:
    """The built student runtime; tests that need it are skipped (with the reason) when absent."""
    try:
        return load_runtime(pack)
    except RuntimeMissing as exc:
        pytest.skip(f"student runtime not built — run `.venv/bin/grade setup week2` first ({exc})")


@pytest.fixture(scope="session")
def test_pack(pack: Pack) -> Pack:
    """The week-2 pack with shortened limits (TEST_LIMITS)."""
    return dataclasses.replace(pack, limits=dataclasses.replace(pack.limits, **TEST_LIMITS))


@pytest.fixture(scope="session")
def variants(pack: Pack) -> ModuleType:
    return pack.module("variants_module")


def week2_module(name: str) -> ModuleType:
    """A module of the week-2 pack's package (e.g. "playground.reader"): the very module the
    grader imports (one package, loaded once), so a monkeypatch here is seen by the checks."""
    return importlib.import_module(f"{load_pack('week2').package}.{name}")


@functools.cache
def playground_renderer() -> ModuleType:
    """The week-2 pack's Playground page renderer (assignments/week2/playground/render.py, the
    one the demo cohort uses)."""
    return week2_module("playground.render")


def playground_png(folder: Path, **kwargs) -> bytes:
    """A synthetic Playground screenshot; passing by default: "Test loss 0.004",
    "Training loss 0.003", "Epoch 000,359", spiral."""
    kwargs.setdefault("training_loss", "0.003")
    return playground_renderer().render_playground(folder / "playground.png", **kwargs).read_bytes()


def cell_text(cell: NotebookNode, limit: int | None = None) -> str:
    """Everything an executed cell printed or raised, as text (rich outputs as their text/plain)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        elif "data" in out:
            parts.append(str(out["data"].get("text/plain", ""))[:limit])
    return "".join(parts)


@pytest.fixture(scope="session")
def screenshot_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A passing Playground screenshot: Test loss 0.004, Training loss 0.003, Epoch 000,359."""
    return playground_png(tmp_path_factory.mktemp("screenshot"))


@pytest.fixture(scope="module")
def cohort_cache(tmp_path_factory: pytest.TempPathFactory, runtime: Runtime) -> Path:
    """A fresh KUBIG_CACHE per test module for CLI runs (results cache empty); runtimes/ is the real one."""
    cache = tmp_path_factory.mktemp("cohort-cache")
    (cache / "runtimes").symlink_to(runtime.root.parent, target_is_directory=True)
    return cache


# ------------------------------------------------------------------------- recording grader


@dataclass
class Graded:
    """One graded fixture submission: the engine's result plus what happened in the kernel."""

    fixture: str
    submission: Submission
    result: SubmissionResult
    execution: Execution | None = None
    notebook: NotebookNode | None = None  # as executed, with outputs
    probes: ProbeSession | None = None  # what the probe process reported

    @property
    def checks(self) -> dict[str, CheckResult]:
        return {c.id: c for c in self.result.checks}

    def check(self, check_id: str) -> CheckResult:
        return self.checks[check_id]

    @property
    def not_passing(self) -> set[str]:
        return {c.id for c in self.result.checks if c.status != Status.PASS}

    def code_points(self) -> dict[str, float]:
        """Points per check about the notebook's code (everything but naming/artifacts/playground)."""
        return {c.id: c.points for c in self.result.checks if c.id not in SUBMISSION_CHECKS}

    def cell_index(self, source: str) -> int:
        """Index of the (unique) cell with exactly this source."""
        assert self.notebook is not None, f"{self.fixture}: the notebook was not executed"
        hits = [i for i, c in enumerate(self.notebook.cells) if c.source == source]
        assert len(hits) == 1, (self.fixture, source, hits)
        return hits[0]

    def cell_run(self, source: str):
        """The CellRun (status, ename, evalue) of the cell with this source."""
        assert self.execution is not None, f"{self.fixture}: no execution recorded"
        index = self.cell_index(source)
        return next(c for c in self.execution.cells if c.index == index)

    def cell_output(self, source: str) -> str:
        """Everything the cell with this source printed or raised, as text."""
        return cell_text(self.notebook.cells[self.cell_index(source)])

    def describe(self) -> str:
        lines = [f"{self.fixture}: {self.result.status} {self.result.total:g}/{self.result.max_total:g}"]
        lines += [f"  {c.id}: {c.status} {c.points:g} — {c.message.en[:160]}" for c in self.result.checks]
        lines += [f"  note: {n.en[:160]}" for n in self.result.notes]
        if self.execution is not None:
            lines.append(f"  execution: {self.execution.status} {self.execution.detail}")
            lines += [f"  cell {c.index}: {c.status} {c.ename} {c.evalue[:100]}" for c in self.execution.error_cells]
        return "\n".join(lines)


def grade_batch(grader_pack: Pack, runtime: Runtime, files: dict[str, Path], jobs: int = 2,
                tuned: bool = True) -> dict[str, Graded]:
    """Grade files (fixture id → path) in one run_cohort batch; results by fixture id."""
    subs = {fid: discover_local(path, grader_pack)[0] for fid, path in files.items()}
    keys = [s.key for s in subs.values()]
    assert len(set(keys)) == len(keys), f"fixture submissions need distinct student keys: {keys}"
    executions: dict[str, Executed] = {}

    def record(done: Executed) -> None:
        executions[done.submission.key] = done

    grader = Grader(grader_pack, runtime, threads=1, tuned=tuned, on_execution=record)
    run = run_cohort(grader, list(subs.values()), out_dir=None, cache=None, jobs=jobs)
    assert not run.interrupted
    out = {}
    for (fid, sub), result in zip(subs.items(), run.results):
        assert result.submission.key == sub.key
        done = executions.get(sub.key)
        out[fid] = Graded(fid, sub, result, *((done.execution, done.notebook, done.probes) if done else (None,) * 3))
    return out


# ------------------------------------------------------------------------- fixture submissions


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def build_fixture_files(folder: Path, variants: ModuleType, template: Path, shot: bytes) -> dict[str, Path]:
    """Every fixture submission of the engine tests (fixture id → file).

    ids: bug:<BUGS name> (bug:correct is the reference), accepted:<ACCEPTED name>,
    hostile:<HOSTILE name>, template, and
    intake:<nfd|cp949|wrapped|misnamed|bare|empty|corrupt> (the reference notebook packed in
    ways students really do it, or not a zip at all), and intake:review (the reference with a
    Playground screenshot whose dataset cannot be read: the leader's review).
    """
    folder.mkdir(parents=True, exist_ok=True)

    def nb_bytes(nb: NotebookNode) -> bytes:
        return nbformat.writes(nb).encode("utf-8")

    def plain_zip(student: str, notebook: bytes, filename: str | None = None) -> Path:
        return write_zip(folder / (filename or zip_name(student)), [
            ZEntry(NOTEBOOK_ENTRY, notebook, flags=UTF8_FLAG),
            ZEntry(SCREENSHOT_ENTRY, shot, flags=UTF8_FLAG, deflate=False),
        ])

    files: dict[str, Path] = {}
    shutil.rmtree(variants.VICTIM, ignore_errors=True)  # the host folder hostile:plant_symlinks aims at
    variants.VICTIM.mkdir()
    (variants.VICTIM / "sentinel.txt").write_text("untouched")
    # Slow ones first so the two workers finish together.
    for name, variant in variants.HOSTILE.items():
        files[f"hostile:{name}"] = plain_zip(f"Hostile{camel(name)}", nb_bytes(variants.make_notebook(variant)))
    for name, variant in variants.BUGS.items():
        student = "Reference" if name == "correct" else f"Bug{camel(name)}"
        files[f"bug:{name}"] = plain_zip(student, nb_bytes(variants.make_notebook(variant)))
    for name, variant in variants.ACCEPTED.items():
        files[f"accepted:{name}"] = plain_zip(f"Accepted{camel(name)}", nb_bytes(variants.make_notebook(variant)))
    files["template"] = plain_zip("Template", template.read_bytes())

    reference = nb_bytes(variants.reference())
    # macOS: decomposed (NFD) Hangul entry names, plus the __MACOSX resource-fork junk.
    files["intake:nfd"] = write_zip(folder / zip_name("Nfd"), [
        ZEntry(_nfd(NOTEBOOK_ENTRY), reference, flags=UTF8_FLAG),
        ZEntry(_nfd(SCREENSHOT_ENTRY), shot, flags=UTF8_FLAG, deflate=False),
        ZEntry("__MACOSX/._" + _nfd(NOTEBOOK_ENTRY), b"\x00\x05\x16\x07junk", flags=UTF8_FLAG),
    ])
    # Windows (Korean locale): CP949 entry names without the UTF-8 flag.
    files["intake:cp949"] = write_zip(folder / zip_name("Cp949"), [
        ZEntry(NOTEBOOK_ENTRY.encode("cp949"), reference),
        ZEntry(SCREENSHOT_ENTRY.encode("cp949"), shot, deflate=False),
    ])
    # "Compress folder": everything inside one wrapper folder.
    wrapper = zip_name("Wrapped").removesuffix(".zip") + "/"
    files["intake:wrapped"] = write_zip(folder / zip_name("Wrapped"), [
        ZEntry(wrapper, b"", flags=UTF8_FLAG, unix_mode=0o040755),
        ZEntry(wrapper + NOTEBOOK_ENTRY, reference, flags=UTF8_FLAG),
        ZEntry(wrapper + SCREENSHOT_ENTRY, shot, flags=UTF8_FLAG, deflate=False),
    ])
    (folder / "review-shot").mkdir()
    unreadable_shot = playground_png(folder / "review-shot", dataset=None)  # no dataset thumbnail selected
    files["intake:review"] = write_zip(folder / zip_name("Review"), [
        ZEntry(NOTEBOOK_ENTRY, reference, flags=UTF8_FLAG),
        ZEntry(SCREENSHOT_ENTRY, unreadable_shot, flags=UTF8_FLAG, deflate=False),
    ])
    files["intake:misnamed"] = plain_zip("Misnamed", reference, filename=f"2주차_과제_{COHORT}기_Misnamed.zip")
    bare = folder / f"2주차 과제_{COHORT}기_Bare.ipynb"
    bare.write_bytes(reference)
    files["intake:bare"] = bare
    empty = folder / zip_name("Empty")
    empty.write_bytes(b"")
    files["intake:empty"] = empty
    corrupt = folder / zip_name("Corrupt")
    good = plain_zip("Corrupt", reference).read_bytes()
    corrupt.write_bytes(good[: len(good) // 3])  # truncated download: no central directory
    files["intake:corrupt"] = corrupt
    return files


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory: pytest.TempPathFactory, pack: Pack, variants: ModuleType,
                  screenshot_png: bytes) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fixture-submissions")
    return build_fixture_files(folder, variants, pack.file("template"), screenshot_png)


@pytest.fixture(scope="session")
def fixture_cohort(test_pack: Pack, runtime: Runtime, fixture_files: dict[str, Path]) -> dict[str, Graded]:
    """All fixture submissions, graded once in one batch (fixture id → Graded)."""
    graded = grade_batch(test_pack, runtime, fixture_files, jobs=2)
    return graded


def hangul(text: str) -> bool:
    return re.search(r"[가-힣]", text) is not None
