"""Plain data that crosses stage boundaries (intake → execute → check → report)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Status(StrEnum):
    """Outcome of one check."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    TIMEOUT = "timeout"
    NEEDS_REVIEW = "needs-review"


@dataclass(frozen=True)
class Message:
    """A message for a student, in Korean and English."""

    ko: str
    en: str

    def join(self, other: "Message", sep: str = " ") -> "Message":
        return Message(f"{self.ko}{sep}{other.ko}".strip(), f"{self.en}{sep}{other.en}".strip())

    def text(self, lang: str = "both") -> str:
        if lang == "ko":
            return self.ko
        if lang == "en":
            return self.en
        return f"{self.ko} / {self.en}"


@dataclass(frozen=True)
class LeaderDecision:
    """A session leader's decision on one check (grading/<pack>-overrides.csv).

    Applied: the check's status and points are the leader's; original_* keep the machine's.
    Stale (the student resubmitted since the decision): not applied, the check keeps the
    machine's verdict and goes back to the review queue.
    """

    decision: str  # pass | fail | points
    points: float
    comment: str = ""
    who: str = ""
    when: str = ""
    line: int = 0  # line of the overrides file
    stale: bool = False
    original_status: Status | None = None
    original_points: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"decision": self.decision, "points": self.points, "comment": self.comment, "who": self.who,
                "when": self.when, "line": self.line, "stale": self.stale}
        if self.original_status is not None:
            data.update(original_status=str(self.original_status), original_points=self.original_points)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LeaderDecision":
        original = data.get("original_status")
        return cls(
            decision=str(data["decision"]), points=float(data["points"]), comment=str(data.get("comment", "")),
            who=str(data.get("who", "")), when=str(data.get("when", "")), line=int(data.get("line", 0)),
            stale=bool(data.get("stale", False)), original_status=Status(original) if original else None,
            original_points=None if data.get("original_points") is None else float(data["original_points"]),
        )


@dataclass(frozen=True)
class CheckResult:
    """One scored check: the contract every front end reads."""

    id: str
    status: Status
    points: float
    max_points: float
    message: Message
    title: Message | None = None
    # for session leaders only (scores.json); never part of the student's message or feedback
    diagnostics: tuple[Message, ...] = ()
    decision: LeaderDecision | None = None  # the session leader's (applied, or stale)

    @property
    def machine_status(self) -> Status:
        """The grader's own verdict, whatever the leader decided."""
        d = self.decision
        if d is not None and not d.stale and d.original_status is not None:
            return d.original_status
        return self.status

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "status": str(self.status),
            "points": self.points,
            "max_points": self.max_points,
            "message": {"ko": self.message.ko, "en": self.message.en},
            "title": None if self.title is None else {"ko": self.title.ko, "en": self.title.en},
        }
        if self.diagnostics:
            data["diagnostics"] = [{"ko": m.ko, "en": m.en} for m in self.diagnostics]
        if self.decision is not None:
            data["decision"] = self.decision.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckResult":
        title = data.get("title")
        return cls(
            id=data["id"],
            status=Status(data["status"]),
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            message=Message(**data["message"]),
            title=Message(**title) if title else None,
            diagnostics=tuple(Message(**m) for m in data.get("diagnostics", ())),
            decision=LeaderDecision.from_json(data["decision"]) if data.get("decision") else None,
        )


@dataclass(frozen=True)
class NameInfo:
    """What the submission's file name says about the student."""

    original: str
    normalized: str
    week: int | None
    cohort: int | None
    name: str | None
    conforms: bool
    expected_name: str | None
    problems: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Intake:
    """A submission after unpacking: where its artifacts are, and what was wrong with it.

    status is "ok" when a notebook was found, else "unreadable" (the archive could not be
    opened) or "missing-notebook".
    """

    source: Path
    name: NameInfo
    status: str
    workdir: Path | None
    notebook: Path | None = None
    screenshot: Path | None = None
    files: tuple[str, ...] = ()
    problems: tuple[Message, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def to_plain(obj: Any) -> Any:
    """Dataclasses/paths/enums to JSON-able data."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, StrEnum):
        return str(obj)
    return obj


@dataclass(frozen=True)
class Submission:
    """One student's submission as a source found it (before intake).

    path is None when the student has no submission (status then says why: "missing",
    "unreachable", …). key identifies the student across runs ("22기_박세훈" or a roster id).
    """

    key: str
    cohort: int | None
    name: str | None
    path: Path | None
    display_name: str
    source_path: str
    commit: str | None = None
    submitted_at: str | None = None  # ISO 8601 with offset
    late: bool = False
    status: str | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionResult:
    """Everything the report needs about one student.

    status: graded | missing | misnamed | unreadable | timeout | error | unreachable
    isolation: full | reduced | none
    """

    submission: Submission
    status: str
    checks: tuple[CheckResult, ...]
    total: float
    max_total: float
    isolation: str
    notes: tuple[Message, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    content_hash: str | None = None  # sha256 of the graded submission's bytes (overrides are pinned to it)

    def to_json(self) -> dict[str, Any]:
        return {
            "submission": to_plain(self.submission),
            "status": self.status,
            "checks": [c.to_json() for c in self.checks],
            "total": self.total,
            "max_total": self.max_total,
            "isolation": self.isolation,
            "notes": [{"ko": m.ko, "en": m.en} for m in self.notes],
            "timings": self.timings,
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SubmissionResult":
        sub = dict(data["submission"])
        sub["path"] = Path(sub["path"]) if sub.get("path") else None
        return cls(
            submission=Submission(**sub),
            status=data["status"],
            checks=tuple(CheckResult.from_json(c) for c in data["checks"]),
            total=float(data["total"]),
            max_total=float(data["max_total"]),
            isolation=data["isolation"],
            notes=tuple(Message(**m) for m in data.get("notes", [])),
            timings=dict(data.get("timings", {})),
            content_hash=data.get("content_hash"),
        )
