"""Intake: file-name parsing, hostile-zip unpacking, artifact discovery and the two intake checks."""

from grader.intake.archive import ArchiveError, ArchiveLimits, ArchiveResult, extract_archive
from grader.intake.artifacts import open_submission
from grader.intake.checks import artifacts_check, naming_check
from grader.intake.naming import parse_name

__all__ = [
    "ArchiveError",
    "ArchiveLimits",
    "ArchiveResult",
    "artifacts_check",
    "extract_archive",
    "naming_check",
    "open_submission",
    "parse_name",
]
