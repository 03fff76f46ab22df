"""Roster mode: every student has an own repository, listed in a CSV roster.

The roster is a CSV with columns ``student_id, name, cohort, github, repo_url`` and optionally
``branch`` and ``path`` (Korean headers 학번/이름/기수/깃허브/저장소/브랜치/경로 are accepted too),
encoded as UTF-8 (with or without BOM) or CP949 (Excel on Korean Windows).

`discover_roster` returns exactly one Submission per roster row, in roster order, keyed by
``student_id``; problems become a status, never an exception:

* ``unreachable``: the repository could not be fetched (git's error text in ``detail``);
* ``missing``: no repository URL, or nothing in the repository that looks like this week's work;
* ``unreadable``: found, but its git object is missing (a partial or shallow clone).

Where the submission is looked for (first rule that finds something):

1. ``path`` given: that file, or the ``.zip``/notebook files under that folder; a folder
   without zips is graded as a whole folder (notebook + screenshot together).
2. A folder whose name states the week (``2주차``, ``week2``, ``week-02``, ``w2``): as in 1.
3. Files anywhere whose name states the week (``2주차 과제_22기_X.zip``).
4. ``.zip``/notebook files in the repository root.

Among the versions found, the class-repository deadline/late-policy rules pick one.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.classrepo import Group, build_submission, split_folder, under
from grader.sources.gitcache import (
    DEFAULT_BACKOFF_S,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    CachedRepo,
    Change,
    MissingObject,
    SourceError,
    fetch_repo,
    normalize_url,
)
from grader.sources.versions import (
    Version,
    content_id,
    effective_deadline,
    has_extension,
    is_ignored,
    message_extra,
    nfc,
    submission_extensions,
)

if TYPE_CHECKING:
    from grader.leader.extensions import Extensions

REQUIRED = ("student_id", "name", "cohort", "github", "repo_url")
OPTIONAL = ("branch", "path")
ALIASES = {
    "학번": "student_id", "id": "student_id", "이름": "name", "성명": "name", "기수": "cohort",
    "깃허브": "github", "github_id": "github", "저장소": "repo_url", "레포": "repo_url", "repo": "repo_url",
    "url": "repo_url", "브랜치": "branch", "경로": "path", "폴더": "path",
}

MSG_NO_URL = Message("명단에 저장소 주소가 없습니다.", "The roster has no repository URL for this student.")
MSG_BROKEN_REPO = Message("저장소를 읽는 중 오류가 났습니다.", "Reading the repository failed.")
MSG_NOTHING = Message(
    "저장소에서 이번 주차 제출물을 찾을 수 없습니다.", "No submission for this week was found in the repository."
)


class RosterError(ValueError):
    """The roster file cannot be used; message says what to fix."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class RosterRow:
    """One student of the roster."""

    student_id: str
    name: str
    cohort: int | None
    github: str
    repo_url: str
    branch: str | None = None
    path: str | None = None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError(Message(
        "명단 파일의 인코딩을 읽을 수 없습니다. UTF-8 CSV로 저장해 주세요.",
        "The roster's text encoding is not UTF-8 or CP949; save it as a UTF-8 CSV.",
    ))


def _column(header: str) -> str:
    text = nfc(header).strip().strip("\ufeff").strip()
    return ALIASES.get(text, ALIASES.get(text.lower(), text.lower().replace(" ", "_").replace("-", "_")))


def split_github_url(url: str) -> tuple[str, str | None, str | None]:
    """A pasted browser URL (`…/owner/repo/tree/<branch>/<path>`) → (clone URL, branch, path)."""
    text = url.strip()
    if re.match(r"^(www\.)?github\.com/", text, re.IGNORECASE):
        text = "https://" + text
    match = re.match(r"^(https?://(?:www\.)?github\.com/[^/]+/[^/]+?)(?:\.git)?(?:/(?:tree|blob)/([^/]+)(?:/(.+?))?)?/?$",
                     text, re.IGNORECASE)
    if not match:
        return text, None, None
    return match.group(1), match.group(2), match.group(3)


