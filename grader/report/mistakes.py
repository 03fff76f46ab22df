"""The most common mistakes of a cohort: the same failing message from several students, counted.

Messages that differ only in numbers (the values a student's function returned, cell numbers)
are the same mistake: numbers are replaced by '#' before grouping; the first student's
message is kept as the example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.models import Message, SubmissionResult
from grader.report.frame import order_results, student_name, submitted_notebook
from grader.report.text import FAILED_STATUSES

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Mistake:
    """One failing message shared by students (names in report order)."""

    check_id: str
    example: Message
    students: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.students)


def mistake_key(check_id: str, message: Message) -> tuple[str, str]:
    """What makes two failing messages the same mistake: the check and the English text without numbers."""
    return check_id, " ".join(_NUMBER.sub("#", message.en).split())


def common_mistakes(results: list[SubmissionResult]) -> list[Mistake]:
    """Every failing message grouped across the students who submitted a notebook (those who did
    not are counted in the summary's statuses), most frequent first, then in check order."""
    groups: dict[tuple[str, str], tuple[Message, list[str]]] = {}
    order: dict[str, int] = {}
    for result in order_results([r for r in results if submitted_notebook(r)]):
        for i, check in enumerate(result.checks):
            order.setdefault(check.id, i)
            if check.status not in FAILED_STATUSES:
                continue
            example, names = groups.setdefault(mistake_key(check.id, check.message), (check.message, []))
            names.append(student_name(result))
    mistakes = [Mistake(key[0], example, tuple(names)) for key, (example, names) in groups.items()]
    return sorted(mistakes, key=lambda m: (-m.count, order.get(m.check_id, 0)))
