"""A local cache of remote git repositories, and NFD-safe reads of their trees and history.

Each repository (URL or local path) is kept as a bare clone in
``cache_dir / "repos" / sha256(url)[:16]``. The first call clones it (full history: deadlines
are decided from commit times); later calls only fetch. Network operations run non-interactively
(``GIT_TERMINAL_PROMPT=0``, ssh ``BatchMode``), with a hard timeout and a bounded retry, and every
failure becomes a :class:`SourceError` carrying a bilingual :class:`Message`.

File names are read with ``core.quotepath=false`` and ``-z`` listings, as raw bytes. The raw path
is kept (it is what git stores); the NFC-normalised text is used for identity, so the same file
committed once from Windows/Linux (NFC) and once from macOS (NFD) is recognisably one file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from grader.models import Message

try:  # POSIX: serialise concurrent runs on the same cached repository.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_S = 1.0
NULL_SHA = "0" * 40

# Errors that a retry cannot fix (the repository is not there, or we may not read it).
_PERMANENT = re.compile(
    r"not found|does not exist|not appear to be a git repository|authentication failed|"
    r"could not read (username|password)|terminal prompts disabled|permission denied|"
    r"access denied|invalid username|not a git repository|no such file or directory|"
    r"unable to find remote helper|protocol .* is not supported|"
    r"repository .* (disabled|unavailable)",
    re.IGNORECASE,
)


class SourceError(Exception):
    """A submission source could not be read; message is for people, detail is git's own text."""

    def __init__(self, message: Message, detail: str = "") -> None:
        super().__init__(f"{message.en}: {detail}" if detail else message.en)
        self.message = message
        self.detail = detail


MSG_UNREACHABLE = Message(
    "저장소에 접근할 수 없습니다 (주소가 틀렸거나, 비공개이거나, 이름이 바뀌었거나, 네트워크 문제).",
    "The repository cannot be reached (wrong address, private, renamed, or a network problem).",
)
MSG_TIMEOUT = Message(
    "저장소를 가져오는 데 시간이 너무 오래 걸려 중단했습니다.",
    "Fetching the repository took too long and was stopped.",
)
MSG_EMPTY = Message("저장소가 비어 있습니다 (커밋이 없음).", "The repository is empty (no commits).")
MSG_NO_BRANCH = Message("저장소에 해당 브랜치가 없습니다.", "The repository has no such branch.")
MSG_BROKEN = Message("저장소를 읽을 수 없습니다.", "The repository cannot be read.")
MSG_MISSING_OBJECT = Message(
    "저장소에서 이 제출물의 파일 내용(git 객체)을 읽을 수 없습니다. 부분 클론(git clone --filter)이나 "
    "얕은 클론으로 큰 파일을 받지 않은 저장소일 가능성이 큽니다. 전체 클론(--filter 없이)이나 원격 저장소 "
    "주소로 다시 채점하세요.",
    "The submission's file content (its git object) cannot be read from the repository, most likely "
    "because it is a partial clone (git clone --filter) or shallow fetch that never downloaded large "
    "files. Grade a full clone (no --filter) or the remote repository's URL instead.",
)


class MissingObject(SourceError):
    """One git object cannot be read (partial clone, shallow fetch, corruption)."""


def normalize_url(url_or_path: str | os.PathLike[str]) -> str:
    """The canonical spelling used as cache key: existing local paths become absolute paths."""
    text = os.fspath(url_or_path).strip()
    if "://" not in text and not re.match(r"^[\w.-]+@[\w.-]+:", text):
        local = Path(text).expanduser()
        if local.exists():
            return str(local.resolve())
    return text.rstrip("/") if len(text) > 1 else text


def cache_path(cache_dir: Path, url_or_path: str) -> Path:
    """Where the bare clone of url_or_path lives."""
    digest = hashlib.sha256(normalize_url(url_or_path).encode("utf-8")).hexdigest()[:16]
    return Path(cache_dir) / "repos" / digest


