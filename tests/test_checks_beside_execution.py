"""A check declared `needs = "intake"` (week 2's Playground screenshot) is graded while the
notebook executes, not after it, and its result lands where the manifest puts it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from grader.grade import Executed, Grader
from grader.pack import Pack, PackError, load_pack
from grader.runtime import Runtime
from grader.sources.local import discover_local


def test_the_screenshot_is_graded_while_the_notebook_runs(test_pack: Pack, runtime: Runtime,
                                                           fixture_files: dict[str, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert next(c for c in test_pack.checks if c.id == "playground").needs == "intake"
    grader = Grader(test_pack, runtime, threads=1)
    playground = grader.module.CHECKS["playground"]
    screenshot_done = threading.Event()
    seen: dict[str, bool] = {}

    def recorded_playground(ctx, spec):
        seen["execution_given"] = ctx.execution is not None
        try:
            return playground(ctx, spec)
        finally:
            screenshot_done.set()

    def after_execution(done: Executed) -> None:
        # Checks that read the executed notebook run after this observer; a screenshot
        # graded with them would not be done yet and this would wait the full minute.
        seen["screenshot_done_when_notebook_ran"] = screenshot_done.wait(timeout=60)

    monkeypatch.setitem(grader.module.CHECKS, "playground", recorded_playground)
    grader.on_execution = after_execution
    try:
        result = grader.grade(discover_local(fixture_files["bug:correct"], test_pack)[0])
    finally:
        grader.close()

    assert seen == {"execution_given": False, "screenshot_done_when_notebook_ran": True}
    assert [c.id for c in result.checks] == [c.id for c in test_pack.checks]
    assert {c.id: str(c.status) for c in result.checks}["playground"] == "pass", result.checks
    assert result.total == result.max_total
    for stage in ("intake", "execute", "checks", "check_playground", "check_softmax", "probe_training"):
        assert result.timings[stage] >= 0, stage


def test_a_check_needing_something_else_stops_the_pack_with_its_name(tmp_path: Path) -> None:
    import shutil

    from grader.pack import REPO_ROOT

    folder = tmp_path / "week2"
    shutil.copytree(REPO_ROOT / "assignments" / "week2", folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = folder / "assignment.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('needs = "intake"', 'needs = "screenshot"'),
                        encoding="utf-8")
    with pytest.raises(PackError, match=r"playground \(needs = 'screenshot'\)"):
        load_pack(folder)
