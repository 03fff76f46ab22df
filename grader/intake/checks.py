"""The two intake checks: the file-name convention and the submission's contents."""

from __future__ import annotations

from grader.intake.naming import josa
from grader.models import CheckResult, Intake, Message, NameInfo, Status
from grader.pack import ArtifactRole, CheckSpec, Pack


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


def _present(intake: Intake, role: ArtifactRole) -> bool:
    if role.kind == "notebook":
        return intake.notebook is not None
    return len(intake.extra.get(f"{role.id}_candidates", ())) >= role.min and intake.artifact(role.id) is not None


def artifacts_check(intake: Intake, pack: Pack, spec: CheckSpec) -> CheckResult:
    """Points for each required artifact role being present (an equal share each); each loss explained."""
    required = [r for r in pack.artifacts.roles if r.required]
    share = spec.points / len(required) if required else 0.0
    lines: list[Message] = []
    points = spec.points
    for role in required:
        if not _present(intake, role):
            points -= share
            lines.append(Message(f"{role.title.ko} 없음 (-{share:g}점).", f"No {role.title.en} (-{share:g} points)."))
    if not lines:
        words = [r.word for r in required]
        if len(words) == 2:
            lines.append(Message(f"{_and_ko(words[0].ko, words[1].ko)}{josa(words[1].ko, '이', '가')} 모두 있습니다.",
                                 f"Both the {words[0].en} and the {words[1].en} are present."))
        else:
            lines.append(Message(f"제출물이 모두 있습니다: {', '.join(w.ko for w in words)}.",
                                 f"Everything is present: {', '.join(w.en for w in words)}."))
    status = Status.PASS if points >= spec.points else Status.FAIL
    return CheckResult(spec.id, status, max(points, 0.0), spec.points, _join([*lines, *intake.problems]), spec.title)


def _and_ko(a: str, b: str) -> str:
    """"a과 b" / "a와 b"."""
    return f"{a}{josa(a, '과', '와')} {b}"
