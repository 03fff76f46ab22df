"""Checks every notebook assignment can reuse."""

from __future__ import annotations

from grader.check.context import CheckContext
from grader.check.results import failed, not_executed, passed, result
from grader.models import CheckResult, Message, Status
from grader.pack import CheckSpec


def notebook_runs_check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    """Full points when every code cell ran without an error or timeout."""
    early = not_executed(ctx, spec)
    if early:
        return early
    ex = ctx.execution
    assert ex is not None
    bad = ex.error_cells
    not_run = [c for c in ex.cells if c.status == "not-run"]
    if ex.status == "timeout":
        return result(spec, Status.TIMEOUT, Message(
            f"노트북 실행이 시간 제한으로 중단되었습니다 ({ex.detail}; 셀당 {ctx.pack.limits.cell_timeout_s:.0f}초, "
            f"전체 {ctx.pack.limits.notebook_timeout_s:.0f}초). 실행되지 않은 셀 {len(not_run)}개. 무한 루프나 너무 긴 학습이 없는지 확인하세요.",
            f"The notebook was stopped by a timeout ({ex.detail}; limits {ctx.pack.limits.cell_timeout_s:.0f} s per cell, "
            f"{ctx.pack.limits.notebook_timeout_s:.0f} s in all); {len(not_run)} cells did not run. Look for an endless loop or overly long training."))
    if ex.status == "died":
        return failed(spec, f"커널이 중간에 종료되었습니다 ({ex.detail}). 메모리를 너무 많이 쓰거나 프로세스를 종료하는 코드가 없는지 확인하세요.",
                      f"The kernel died during execution ({ex.detail}). Check for code that uses too much memory or exits the process.")
    if not bad:
        return passed(spec, f"코드 셀 {len(ex.cells)}개가 모두 오류 없이 실행되었습니다.",
                      f"All {len(ex.cells)} code cells ran without errors.")
    full = [c for c in bad if c.status == "error" and _disk_full(c.ename, c.evalue)]
    if full:
        lim = ctx.pack.limits
        cells = ", ".join(f"[{c.index}]" for c in full[:5])
        return failed(spec, f"디스크 한도에 도달했습니다 (셀 {cells}: {full[0].evalue[:80]}). 노트북이 쓸 수 있는 공간은 "
                            f"작업 폴더 {lim.disk_mb} MB·파일 {lim.max_files}개, /tmp {lim.disk_mb} MB입니다. 큰 파일이나 "
                            "아주 많은 파일을 쓰지 말고, 필요 없는 파일은 지우세요.",
                      f"Disk limit reached (cell {cells}: {full[0].evalue[:80]}). A notebook may write "
                      f"{lim.disk_mb} MB and {lim.max_files} files in its folder, and {lim.disk_mb} MB in /tmp. "
                      "Do not write huge or very many files; delete the ones you no longer need.")
    listed = ", ".join(f"[{c.index}] {c.ename}: {c.evalue[:80]}" if c.status == "error" else f"[{c.index}] timeout"
                       for c in bad[:5])
    return failed(spec, f"코드 셀 {len(bad)}개에서 오류가 났습니다 (셀 번호는 0부터): {listed}",
                  f"{len(bad)} code cell(s) failed (cell numbers from 0): {listed}")


DISK_FULL = ("No space left on device", "Disk quota exceeded", "File too large", "[Errno 28]", "[Errno 122]", "[Errno 27]")


def _disk_full(ename: str, evalue: str) -> bool:
    """A cell error that says the disk quota (ENOSPC, EDQUOT) or the file size limit (EFBIG) was hit."""
    return any(marker in evalue for marker in DISK_FULL) or (ename == "OSError" and "errno 28" in evalue.lower())
