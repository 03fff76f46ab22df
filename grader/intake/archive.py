"""Unpack a submitted zip as hostile input.

Never uses `extractall`. Each entry name is decoded on its own (UTF-8 flag, Info-ZIP Unicode
Path extra field 0x7075 with a matching CRC, strict UTF-8, CP949; then NFC), unsafe entries
(traversal, absolute paths, drive letters, symlinks and other special files, encrypted entries,
nested archives) are skipped with a recorded reason, and sizes are measured while streaming
against `ArchiveLimits`, never taken from headers. Accepted entries are written one by one with
plain file writes under the destination folder; a single top-level wrapper folder is stripped.
"""

from __future__ import annotations

import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from grader.models import Message

UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
UNICODE_PATH_EXTRA = 0x7075
NESTED_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".alz", ".egg")
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
BENIGN_REASONS = {"junk", "directory"}

MB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Resource caps for one archive. Sizes are counted as bytes actually decompressed."""

    max_total_bytes: int = 200 * MB
    max_ratio: float = 200.0
    ratio_grace_bytes: int = 1 * MB  # the ratio is only enforced once an entry is this big
    max_entries: int = 2000
    chunk_bytes: int = 64 * 1024


class ArchiveError(Exception):
    """The archive as a whole cannot be used. kind is a short machine-readable code."""

    def __init__(self, kind: str, message: Message) -> None:
        super().__init__(f"{kind}: {message.en}")
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ArchiveEntry:
    """One accepted file, written to `path`."""

    name: str  # decoded, NFC, wrapper folder stripped, '/'-separated
    raw_name: bytes
    encoding: str  # utf-8-flag | unicode-path-extra | utf-8 | cp949 | cp437
    path: Path
    size: int


@dataclass(frozen=True)
class SkippedEntry:
    """One entry that was not written, and why."""

    name: str
    reason: str
    message: Message

    @property
    def benign(self) -> bool:
        """macOS metadata and directory entries: normal, nothing for the student to fix."""
        return self.reason in BENIGN_REASONS


@dataclass(frozen=True)
class ArchiveResult:
    entries: tuple[ArchiveEntry, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    notes: tuple[Message, ...] = ()
    wrapper: str | None = None

    @property
    def problems(self) -> tuple[Message, ...]:
        """Messages for the skipped entries a student should know about (at most NOTE_ITEMS)."""
        return capped_notes([s.message for s in self.skipped if not s.benign])


NOTE_ITEMS = 30  # messages naming entries, per list
NOTE_NAME_CHARS = 160  # characters of one entry name inside a message


def note_name(name: str) -> str:
    """An entry name (student-controlled) as quoted in a message: cut to NOTE_NAME_CHARS."""
    if len(name) <= NOTE_NAME_CHARS:
        return name
    return f"{name[:NOTE_NAME_CHARS]}…(+{len(name) - NOTE_NAME_CHARS})"


def note_names(names: list[str], limit: int = 10) -> str:
    """'a', 'b', … and N more: a list of entry names inside one message, capped in count and length."""
    shown = ", ".join(f"'{note_name(n)}'" for n in names[:limit])
    return shown + (f", … (+{len(names) - limit})" if len(names) > limit else "")


_MORE: dict[Message, int] = {}  # the "… and N more" messages made here → N (so a second cap adds up)


def _more(count: int) -> Message:
    msg = Message(f"… 외 {count}개 항목에 대한 안내는 생략했습니다.", f"… and {count} more (not listed).")
    _MORE[msg] = count
    return msg


def capped_notes(messages: list[Message] | tuple[Message, ...]) -> tuple[Message, ...]:
    """At most NOTE_ITEMS messages; the rest are counted in one last "… and N more" message."""
    kept, hidden = [], 0
    for msg in messages:
        if msg in _MORE:
            hidden += _MORE[msg]
        else:
            kept.append(msg)
    hidden += max(0, len(kept) - NOTE_ITEMS)
    return (*kept[:NOTE_ITEMS], _more(hidden)) if hidden else tuple(kept)


# ---------------------------------------------------------------------------- sniffing

_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PK\x07\x08", "zip"),
    (b"Rar!", "rar"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x1f\x8b", "gzip"),
    (b"%PDF", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"),
)


def sniff(path: Path) -> str:
    """What a file really is: empty | zip | json | rar | 7z | gzip | pdf | png | jpeg | unknown."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    if zipfile.is_zipfile(path):  # e.g. data prepended before the zip
        return "zip"
    return "unknown"


