"""Grading beyond one machine: shards + merge (GitHub Actions matrix) and Dask workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from grader.distribute import DaskGrade, merge_results, parse_shard, shard, shard_of
from grader.grade import Grader
from grader.cohort import run_cohort
from grader.models import Status, Submission, SubmissionResult
from grader.paths import cache_dir
from grader.sources.local import discover_local

REPO = Path(__file__).resolve().parents[1]
GRADE = str(Path(sys.executable).with_name("grade"))


def _sub(key: str) -> Submission:
    return Submission(key=key, cohort=25, name=key, path=None, display_name=f"{key}.zip", source_path=key)


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x/2", "3"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_shards_are_disjoint_and_cover_everyone() -> None:
    subs = [_sub(f"25기_학생{i}") for i in range(200)]
    parts = [shard(subs, k, 4) for k in range(1, 5)]
    keys = [s.key for part in parts for s in part]
    assert sorted(keys) == sorted(s.key for s in subs)  # disjoint and complete
    assert all(parts), "every shard gets some of 200 students"
    assert shard_of("25기_김민준", 4) == shard_of("25기_김민준", 4)


def test_merge_prefers_real_results_over_placeholders() -> None:
    a = SubmissionResult(_sub("x"), "error", (), 0.0, 100.0, "none")
    b = SubmissionResult(_sub("x"), "graded", (), 90.0, 100.0, "full")
    c = SubmissionResult(_sub("y"), "missing", (), 0.0, 100.0, "none")
    merged = merge_results([[a, c], [b]])
    assert [(r.submission.key, r.status) for r in merged] == [("x", "graded"), ("y", "missing")]


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory: pytest.TempPathFactory, fixture_files: dict[str, Path]) -> Path:
    """One real notebook submission plus submissions that need no kernel."""
    folder = tmp_path_factory.mktemp("shard-cohort")
    shutil.copy(fixture_files["bug:correct"], folder / fixture_files["bug:correct"].name)
    (folder / "2주차 과제_25기_영바이트.zip").write_bytes(b"")
    (folder / "2주차 과제_25기_손상.zip").write_bytes(b"PK\x03\x04broken")
    (folder / "2주차 과제_24기_텍스트.zip").write_text("not a zip")
    return folder


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A private result cache that still finds the built student runtime."""
    cache = tmp_path_factory.mktemp("kubig-cache")
    (cache / "runtimes").symlink_to(cache_dir() / "runtimes")
    return {**os.environ, "KUBIG_CACHE": str(cache)}


def _grade(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([GRADE, "week2", *args], env=env, capture_output=True, text=True, timeout=900)


def _rows(report: Path) -> pd.DataFrame:
    df = pd.read_csv(report / "scores.csv", encoding="utf-8-sig", dtype=str)
    return df.sort_values("key").reset_index(drop=True)


@pytest.mark.runtime
def test_shards_merge_to_the_unsharded_report(runtime, small_cohort: Path, cli_env: dict[str, str],
                                              tmp_path: Path) -> None:
    full = _grade([str(small_cohort), "--out", str(tmp_path / "full"), "--jobs", "2"], cli_env)
    assert full.returncode == 0, full.stderr
    parts = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        proc = _grade([str(small_cohort), "--shard", f"{k}/2", "--out", str(out)], cli_env)
        assert proc.returncode == 0, proc.stderr
        assert "graded 0" in proc.stderr  # shards reuse the unsharded run's cached results
        parts.append(_rows(out))
    assert set(parts[0]["key"]).isdisjoint(parts[1]["key"])
    merged_dir = tmp_path / "merged"
    proc = subprocess.run([GRADE, "merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "--out", str(merged_dir)],
                          env=cli_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    merged, unsharded = _rows(merged_dir), _rows(tmp_path / "full")
    assert len(merged) == 4
    pd.testing.assert_frame_equal(merged, unsharded)
    assert (merged.set_index("key").loc["25기_Reference", "total"]) == "100.0"


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.runtime
def test_dask_workers_give_the_local_result(dask_cluster, test_pack, fixture_files, fixture_cohort) -> None:
    """Submissions travel to Dask worker processes as plain data; results equal the local run's."""
    subs = discover_local(fixture_files["bug:correct"], test_pack) + discover_local(fixture_files["intake:empty"], test_pack)
    grader = Grader(test_pack, None)
    run = run_cohort(grader, subs, None, None, jobs=2, grade_fn=DaskGrade(dask_cluster, test_pack, grader.run_seed))
    by_key = {r.submission.key: r for r in run.results}
    local = {g.result.submission.key: g.result for g in (fixture_cohort["bug:correct"], fixture_cohort["intake:empty"])}
    assert by_key.keys() == local.keys()
    for key, remote in by_key.items():
        assert remote.status == local[key].status
        assert remote.total == local[key].total
        assert [(c.id, c.status, c.points) for c in remote.checks] == [(c.id, c.status, c.points) for c in local[key].checks]
    assert by_key[subs[0].key].total == 100 and by_key[subs[0].key].isolation == local[subs[0].key].isolation


@pytest.mark.runtime
def test_a_worker_dying_mid_grade_loses_nothing(dask_cluster, test_pack, fixture_files) -> None:
    sub = discover_local(fixture_files["bug:correct"], test_pack)[0]
    grade = DaskGrade(dask_cluster, test_pack, run_seed=7)
    killed: list[str] = []

    def kill_the_busy_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for worker, tasks in dask_cluster.processing().items():
                if tasks:
                    time.sleep(3)  # let it get into the notebook
                    killed.append(worker)
                    try:
                        dask_cluster.run(os._exit, 1, workers=[worker])
                    except Exception:  # the worker dies before it can answer
                        pass
                    return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_busy_worker)
    killer.start()
    result = grade(sub)
    killer.join()
    assert killed, "the test never saw the task running"
    assert result.status == "graded" and result.total == 100  # retried on a surviving worker
    assert all(c.status == Status.PASS for c in result.checks)
