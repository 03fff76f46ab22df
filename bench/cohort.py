"""Benchmark: plain `jupyter nbconvert --execute` versus `grade week2` on the same cohort.

    python bench/cohort.py            # N = 16
    python bench/cohort.py --n 50     # or 200

Builds a synthetic class repository of N submissions from our reference and buggy
notebooks (week-2 pack variants, each zipped with a Playground screenshot), then measures on
this machine, with the same student runtime and the same offline data:
  (a) `jupyter nbconvert --to notebook --execute` over the notebooks one by one,
  (b) `grade week2 <repo>` with a cold result cache,
  (c) the same command again (regrade, nothing changed),
and prints a table. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import git
import nbformat
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.pack import load_pack  # noqa: E402
from grader.paths import cache_dir  # noqa: E402
from grader.runtime import load_runtime  # noqa: E402

FOLDER = "Basic Study/DL/2주차"


def _memory(p: psutil.Process) -> int:
    """Proportional set size (shared pages split between the processes sharing them), else RSS."""
    try:
        return p.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return p.memory_info().rss


class PeakMemory:
    """Samples the memory (PSS) of a process tree: the root process alone and everything together."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.root_peak = self.tree_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = [_memory(p) for p in procs if p.is_running()]
                self.root_peak = max(self.root_peak, rss[0])
                self.tree_peak = max(self.tree_peak, sum(rss))
            except (psutil.NoSuchProcess, psutil.AccessDenied, IndexError):
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def build_cohort(root: Path, n: int) -> tuple[Path, list[Path]]:
    """A class repository with n zips (one commit) and the same notebooks as plain files."""
    pack = load_pack("week2")
    variants = pack.module("variants_module")
    demo = pack.module("demo_module")
    shot = demo._screenshot()
    names = list(variants.BUGS)
    repo_dir, nb_dir = root / "class-repo", root / "notebooks"
    (repo_dir / FOLDER).mkdir(parents=True)
    nb_dir.mkdir()
    notebooks = []
    for i in range(n):
        nb = variants.make_notebook(variants.variant(names[i % len(names)]))
        data = nbformat.writes(nb).encode()
        student = f"벤치{i:03d}"
        (repo_dir / FOLDER / f"2주차 과제_25기_{student}.zip").write_bytes(
            demo._zip([(f"{student}.ipynb", data), ("playground.png", shot)]))
        path = nb_dir / f"{student}.ipynb"
        path.write_bytes(data)
        notebooks.append(path)
    repo = git.Repo.init(repo_dir, initial_branch="main")
    repo.git.add(A=True)
    when = datetime.fromisoformat("2025-09-15T12:00:00+09:00")
    actor = git.Actor("bench", "bench@kubig.example")
    repo.index.commit("Add files via upload", author=actor, committer=actor, author_date=when, commit_date=when)
    return repo_dir, notebooks


def run_nbconvert(notebooks: list[Path], runtime_bin: Path, root: Path) -> tuple[float, list[float], int]:
    """(a): one `jupyter nbconvert --execute` per notebook, sequentially, offline data as ../data."""
    work = root / "nbconvert" / "work"
    work.mkdir(parents=True)
    (work.parent / "data").symlink_to(load_runtime(load_pack("week2")).data)
    env = {**os.environ, "PATH": f"{runtime_bin}:{os.environ['PATH']}", "MPLBACKEND": "Agg"}
    times, peak = [], 0
    start = time.monotonic()
    for nb in notebooks:
        t0 = time.monotonic()
        proc = subprocess.Popen([str(runtime_bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                                 "--allow-errors", "--ExecutePreprocessor.timeout=600",
                                 "--output-dir", str(work), str(nb)],
                                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with PeakMemory(proc.pid) as mem:
            proc.wait()
        peak = max(peak, mem.tree_peak)
        times.append(time.monotonic() - t0)
    return time.monotonic() - start, times, peak


def run_grade(repo: Path, out: Path, env: dict[str, str], jobs: int, extra: list[str]) -> tuple[float, int, int, str]:
    cmd = [str(REPO / ".venv" / "bin" / "grade"), "week2", str(repo), "--folder", FOLDER, "--out", str(out),
           "--jobs", str(jobs), *extra]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory(proc.pid) as mem:
        output, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"grade failed:\n{output[-3000:]}")
    return time.monotonic() - start, mem.root_peak, mem.tree_peak, output


def overheads(out: Path) -> list[float]:
    """Per submission: grading wall time minus the time the student's own cells took."""
    data = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    values = []
    for r in data["results"]:
        t = r.get("timings", {})
        if "student_cells" in t:
            values.append(t["total"] - t["student_cells"])
    return values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=16, help="submissions (default 16)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-nbconvert", action="store_true", help="measure only (b) and (c)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--grade-args", default="", help="extra arguments for grade week2, e.g. '--no-warm'")
    args = ap.parse_args()
    runtime = load_runtime(load_pack("week2"))
    root = Path(tempfile.mkdtemp(prefix="kubig-bench-"))
    try:
        repo, notebooks = build_cohort(root, args.n)
        cache = root / "cache"
        cache.mkdir()
        (cache / "runtimes").symlink_to(cache_dir() / "runtimes")
        env = {**os.environ, "KUBIG_CACHE": str(cache)}
        a_total, a_times, a_peak = (0.0, [], 0) if args.skip_nbconvert else run_nbconvert(notebooks, runtime.bin, root)
        b_total, b_root_peak, b_tree_peak, _ = run_grade(repo, root / "out-b", env, args.jobs, args.grade_args.split())
        c_total, _, _, c_out = run_grade(repo, root / "out-c", env, args.jobs, args.grade_args.split())
        over = overheads(root / "out-b")
        n = args.n
        rows = [
            ("submissions", f"{n}"),
            ("(a) nbconvert, sequential: total", f"{a_total:.1f} s" if a_times else "skipped"),
            ("(a) per submission", f"{a_total / n:.1f} s" if a_times else "-"),
            (" ".join(["(b) grade week2", args.grade_args, f"cold, --jobs {args.jobs}: total"]).replace("  ", " "), f"{b_total:.1f} s"),
            ("(b) per submission", f"{b_total / n:.1f} s"),
            ("ratio b/a", f"{b_total / a_total:.2f}" if a_times else "-"),
            ("grader overhead per submission (median / max)",
             f"{statistics.median(over):.2f} s / {max(over):.2f} s" if over else "-"),
            ("(c) regrade, nothing changed", f"{c_total:.1f} s"),
            ("peak memory (PSS): grader process", f"{b_root_peak / 2**20:.0f} MB"),
            ("peak memory (PSS): grader + all kernels", f"{b_tree_peak / 2**20:.0f} MB"),
            ("peak memory (PSS): one nbconvert", f"{a_peak / 2**20:.0f} MB" if a_times else "-"),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"\nKUBIG grader benchmark — {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs")
        for key, value in rows:
            print(f"| {key.ljust(width)} | {value} |")
        print("(c) said:", next((line for line in c_out.splitlines() if "reused from cache" in line), "?"))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