def not_a_zip_error(kind: str) -> ArchiveError:
    """The ArchiveError for a file whose content (per `sniff`) is not a zip."""
    if kind == "empty":
        return ArchiveError("empty", Message(
            "제출한 .zip 파일이 비어 있습니다 (0바이트). 제출할 파일들을 다시 압축해 올려 주세요.",
            "The submitted .zip file is empty (0 bytes); zip your files again and re-upload.",
        ))
    if kind == "json":
        return ArchiveError("notebook-not-zip", Message(
            "이 파일은 .zip이 아니라 이름만 바꾼 노트북(.ipynb)입니다. 노트북과 함께 제출할 파일들을 압축해 제출하세요.",
            "This file is a notebook (.ipynb) renamed to .zip, not a zip; zip it together with your other files.",
        ))
    if kind in {"rar", "7z", "gzip"}:
        return ArchiveError(f"{kind}-not-zip", Message(
            f"이 파일은 .zip이 아니라 {kind} 압축 파일입니다. .zip 형식으로 다시 압축해 주세요.",
            f"This file is a {kind} archive, not a zip; compress it again in .zip format.",
        ))
    return ArchiveError("not-a-zip", Message(
        f"이 파일은 zip 압축 파일이 아닙니다 (내용: {kind}). 제출할 파일들을 .zip으로 압축해 제출하세요.",
        f"This file is not a zip archive (content: {kind}); zip your files and submit that.",
    ))


# ---------------------------------------------------------------------------- names

def raw_entry_name(info: zipfile.ZipInfo) -> bytes:
    """The name bytes as stored (zipfile decoded them as UTF-8 if flagged, else as cp437)."""
    if info.flag_bits & UTF8_FLAG:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode("cp437")


