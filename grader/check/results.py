"""Small constructors for CheckResults, so check functions stay short."""

from __future__ import annotations

from grader.check.context import CheckContext
from grader.execute.probes import ProbeOutput
from grader.models import CheckResult, Message, Status
from grader.pack import CheckSpec


def result(spec: CheckSpec, status: Status, message: Message, points: float | None = None) -> CheckResult:
    if points is None:
        points = spec.points if status == Status.PASS else 0.0
    points = max(0.0, min(spec.points, points))
    return CheckResult(spec.id, status, points, spec.points, message, spec.title)


def passed(spec: CheckSpec, ko: str, en: str) -> CheckResult:
    return result(spec, Status.PASS, Message(ko, en))


def failed(spec: CheckSpec, ko: str, en: str, points: float = 0.0) -> CheckResult:
    return result(spec, Status.FAIL, Message(ko, en), points)


def not_executed(ctx: CheckContext, spec: CheckSpec) -> CheckResult | None:
    """A result explaining why nothing could be probed, or None when the notebook was run.

    A notebook stopped by a time limit is still probed: the probes load the definitions of the
    cells that ran.
    """
    if ctx.intake.notebook is None:
        return failed(spec, "노트북이 없어 확인할 수 없습니다.", "No notebook was submitted, so this could not be checked.")
    ex = ctx.execution
    if ex is None or ex.status == "failed":
        detail = "" if ex is None else ex.detail
        return result(
            spec, Status.ERROR,
            Message(f"노트북을 실행하지 못했습니다 (채점기 문제일 수 있음): {detail}",
                    f"The notebook could not be executed (possibly a grader problem): {detail}"),
        )
    return None


def probe_failure(spec: CheckSpec, probe: ProbeOutput, what: str) -> CheckResult | None:
    """A result for a probe that did not return values, or None when it did."""
    if probe.status == "ok":
        return None
    if probe.status == "timeout":
        return result(
            spec, Status.TIMEOUT,
            Message(f"{what}을(를) 숨겨진 입력으로 호출했지만 제한 시간 안에 끝나지 않았습니다.",
                    f"Calling {what} on hidden inputs did not finish within the time limit."),
        )
    err = probe.error or "no result"
    if err.startswith("KeyError") and what.split("(")[0].split(".")[0] in err:
        return failed(
            spec, f"노트북 실행 후 {what}이(가) 정의되어 있지 않습니다. 해당 셀이 오류 없이 실행되는지 확인하세요.",
            f"{what} is not defined after running the notebook. Make sure its cell runs without errors.",
        )
    if probe.status == "error":  # the student's code raised: a failure of that code, not of the grader
        return failed(spec, f"{what}을(를) 숨겨진 입력으로 호출하자 오류가 났습니다: {err}",
                      f"Calling {what} on hidden inputs raised an error: {err}")
    return result(
        spec, Status.ERROR,
        Message(f"{what}을(를) 숨겨진 입력으로 호출한 결과가 돌아오지 않았습니다: {err}",
                f"No result came back from calling {what} on hidden inputs: {err}"),
    )


def probed(ctx: CheckContext, spec: CheckSpec, name: str, what: str) -> ProbeOutput | CheckResult:
    """The probe's output, or the CheckResult explaining why there is none (what = what was called)."""
    early = not_executed(ctx, spec)
    if early is not None:
        return early
    probe = ctx.probe(name)
    bad = probe_failure(spec, probe, what)
    return probe if bad is None else bad