def load_roster(csv_path: str | Path) -> list[RosterRow]:
    """Read the roster CSV (UTF-8 with/without BOM, or CP949). Raises RosterError on bad columns."""
    text = _decode(Path(csv_path).read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise RosterError(Message("명단 파일이 비어 있습니다.", "The roster file is empty."))
    columns = [_column(h) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterError(Message(
            f"명단에 필요한 열이 없습니다: {', '.join(missing)} (있는 열: {', '.join(header)}). "
            f"필요한 열: {', '.join(REQUIRED)} (+ 선택: {', '.join(OPTIONAL)}).",
            f"The roster lacks columns: {', '.join(missing)} (found: {', '.join(header)}). "
            f"Needed: {', '.join(REQUIRED)} (+ optional: {', '.join(OPTIONAL)}).",
        ))
    rows: list[RosterRow] = []
    seen: set[str] = set()
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        cells = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(columns)}
        student_id = cells["student_id"]
        if not student_id:
            raise RosterError(Message(f"명단 {line_no}행에 student_id가 없습니다.", f"Roster line {line_no} has no student_id."))
        if student_id in seen:
            raise RosterError(Message(
                f"명단에 student_id {student_id}가 두 번 있습니다 ({line_no}행).",
                f"student_id {student_id} appears twice in the roster (line {line_no}).",
            ))
        seen.add(student_id)
        digits = re.search(r"\d+", cells["cohort"])
        url, branch, path = split_github_url(cells["repo_url"]) if cells["repo_url"] else ("", None, None)
        rows.append(RosterRow(
            student_id=student_id,
            name=nfc(cells["name"]),
            cohort=int(digits.group()) if digits else None,
            github=cells["github"],
            repo_url=url,
            branch=cells.get("branch") or branch,
            path=cells.get("path") or path,
        ))
    return rows


def week_pattern(week: int) -> re.Pattern[str]:
    """A folder or file name that states the week: 2주차, week2, week_02, w2 (not 12주차)."""
    n = rf"0*{week}(?!\d)"
    return re.compile(rf"(?<!\d){n}\s*주\s*차|week\s*[-_ ]?\s*{n}|(?<![a-z\d])w\s*[-_]?\s*{n}", re.IGNORECASE)


def _select(changes: list[Change], row: RosterRow, pack: Pack) -> tuple[list[Change], str]:
    """The candidate changes for this row and a note on where they were found."""
    exts = submission_extensions(pack)
    live = [c for c in changes if c.status != "D" and not is_ignored(c.path)]

    def in_folder(parts: list[str]) -> list[Change]:
        inside = [c for c in live if under(c.path.split("/"), parts)]
        files = [c for c in inside if c.type == "blob" and has_extension(c.path, exts)]
        if files and not any(c.path.lower().endswith(".zip") for c in files):
            # no zips: the folder itself (notebook + screenshot) is the submission
            return [c for c in live if c.type == "tree" and [p.casefold() for p in c.path.split("/")]
                    == [p.casefold() for p in parts]] or files
        return files

    if row.path:
        parts = split_folder(row.path)
        exact = [c for c in live if c.type == "blob" and [p.casefold() for p in c.path.split("/")]
                 == [p.casefold() for p in parts]]
        return (exact or in_folder(parts)), f"path {row.path!r}"
    pattern = week_pattern(pack.week)
    week_dirs: list[list[str]] = []
    for c in live:
        dirs = c.path.split("/")[:-1] if c.type == "blob" else []
        for i, part in enumerate(dirs):
            if pattern.search(part):
                if dirs[: i + 1] not in week_dirs:
                    week_dirs.append(dirs[: i + 1])
                break
    found = [c for d in week_dirs for c in in_folder(d)]
    if found:
        return found, "week folder"
    named = [c for c in live if c.type == "blob" and has_extension(c.path, exts)
             and pattern.search(c.path.rsplit("/", 1)[-1])]
    if named:
        return named, "file name"
    return [c for c in live if c.type == "blob" and "/" not in c.path and has_extension(c.path, exts)], "root"


def _missing(row: RosterRow, status: str, message: Message, detail: str, **extra: object) -> Submission:
    return Submission(
        key=row.student_id, cohort=row.cohort, name=row.name or None, path=None, display_name="",
        source_path=row.repo_url, status=status, detail=detail,
        extra={**message_extra(message), "repo": row.repo_url, "github": row.github, **extra},
    )


def _discover_row(
    repo: CachedRepo, row: RosterRow, pack: Pack, deadline: datetime, materialize_dir: Path,
    extensions: Extensions | None = None,
) -> Submission:
    try:
        tip = repo.resolve(row.branch)
    except SourceError as exc:
        return _missing(row, "unreachable", exc.message, exc.detail)
    candidates, where = _select(repo.history(tip), row, pack)
    if not candidates:
        return _missing(row, "missing", MSG_NOTHING, f"{repo.url}: nothing found ({where})", branch_commit=tip)
    group = Group(row.student_id, row.cohort, row.name or None)
    tree_ids: dict[str, str] = {}
    for c in candidates:
        group.versions.append(Version.of(row.student_id, c, content_id(repo, c.type, c.sha, tree_ids)))
    extra = {"github": row.github, "branch_commit": tip, "found_by": where}
    extension = extensions.find(row.student_id, row.cohort, row.name) if extensions else None
    if extension is not None:  # this student's own deadline
        deadline = extension.deadline
        extra["extension"] = extension.to_json()
    # the student's own repository: it is the identity, so authors are not compared (dates are)
    return build_submission(repo, group, row.student_id, deadline, pack.late.policy, materialize_dir, extra,
                            check_authors=False)


def discover_roster(
    rows: list[RosterRow],
    pack: Pack,
    cache_dir: Path,
    materialize_dir: Path,
    deadline: datetime | None = None,
    *,
    extensions: Extensions | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
) -> list[Submission]:
    """One Submission per roster row (same order); each repository is fetched once per call."""
    when = effective_deadline(pack, deadline)
    repos: dict[str, CachedRepo | SourceError] = {}
    out: list[Submission] = []
    try:
        for row in rows:
            if not row.repo_url:
                out.append(_missing(row, "missing", MSG_NO_URL, "no repo_url in the roster"))
                continue
            url = normalize_url(row.repo_url)
            if url not in repos:
                try:
                    repos[url] = fetch_repo(url, cache_dir, timeout=timeout, retries=retries, backoff=backoff)
                except SourceError as exc:
                    repos[url] = exc
                except Exception as exc:  # noqa: BLE001 - e.g. a disk error: report, go on
                    repos[url] = SourceError(MSG_BROKEN_REPO, f"{type(exc).__name__}: {exc}")
            repo = repos[url]
            if isinstance(repo, SourceError):
                out.append(_missing(row, "unreachable", repo.message, repo.detail))
                continue
            try:
                out.append(_discover_row(repo, row, pack, when, Path(materialize_dir), extensions))
            except MissingObject as exc:  # fetched, but the chosen file's object is not there
                out.append(_missing(row, "unreadable", exc.message, exc.detail))
            except SourceError as exc:
                out.append(_missing(row, "unreachable", exc.message, exc.detail))
            except Exception as exc:  # noqa: BLE001 - one broken repository must not stop the class
                out.append(_missing(row, "unreachable", MSG_BROKEN_REPO, f"{type(exc).__name__}: {exc}"))
    finally:
        for repo in repos.values():
            if isinstance(repo, CachedRepo):
                repo.close()
    return out