def git_env() -> dict[str, str]:
    """Environment for network git commands: never prompt, give up on stalled transfers."""
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "GIT_HTTP_LOW_SPEED_LIMIT": os.environ.get("GIT_HTTP_LOW_SPEED_LIMIT", "1000"),
        "GIT_HTTP_LOW_SPEED_TIME": os.environ.get("GIT_HTTP_LOW_SPEED_TIME", "30"),
    }
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=20"
    return env


def decode_path(raw: bytes) -> str:
    """Raw git path bytes → text (UTF-8; undecodable bytes kept via surrogateescape)."""
    return raw.decode("utf-8", errors="surrogateescape")


def nfc(text: str) -> str:
    """NFC form of text (the identity of a path)."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class TreeEntry:
    """One entry of `git ls-tree -r -z`: path is NFC text, raw_path the stored bytes."""

    path: str
    raw_path: bytes
    mode: str
    type: str  # blob | tree | commit
    sha: str


@dataclass(frozen=True)
class Change:
    """One path added or modified by a commit (from `git log --raw -z`)."""

    commit: str
    committed: datetime
    authored: datetime
    order: int  # larger = newer in history order (tie-break for equal timestamps)
    path: str  # NFC
    raw_path: bytes
    type: str  # blob | tree
    sha: str
    status: str  # A | M | T | D
    author_email: str = ""  # git author (set by the uploader's client; GitHub uploads: the account)
    author_name: str = ""
    # When the commit can have reached the branch at the earliest: its committer date, or the
    # latest date among its ancestors when that is later (its own date was set backwards).
    effective: datetime | None = None
    dated_by: str = ""  # the ancestor whose date sets `effective` ("" when it is the commit's own)

    @property
    def when(self) -> datetime:
        return self.effective or self.committed


def effective_times(
    commits: list[tuple[str, datetime, list[str]]],
) -> dict[str, tuple[datetime, str]]:
    """commit → (effective time, the commit whose date sets it), for commits listed children first.

    A commit cannot exist before its parents: its effective time is the latest of its own
    committer date and its parents' effective times. On the default branch, where pushes only
    append, a commit dated earlier than an ancestor was backdated (or the ancestor future-dated).
    """
    out: dict[str, tuple[datetime, str]] = {}
    for sha, date, parents in reversed(commits):  # parents before children
        best, source = date, sha
        for parent in parents:
            if parent in out and out[parent][0] > best:
                best, source = out[parent]
        out[sha] = (best, source)
    return out


def _error_text(exc: Exception) -> str:
    if isinstance(exc, GitCommandError):
        stderr = (exc.stderr or "").strip()
        stderr = re.sub(r"^\s*stderr:\s*", "", stderr).strip().strip("'").strip()
        return stderr or str(exc)
    return str(exc)


def _classify(detail: str) -> Message:
    if detail.startswith("Timeout:") or "timed out" in detail.lower():
        return MSG_TIMEOUT
    return MSG_UNREACHABLE


T = TypeVar("T")


def _with_retry(op: Callable[[], T], retries: int, backoff: float) -> T:
    """Run op(); retry transient git failures `retries` times with exponential backoff."""
    for attempt in range(retries + 1):
        try:
            return op()
        except GitCommandError as exc:
            detail = _error_text(exc)
            if attempt >= retries or _PERMANENT.search(detail):
                raise SourceError(_classify(detail), detail) from exc
            time.sleep(backoff * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class CachedRepo:
    """A bare clone in the cache plus the reads the sources need (all NFD-safe)."""

    def __init__(self, url: str, path: Path, repo: git.Repo, cloned: bool) -> None:
        self.url = url
        self.path = path
        self.repo = repo
        self.cloned = cloned  # True: this call cloned it; False: it was only fetched

    def close(self) -> None:
        self.repo.close()

    def __enter__(self) -> "CachedRepo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _git(self, *args: str, **kwargs: object) -> bytes:
        return self.repo.git.execute(
            ["git", "-c", "core.quotepath=false", *args],
            stdout_as_string=False,
            strip_newline_in_stdout=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def resolve(self, branch: str | None = None) -> str:
        """The commit SHA of branch (default: the remote's default branch)."""
        refs = self._git("for-each-ref", "--format=%(refname)", "refs/heads/").split()
        if not refs:
            raise SourceError(MSG_EMPTY, f"{self.url}: no branches")
        rev = f"refs/heads/{branch}" if branch else "HEAD"
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
        except GitCommandError as exc:
            if branch:
                have = ", ".join(r.decode().removeprefix("refs/heads/") for r in refs)
                raise SourceError(MSG_NO_BRANCH, f"{self.url}: no branch {branch!r} (have: {have})") from exc
            # HEAD points to a branch that no longer exists: take main/master/the first one.
            names = [r.decode() for r in refs]
            for pick in ("refs/heads/main", "refs/heads/master", names[0]):
                if pick in names:
                    return self._git("rev-parse", pick).decode().strip()
            raise  # pragma: no cover

    def ls_tree(self, rev: str) -> list[TreeEntry]:
        """Every blob under rev (a commit or tree SHA), recursively, as NFC/raw path pairs."""
        out = self._git("ls-tree", "-r", "-z", "--full-tree", rev)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw = record.partition(b"\t")
            mode, kind, sha = meta.decode().split()
            entries.append(TreeEntry(nfc(decode_path(raw)), raw, mode, kind, sha))
        return entries

    def history(self, rev: str) -> list[Change]:
        """Every path (blobs and trees) added or modified in rev's history, newest first.

        Uses `git log --raw -r -t -z --no-renames`: a tree line for a folder appears whenever
        anything under it changed, carrying the folder's new tree SHA. Merge commits show no
        changes (the merged commits themselves are listed).
        """
        out = self._git(
            "log", "-z", "--raw", "-r", "-t", "--no-abbrev", "--no-renames", "--date-order",
            "--format=%x01%H%x1f%cI%x1f%aI%x1f%P%x1f%ae%x1f%an", rev,
        )
        tokens = out.split(b"\0")
        changes: list[Change] = []
        commits: list[tuple[str, datetime, list[str]]] = []
        authors: dict[str, tuple[str, str]] = {}
        commit, committed, authored = "", datetime.min, datetime.min
        count = 0
        i = 0
        while i < len(tokens):
            token = tokens[i].lstrip(b"\n")
            i += 1
            if token.startswith(b"\x01"):
                sha, c_iso, a_iso, parents, email, name = token[1:].decode(errors="replace").split("\x1f", 5)
                commit, committed, authored = sha, datetime.fromisoformat(c_iso), datetime.fromisoformat(a_iso)
                commits.append((sha, committed, parents.split()))
                authors[sha] = (email.strip(), name.strip())
                count += 1
            elif token.startswith(b":"):
                raw = tokens[i] if i < len(tokens) else b""
                i += 1
                fields = token[1:].decode().split()
                new_mode, new_sha, status = fields[1], fields[3], fields[4][:1]
                kind = "tree" if new_mode == "040000" else "commit" if new_mode == "160000" else "blob"
                changes.append(Change(commit, committed, authored, -count, nfc(decode_path(raw)), raw, kind, new_sha, status))
        # order: newest commit gets the largest number
        effective = effective_times(commits)
        return [
            Change(c.commit, c.committed, c.authored, count + c.order, c.path, c.raw_path, c.type, c.sha, c.status,
                   *authors[c.commit], effective[c.commit][0],
                   effective[c.commit][1] if effective[c.commit][1] != c.commit else "")
            for c in changes
        ]

    def commit_info(self, sha: str) -> tuple[str, str]:
        """(author, committer date) of a commit, for messages."""
        out = self._git("show", "-s", "--format=%an <%ae>%x1f%cI", sha).decode(errors="replace").strip()
        author, _, date = out.partition("\x1f")
        return author, date

    def read_blob(self, sha: str) -> bytes:
        """The bytes of a blob; MissingObject (git's own error text as detail) when it is not there."""
        try:
            return self.repo.odb.stream(bytes.fromhex(sha)).read()
        except (ValueError, GitCommandError, OSError) as exc:
            raw = _error_text(exc).replace("b'", "").replace("'", "")
            raise MissingObject(
                MSG_MISSING_OBJECT, f"git object {sha} is missing{self.incomplete_note()} (git: {raw})"
            ) from exc

    def incomplete_note(self) -> str:
        """Why objects may be missing from this clone ("" when it looks complete)."""
        notes: list[str] = []
        if any((self.path / "objects" / "pack").glob("*.promisor")):
            notes.append("partial clone (made with --filter: large files were not downloaded)")
        if (self.path / "shallow").exists():
            notes.append("shallow clone (history cut off)")
        source = partial_origin(self.url)
        if source:
            notes.append(f"the source is a partial clone of {source}: grade that URL instead")
        return f" [{'; '.join(notes)}]" if notes else ""


def partial_origin(url_or_path: str) -> str | None:
    """For a local partial clone (``git clone --filter``): where it was cloned from (else None)."""
    path = Path(url_or_path)
    if "://" in url_or_path or not path.exists():
        return None
    try:
        cfg = git.Git(str(path))
        listing = cfg.execute(["git", "config", "--get-regexp", r"^remote\..*\.promisor$"], with_exceptions=False)
        names = [line.split()[0][len("remote."):-len(".promisor")] for line in listing.splitlines()
                 if line.split()[-1:] == ["true"]]
        names += [n for n in [cfg.execute(["git", "config", "--get", "extensions.partialclone"],
                                          with_exceptions=False).strip()] if n]
        for name in names:
            url = cfg.execute(["git", "config", "--get", f"remote.{name}.url"], with_exceptions=False).strip()
            if url:
                return url
        return names[0] if names else None
    except (GitCommandError, OSError):
        return None


def is_git_repository(path: Path) -> bool:
    """path is a git working tree (``.git`` inside) or a bare repository (HEAD, objects/, refs/)."""
    path = Path(path)
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _open_bare(path: Path) -> git.Repo | None:
    try:
        repo = git.Repo(path)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    if not repo.bare:
        repo.close()
        return None
    return repo


def fetch_repo(
    url_or_path: str,
    cache_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
) -> CachedRepo:
    """Clone (first time) or fetch (later) url_or_path into the cache and return it.

    Raises SourceError when the repository cannot be reached or has no commits.
    """
    url = normalize_url(url_or_path)
    if not url:
        raise SourceError(MSG_UNREACHABLE, "no repository URL given")
    dest = cache_path(cache_dir, url)
    env = git_env()
    with _locked(dest.with_name(dest.name + ".lock")):
        repo = _open_bare(dest) if dest.exists() else None
        cloned = repo is None
        if repo is None:
            if dest.exists():  # a broken or foreign directory: start over
                shutil.rmtree(dest)
            tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")

            def clone() -> None:
                shutil.rmtree(tmp, ignore_errors=True)
                git.Git().execute(
                    ["git", "clone", "--bare", "--quiet", "--", url, str(tmp)],
                    kill_after_timeout=timeout, env=env,
                )

            try:
                _with_retry(clone, retries, backoff)
            except SourceError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            os.replace(tmp, dest)
            repo = git.Repo(dest)
            repo.git.config("remote.origin.fetch", "+refs/heads/*:refs/heads/*")
            repo.git.config("remote.origin.tagOpt", "--no-tags")
        else:
            if repo.git.config("--get", "remote.origin.url", with_exceptions=False) != url:
                repo.git.remote("set-url", "origin", url)

            def fetch() -> None:
                repo.git.execute(
                    ["git", "fetch", "--prune", "--quiet", "origin"], kill_after_timeout=timeout, env=env
                )

            def default_branch() -> str:
                return repo.git.execute(
                    ["git", "ls-remote", "--symref", "origin", "HEAD"], kill_after_timeout=timeout, env=env
                )

            try:
                _with_retry(fetch, retries, backoff)
                head = _with_retry(default_branch, retries, backoff)
            except SourceError:
                repo.close()
                raise
            match = re.search(r"^ref:\s*(refs/heads/\S+)\s+HEAD", head or "", re.MULTILINE)
            if match:  # follow a renamed default branch
                repo.git.symbolic_ref("HEAD", match.group(1))
        if not repo.git.for_each_ref("--format=%(refname)", "refs/heads/").strip():
            repo.close()
            raise SourceError(MSG_EMPTY, f"{url}: no branches")
    return CachedRepo(url, dest, repo, cloned)