def _extra_fields(extra: bytes) -> dict[int, bytes]:
    fields: dict[int, bytes] = {}
    pos = 0
    while pos + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, pos)
        fields.setdefault(header_id, extra[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return fields


def unicode_path(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path (0x7075) name, if present, version 1, and its CRC matches raw."""
    data = _extra_fields(extra).get(UNICODE_PATH_EXTRA)
    if data is None or len(data) < 5 or data[0] != 1:
        return None
    (crc,) = struct.unpack_from("<I", data, 1)
    if crc != zlib.crc32(raw):
        return None
    try:
        return data[5:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_entry_name(info: zipfile.ZipInfo) -> tuple[str, bytes, str]:
    """(NFC name, raw bytes, encoding used) for one entry."""
    raw = raw_entry_name(info)
    if info.flag_bits & UTF8_FLAG:
        name, encoding = info.orig_filename, "utf-8-flag"
    elif (uname := unicode_path(info.extra, raw)) is not None:
        name, encoding = uname, "unicode-path-extra"
    else:
        name, encoding = _decode_bytes(raw)
    return unicodedata.normalize("NFC", name), raw, encoding


def _decode_bytes(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("cp437"), "cp437"


# ---------------------------------------------------------------------------- entry safety

def _skip(name: str, reason: str, ko: str, en: str) -> SkippedEntry:
    return SkippedEntry(name, reason, Message(f"'{note_name(name)}': {ko}", f"'{note_name(name)}': {en}"))


def _path_parts(name: str) -> tuple[str, ...] | SkippedEntry:
    """Safe relative path components, or the reason the name is refused."""
    if "\x00" in name:
        return _skip(name, "bad-name", "이름에 널 문자가 있어 건너뜁니다.", "the name contains a NUL byte; skipped.")
    path = name.replace("\\", "/")
    if path.startswith("/"):
        return _skip(name, "absolute-path", "절대 경로라서 건너뜁니다.", "absolute path; skipped.")
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        return _skip(name, "absolute-path", "드라이브 경로(C: 등)라서 건너뜁니다.", "drive-letter path; skipped.")
    parts = tuple(p for p in path.split("/") if p not in ("", "."))
    if ".." in parts:
        return _skip(name, "path-traversal", "상위 폴더(..)를 가리키는 경로라서 건너뜁니다.",
                     "the path points outside the archive (..); skipped.")
    return parts


def _classify(info: zipfile.ZipInfo, name: str) -> tuple[str, ...] | SkippedEntry:
    """Path components of an entry to extract, or why it is skipped."""
    if name.endswith(("/", "\\")) or info.is_dir():
        return SkippedEntry(name, "directory", Message(f"'{note_name(name)}': 폴더", f"'{note_name(name)}': directory"))
    parts = _path_parts(name)
    if isinstance(parts, SkippedEntry):
        return parts
    if not parts:
        return _skip(name, "bad-name", "이름이 비어 있어 건너뜁니다.", "empty name; skipped.")
    if parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1].lower() in JUNK_NAMES:
        return SkippedEntry(name, "junk", Message(f"'{note_name(name)}': macOS/Windows 메타데이터",
                                                  f"'{note_name(name)}': OS metadata"))
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        return _skip(name, "symlink", "심볼릭 링크라서 건너뜁니다. 실제 파일을 넣어 주세요.",
                     "symbolic link; skipped. Put the real file in the zip.")
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        return _skip(name, "special-file", "일반 파일이 아니라서 건너뜁니다.", "not a regular file; skipped.")
    if info.flag_bits & ENCRYPTED_FLAG:
        return _skip(name, "encrypted", "암호가 걸려 있어 열 수 없습니다. 암호 없이 압축해 주세요.",
                     "encrypted; it cannot be read. Zip it without a password.")
    if parts[-1].lower().endswith(NESTED_ARCHIVE_SUFFIXES):
        return _skip(name, "nested-archive", "압축 파일 안의 압축 파일은 열지 않습니다. 한 번만 압축해 주세요.",
                     "archives inside the archive are not opened; compress only once.")
    return parts


def strip_wrapper(paths: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], str | None]:
    """Remove top-level folders that wrap every path; returns (paths, stripped prefix or None)."""
    stripped: list[str] = []
    while paths and all(len(p) > 1 for p in paths) and len({p[0] for p in paths}) == 1:
        stripped.append(paths[0][0])
        paths = [p[1:] for p in paths]
    return paths, "/".join(stripped) or None


# ---------------------------------------------------------------------------- streaming

class _LimitHit(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Budget:
    limits: ArchiveLimits
    archive_bytes: int  # a header cannot claim more compressed data than the file holds
    used: int = 0
    exhausted: bool = False


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> Iterator[bytes]:
    """Decompressed chunks of one entry; read-side OSErrors (bad offsets) become BadZipFile."""
    try:
        with zf.open(info) as src:
            while chunk := src.read(size):
                yield chunk
    except OSError as exc:
        raise zipfile.BadZipFile(str(exc)) from exc


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget) -> int:
    """Decompress one entry into target, counting real bytes; raises _LimitHit past a cap."""
    limits = budget.limits
    ratio_cap = limits.max_ratio * max(min(info.compress_size, budget.archive_bytes), 1)
    written = 0
    with open(target, "xb") as out:
        for chunk in _chunks(zf, info, limits.chunk_bytes):
            written += len(chunk)
            budget.used += len(chunk)
            if budget.used > limits.max_total_bytes:
                raise _LimitHit("too-large")
            if written > limits.ratio_grace_bytes and written > ratio_cap:
                raise _LimitHit("ratio")
            out.write(chunk)
    return written


def _limit_skip(name: str, reason: str, limits: ArchiveLimits) -> SkippedEntry:
    if reason == "ratio":
        return _skip(name, "ratio", f"압축률이 비정상적으로 높아(>{limits.max_ratio:g}배) 건너뜁니다 (압축 폭탄 의심).",
                     f"compression ratio above {limits.max_ratio:g}x (suspected zip bomb); skipped.")
    mb = limits.max_total_bytes // MB
    return _skip(name, "too-large", f"압축을 푼 전체 크기가 {mb}MB를 넘어 이 파일과 나머지 파일을 건너뜁니다.",
                 f"the unpacked archive exceeds {mb} MB; this and the remaining entries were skipped.")


def _write_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, parts: tuple[str, ...],
                 budget: _Budget) -> int | SkippedEntry:
    """Write one entry under dest; size written, or why it was skipped."""
    name = "/".join(parts)
    target = dest.joinpath(*parts)
    if not target.resolve().is_relative_to(dest.resolve()):
        return _skip(name, "path-traversal", "압축 폴더 밖을 가리켜 건너뜁니다.", "points outside the archive; skipped.")
    if target.exists() or target.is_symlink():
        return _skip(name, "duplicate", "같은 이름의 파일이 이미 있어 건너뜁니다.", "a file with the same name exists; skipped.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return _stream(zf, info, target, budget)
    except _LimitHit as hit:
        target.unlink(missing_ok=True)
        budget.exhausted = hit.reason == "too-large"
        return _limit_skip(name, hit.reason, budget.limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        target.unlink(missing_ok=True)
        return _skip(name, "corrupt", f"파일이 손상되었거나 지원하지 않는 압축 방식입니다 ({type(exc).__name__}).",
                     f"the entry is corrupt or uses an unsupported compression method ({type(exc).__name__}).")
    except OSError as exc:
        if target.is_file():
            target.unlink(missing_ok=True)
        return _skip(name, "unwritable", f"이 이름으로 파일을 만들 수 없어 건너뜁니다 ({type(exc).__name__}).",
                     f"a file with this name cannot be created ({type(exc).__name__}); skipped.")


# ---------------------------------------------------------------------------- archive

def _open_zip(path: Path) -> zipfile.ZipFile:
    kind = sniff(path)
    if kind != "zip":
        raise not_a_zip_error(kind)
    try:
        return zipfile.ZipFile(path)
    except UnicodeDecodeError as exc:
        raise ArchiveError("corrupt", Message(
            "zip 안의 파일 이름이 깨져 있어 열 수 없습니다. 다른 압축 프로그램으로 다시 압축해 주세요.",
            "File names inside the zip are corrupt; compress again with another zip tool.",
        )) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, struct.error) as exc:
        raise ArchiveError("truncated", Message(
            f"zip 파일이 잘렸거나 손상되어 열 수 없습니다 ({type(exc).__name__}). 다시 압축해 올려 주세요.",
            f"The zip file is truncated or corrupt and cannot be opened ({type(exc).__name__}); zip it again and re-upload.",
        )) from exc


def _check_entry_count(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_entries:
        raise ArchiveError("too-many-entries", Message(
            f"zip 안의 항목이 너무 많습니다 ({len(infos)}개 > {limits.max_entries}개). 과제 파일만 넣어 주세요.",
            f"The zip holds too many entries ({len(infos)} > {limits.max_entries}); include only the assignment's files.",
        ))


@dataclass
class _Plan:
    accepted: list[tuple[zipfile.ZipInfo, tuple[str, ...], bytes, str]] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


def _plan(infos: list[zipfile.ZipInfo]) -> _Plan:
    plan = _Plan()
    for info in infos:
        name, raw, encoding = decode_entry_name(info)
        verdict = _classify(info, name)
        if isinstance(verdict, SkippedEntry):
            plan.skipped.append(verdict)
        else:
            plan.accepted.append((info, verdict, raw, encoding))
    return plan


def extract_archive(path: Path, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> ArchiveResult:
    """Unpack the zip at path into dest (created if needed). Raises ArchiveError if unusable."""
    with _open_zip(path) as zf:
        try:
            infos = zf.infolist()
            _check_entry_count(infos, limits)
            plan = _plan(infos)
            return _extract_plan(zf, plan, dest, limits, path.stat().st_size)
        except ArchiveError:
            raise
        except Exception as exc:  # hostile input must never escape as an unhandled exception
            raise ArchiveError("corrupt", Message(
                f"zip 파일을 읽는 중 오류가 났습니다 ({type(exc).__name__}). 다시 압축해 올려 주세요.",
                f"Reading the zip failed ({type(exc).__name__}); zip it again and re-upload.",
            )) from exc


def _extract_plan(zf: zipfile.ZipFile, plan: _Plan, dest: Path, limits: ArchiveLimits,
                  archive_bytes: int) -> ArchiveResult:
    dest.mkdir(parents=True, exist_ok=True)
    paths, wrapper = strip_wrapper([parts for _, parts, _, _ in plan.accepted])
    notes = [Message(f"최상위 폴더 '{note_name(wrapper)}'는 무시했습니다.",
                     f"The top-level folder '{note_name(wrapper)}' was stripped.")] if wrapper else []
    budget, entries, skipped = _Budget(limits, archive_bytes), [], list(plan.skipped)
    for (info, _, raw, encoding), parts in zip(plan.accepted, paths):
        if budget.exhausted:
            skipped.append(_limit_skip("/".join(parts), "too-large", limits))
            continue
        result = _write_entry(zf, info, dest, parts, budget)
        if isinstance(result, SkippedEntry):
            skipped.append(result)
        else:
            entries.append(ArchiveEntry("/".join(parts), raw, encoding, dest.joinpath(*parts), result))
    return ArchiveResult(tuple(entries), tuple(skipped), tuple(notes), wrapper)
