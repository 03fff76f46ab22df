"""The two intake checks: the file-name convention and the submission's contents."""

from __future__ import annotations

from grader.models import CheckResult, Intake, Message, NameInfo, Status
from grader.pack import CheckSpec, Pack


def _join(messages: list[Message] | tuple[Message, ...]) -> Message:
    out = Message("", "")
    for message in messages:
        out = out.join(message)
    return out


def naming_check(name: NameInfo, spec: CheckSpec) -> CheckResult:
    """Full points when the file name follows the convention exactly, else 0 and the exact name to use."""
    if name.conforms:
        return CheckResult(spec.id, Status.PASS, spec.points, spec.points, Message(
            f"파일 이름 '{name.normalized}'이(가) 규칙에 맞습니다.",
            f"The file name '{name.normalized}' follows the convention."), spec.title)
    head = Message(
        f"파일 이름 '{name.normalized}'이(가) 규칙과 다릅니다. 올바른 이름: '{name.expected_name}'.",
        f"The file name '{name.normalized}' does not follow the convention. Correct name: '{name.expected_name}'.",
    )
    return CheckResult(spec.id, Status.FAIL, 0.0, spec.points, _join([head, *name.problems]), spec.title)


def _shares(pack: Pack, spec: CheckSpec) -> tuple[float, float]:
    """Points for (notebook, screenshot): half each when a screenshot is required."""
    if not pack.artifacts.screenshot_required:
        return spec.points, 0.0
    return spec.points / 2, spec.points / 2


def artifacts_check(intake: Intake, pack: Pack, spec: CheckSpec) -> CheckResult:
    """Points for the notebook and the screenshot being present; each loss explained."""
    nb_share, shot_share = _shares(pack, spec)
    lines: list[Message] = []
    points = spec.points
    if intake.notebook is None:
        points -= nb_share
        lines.append(Message(f"노트북 없음 (-{nb_share:g}점).", f"No notebook (-{nb_share:g} points)."))
    if intake.screenshot is None and pack.artifacts.screenshot_required:
        points -= shot_share
        lines.append(Message(f"Playground 스크린샷 없음 (-{shot_share:g}점).", f"No Playground screenshot (-{shot_share:g} points)."))
    if not lines:
        lines.append(Message("노트북과 스크린샷이 모두 있습니다.", "Both the notebook and the screenshot are present."))
    status = Status.PASS if points >= spec.points else Status.FAIL
    return CheckResult(spec.id, status, max(points, 0.0), spec.points, _join([*lines, *intake.problems]), spec.title)
