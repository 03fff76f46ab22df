"""Grading beyond one machine: deterministic shards, merging partial reports, Dask workers.

- `shard(subs, k, n)`: a deterministic 1/n of a cohort (by a hash of the student key), so
  n GitHub Actions jobs grade disjoint parts that together cover everyone.
- `merge_results(dirs)`: join partial reports (their scores.json) into one result list.
- `DaskGrade`: send each submission to a Dask worker as plain data (the submission's bytes,
  its metadata, the pack id and the run seed); the worker grades it with its own runtime
  (`grade setup` done there) and returns the result as JSON. A worker that dies mid-grade
  makes Dask retry the task elsewhere; if it still fails, the student gets an "error" row.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.models import Message, Submission, SubmissionResult, to_plain
from grader.pack import Pack


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' → (K, N) with 1 ≤ K ≤ N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError as exc:
        raise ValueError(f"--shard must look like K/N (e.g. 2/4), got {text!r}") from exc
    if not 1 <= k <= n:
        raise ValueError(f"--shard K/N needs 1 ≤ K ≤ N, got {text!r}")
    return k, n


def shard_of(key: str, n: int) -> int:
    """The shard (1..n) a student key belongs to; stable across machines and runs."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n + 1


def shard(subs: list[Submission], k: int, n: int) -> list[Submission]:
    return [s for s in subs if shard_of(s.key, n) == k]


def merge_results(parts: list[list[SubmissionResult]]) -> list[SubmissionResult]:
    """One row per student: a real result wins over an error placeholder from another part."""
    merged: dict[str, SubmissionResult] = {}
    for results in parts:
        for r in results:
            old = merged.get(r.submission.key)
            if old is None or (old.status in ("error", "pending") and r.status not in ("error", "pending")):
                merged[r.submission.key] = r
    return sorted(merged.values(), key=lambda r: r.submission.key)


# ---------------------------------------------------------------- Dask


def _pack_files(path: Path) -> dict[str, str]:
    """A submission file or folder as {relative name: base64 bytes}."""
    if path.is_file():
        return {path.name: base64.b64encode(path.read_bytes()).decode()}
    return {str(p.relative_to(path)): base64.b64encode(p.read_bytes()).decode()
            for p in sorted(path.rglob("*")) if p.is_file()}


def submission_payload(sub: Submission, pack: Pack, run_seed: int) -> dict[str, Any]:
    """Plain data a worker needs; nothing of the leader's file system."""
    data = to_plain(sub)
    files = _pack_files(sub.path) if sub.path is not None and sub.path.exists() else None
    return {"pack": pack.id, "run_seed": run_seed, "submission": data, "files": files,
            "is_dir": bool(sub.path and sub.path.is_dir())}


@functools.lru_cache(maxsize=4)
def _worker_grader(pack_id: str, run_seed: int):
    from grader.grade import Grader
    from grader.pack import load_pack
    from grader.runtime import load_runtime

    pack = load_pack(pack_id)
    return Grader(pack, load_runtime(pack), threads=1, run_seed=run_seed)


def grade_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Runs on a Dask worker: rebuild the submission in a temp dir, grade, return JSON."""
    grader = _worker_grader(payload["pack"], payload["run_seed"])
    sub_data = dict(payload["submission"])
    sub_data["path"] = None
    sub = Submission(**sub_data)
    with tempfile.TemporaryDirectory(prefix="kubig-dask-") as tmp:
        if payload["files"] is not None:
            root = Path(tmp) / "submission"
            for rel, b64 in payload["files"].items():
                target = (root / rel) if payload["is_dir"] else (Path(tmp) / rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(b64))
            path = root if payload["is_dir"] else Path(tmp) / next(iter(payload["files"]))
            sub = replace(sub, path=path)
        return grader.grade(sub).to_json()


class DaskGrade:
    """A callable like Grader.grade that runs on a Dask cluster instead of here."""

    def __init__(self, scheduler: str | Any, pack: Pack, run_seed: int, retries: int = 2) -> None:
        from distributed import Client

        self.client = scheduler if hasattr(scheduler, "submit") else Client(scheduler, timeout="30s")
        self.pack, self.run_seed, self.retries = pack, run_seed, retries

    def __call__(self, sub: Submission) -> SubmissionResult:
        payload = submission_payload(sub, self.pack, self.run_seed)
        future = self.client.submit(grade_payload, payload, pure=False, retries=self.retries)
        try:
            data = future.result()
        except Exception as exc:  # KilledWorker, lost connection…: reported, never dropped
            text = f"{type(exc).__name__}: {exc}"[:300]
            return SubmissionResult(sub, "error", (), 0.0, self.pack.max_points, "none", notes=(
                Message(f"분산 채점 워커에서 실패했습니다: {text}", f"Grading failed on a Dask worker: {text}"),))
        result = SubmissionResult.from_json(data)
        return replace(result, submission=sub)

    def close(self) -> None:
        self.client.close()
