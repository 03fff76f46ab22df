"""Run every check a pack declares, in manifest order, and never let one break the others."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from types import ModuleType

from grader.check.context import CheckContext
from grader.check.results import result
from grader.intake.checks import artifacts_check, naming_check
from grader.models import CheckResult, Message, Status
from grader.pack import CheckSpec, Pack, PackError
from grader.packapi import ChecksModule


def check_functions(pack: Pack, module: ModuleType) -> dict:
    """The pack's CHECKS mapping (`grader.packapi.ChecksModule`), validated against the manifest."""
    if not isinstance(module, ChecksModule):
        raise PackError(f"{pack.folder}: the checks module needs CHECKS and make_inputs (grader/packapi.py)")
    funcs = dict(getattr(module, "CHECKS", {}))
    builtin = {pack.naming.check, pack.artifacts.check}
    missing = [c.id for c in pack.checks if c.id not in funcs and c.id not in builtin]
    if missing:
        raise PackError(f"{pack.folder}: checks declared without a function in CHECKS: {missing}")
    return funcs


def run_checks(ctx: CheckContext, module: ModuleType, seconds: dict[str, float] | None = None,
               specs: Sequence[CheckSpec] | None = None) -> tuple[CheckResult, ...]:
    """One CheckResult per declared check (or per spec of `specs`, in their order); a crashing
    check function becomes status error. `seconds`, when given, receives each check's wall
    time under its id."""
    pack = ctx.pack
    funcs = check_functions(pack, module)
    out: list[CheckResult] = []
    for spec in (pack.checks if specs is None else specs):
        started = time.monotonic()
        try:
            if spec.id in funcs:  # a pack may replace a built-in check (e.g. naming over several files)
                res = funcs[spec.id](ctx, spec)
            elif spec.id == pack.naming.check:
                res = naming_check(ctx.intake.name, spec)
            elif spec.id == pack.artifacts.check:
                res = artifacts_check(ctx.intake, pack, spec)
            else:
                res = funcs[spec.id](ctx, spec)
            if res.id != spec.id or res.max_points != spec.points:
                res = result(spec, res.status, res.message, res.points)
        except Exception as exc:  # a grader bug must not cost other checks
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            res = result(spec, Status.ERROR, Message(
                f"채점기 내부 오류로 이 항목을 확인하지 못했습니다: {tb}. 세션 리더에게 알려주세요.",
                f"A grader error prevented this check: {tb}. Please tell the session leader."))
        out.append(res)
        if seconds is not None:
            seconds[spec.id] = time.monotonic() - started
    return tuple(out)
