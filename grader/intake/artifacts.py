"""Open a submission (zip, folder or bare file) and pick the files of each artifact role.

The pack declares the roles (`[[artifacts.roles]]`): one of kind "notebook" (parsed, converted
to nbformat 4, written as `submission.ipynb` and executed), others are files (an image, a PDF)
checked by extension and content. For every other role the best candidate is copied to
`<role id><suffix>` in the work folder and all candidates are kept, best first.

`open_submission` never raises on bad input: everything wrong ends up in `Intake.status` and
`Intake.problems` (things the student should fix), plus `Intake.extra`:

- `source_kind`: "zip" | "folder" | "notebook" | "file"
- `notes`: tuple[Message, ...], informational (wrapper folder stripped, nbformat 3 converted, ...)
- `skipped`: tuple[SkippedEntry, ...], every archive entry or file that was not used, with why
- `entry_encodings`: {entry name: how its name was decoded} (zips only)
- `contents_dir`: where a zip was unpacked
- `notebook_source` / `<role>_source`: the chosen files' names inside the submission
- `<role>_candidates`: tuple[Path, ...], every usable file of the role, the chosen one first (a
  pack's check may read them all); `<role>_names`: their names inside the submission
- `pdfs`: tuple[str, ...], PDF files found that no role accepts
- `archive_error`: the ArchiveError kind when the zip could not be used
- `nbformat_converted_from`: the original major version when the notebook was converted
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.intake.archive import (
    JUNK_NAMES,
    ArchiveError,
    ArchiveLimits,
    SkippedEntry,
    capped_notes,
    extract_archive,
    not_a_zip_error,
    note_name,
    note_names,
    sniff,
)
from grader.intake.naming import decode_name, parse_name
from grader.models import Intake, Message, NameInfo
from grader.pack import ArtifactRole, Pack

NOTEBOOK_NAME = "submission.ipynb"
CONTENTS_DIR = "contents"
SKIP_DIRS = {"__MACOSX", ".git", ".ipynb_checkpoints", "__pycache__"}
OTHER_IMAGE_SUFFIXES = {".heic", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
_RASTER = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # a .png that is really a JPEG is still an image
MAGIC = {".png": _RASTER, ".jpg": _RASTER, ".jpeg": _RASTER, ".pdf": (b"%PDF",)}


@dataclass(frozen=True)
class _File:
    """A file of the submission: its name inside the submission and where it is on disk."""

    rel: str
    path: Path

    @property
    def suffix(self) -> str:
        return Path(self.rel).suffix.lower()


@dataclass
class _Collected:
    kind: str
    files: list[_File] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: ArchiveError | None = None


# ---------------------------------------------------------------------------- collecting files

def _collect_zip(source: Path, workdir: Path, limits: ArchiveLimits) -> _Collected:
    dest = workdir / CONTENTS_DIR
    shutil.rmtree(dest, ignore_errors=True)
    out = _Collected("zip", extra={"contents_dir": dest})
    try:
        result = extract_archive(source, dest, limits)
    except ArchiveError as err:
        out.error = err
        return out
    out.files = [_File(e.name, e.path) for e in result.entries]
    out.skipped = list(result.skipped)
    out.problems = list(result.problems)
    out.notes = list(result.notes)
    out.extra["entry_encodings"] = {e.name: e.encoding for e in result.entries}
    return out


def _junk_file(name: str) -> bool:
    return name.startswith("._") or name.lower() in JUNK_NAMES


def _collect_folder(source: Path, limits: ArchiveLimits) -> _Collected:
    """Regular files under a folder (symlinks not followed), NFC names, NFC/NFD twins counted once."""
    out = _Collected("folder")
    seen: dict[str, Path] = {}
    for root, dirs, names in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for raw in sorted(names):
            path = Path(root) / raw
            rel = unicodedata.normalize("NFC", decode_name(os.fsencode(path.relative_to(source))))
            if _junk_file(raw) or path.is_symlink() or not path.is_file():
                out.skipped.append(SkippedEntry(rel, "junk", Message(f"'{note_name(rel)}': 건너뜀", f"'{note_name(rel)}': skipped")))
            elif rel in seen:
                out.notes.append(_twin_note(rel, seen[rel], path))
            elif len(seen) >= limits.max_entries:
                out.problems.append(Message(f"파일이 {limits.max_entries}개를 넘어 나머지는 보지 않았습니다.",
                                            f"More than {limits.max_entries} files; the rest were not looked at."))
                return _finish_folder(out, seen)
            else:
                seen[rel] = path
    return _finish_folder(out, seen)


def _finish_folder(out: _Collected, seen: dict[str, Path]) -> _Collected:
    out.files = [_File(rel, path) for rel, path in seen.items()]
    return out


def _twin_note(rel: str, first: Path, second: Path) -> Message:
    same = _sha256(first) == _sha256(second)
    detail = ("내용이 같아 한 번만 셉니다.", "identical, counted once.") if same else \
        ("내용이 달라 첫 번째 것만 씁니다.", "they differ; only the first is used.")
    return Message(f"'{note_name(rel)}'이(가) 두 가지 유니코드 표기(NFC/NFD)로 두 번 있습니다: {detail[0]}",
                   f"'{note_name(rel)}' exists twice under two Unicode spellings (NFC/NFD): {detail[1]}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _collect_file(source: Path, workdir: Path, pack: Pack, label: str, limits: ArchiveLimits) -> _Collected:
    """A single uploaded file: a zip, a bare notebook, a lone image, or something unusable."""
    kind = sniff(source)
    suffix = Path(label).suffix.lower()
    is_notebook_name = suffix.lstrip(".") in {e.lower() for e in pack.artifacts.notebook_extensions}
    if kind == "zip":
        out = _collect_zip(source, workdir, limits)
        if suffix != ".zip":
            out.problems.append(Message(f"이 파일은 zip인데 확장자가 {suffix or '(없음)'}입니다. 이름을 .zip으로 끝내 주세요.",
                                        f"This file is a zip but its extension is {suffix or '(none)'}; name it .zip."))
        return out
    if kind == "json" or is_notebook_name:
        out = _Collected("notebook", files=[_File(_rel_label(label, ".ipynb"), source)])
        if suffix == ".zip":
            out.problems.append(not_a_zip_error("json").message)
        return out
    if kind in {"png", "jpeg"} or (kind == "pdf" and ".pdf" in _role_suffixes(pack)):
        real = suffix if suffix in {".png", ".jpg", ".jpeg"} else {"png": ".png", "jpeg": ".jpg", "pdf": ".pdf"}[kind]
        out = _Collected("file", files=[_File(_rel_label(label, real), source)])
        if suffix == ".zip":
            out.problems.append(not_a_zip_error(kind).message)
        return out
    if kind == "empty" and suffix != ".zip":
        shown = note_name(re.split(r"[/\\]", label)[-1])
        return _Collected("file", error=ArchiveError("empty", Message(
            f"'{shown}'은(는) 비어 있습니다 (0바이트). 파일을 다시 저장해 올려 주세요.",
            f"'{shown}' is empty (0 bytes); save the file again and re-upload it.")))
    return _Collected("file", error=not_a_zip_error(kind))


def _rel_label(label: str, suffix: str) -> str:
    """The submission's own name, with the suffix its content really has."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", label)[-1]) or "submission"
    return name if name.lower().endswith(suffix) else f"{Path(name).stem}{suffix}"


# ---------------------------------------------------------------------------- notebooks

@dataclass
class _Notebook:
    file: _File
    data: dict[str, Any]
    code_cells: int
    size: int
    converted_from: int | None = None
    notes: list[Message] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        return self.code_cells, self.size


def _bad_notebook(rel: str, ko: str, en: str) -> Message:
    return Message(f"노트북 '{note_name(rel)}': {ko}", f"Notebook '{note_name(rel)}': {en}")


def _parse_notebook(file: _File) -> dict[str, Any] | Message:
    raw = file.path.read_bytes()
    if not raw.strip():
        return _bad_notebook(file.rel, "0바이트(빈 파일)입니다. Colab/Jupyter에서 .ipynb로 다시 내려받아 제출하세요.",
                             "the file is empty (0 bytes); download the .ipynb again from Colab/Jupyter and resubmit.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _bad_notebook(file.rel, "JSON 형식이 아니어서 열 수 없습니다 (손상되었거나 저장이 덜 된 파일). 다시 내려받아 제출하세요.",
                             "it is not valid JSON (corrupt or partly saved); download it again and resubmit.")
    if not isinstance(data, dict) or not ({"cells", "worksheets"} & data.keys()):
        return _bad_notebook(file.rel, "Jupyter 노트북 형식이 아닙니다.", "it is not a Jupyter notebook.")
    return data


def _to_v4(data: dict[str, Any], rel: str) -> tuple[dict[str, Any], int | None] | Message:
    """The notebook as nbformat 4 data, and the major version it was converted from (if any)."""
    major = data.get("nbformat")
    if major == 4:
        return data, None
    import nbformat  # here: a run whose submissions are all cached never needs it

    try:
        converted = nbformat.convert(nbformat.from_dict(data), 4)
    except Exception:  # nbformat raises many kinds of errors on odd input
        return _bad_notebook(rel, f"nbformat {major} 형식이라 변환하지 못했습니다. 최신 Jupyter/Colab에서 다시 저장하세요.",
                             f"it is nbformat {major} and could not be converted; re-save it with current Jupyter/Colab.")
    return json.loads(json.dumps(converted)), major if isinstance(major, int) else None


def _validate(data: dict[str, Any], rel: str) -> list[Message]:
    """Notes about schema problems; Colab's broken widget metadata is removed silently."""
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(data))
        return []
    except Exception:
        pass
    data.get("metadata", {}).pop("widgets", None)
    try:
        nbformat.validate(nbformat.from_dict(data))
        return []
    except Exception:
        return [Message(f"노트북 '{note_name(rel)}'이(가) nbformat 4 규격에 완전히 맞지 않지만 그대로 채점합니다.",
                        f"Notebook '{note_name(rel)}' does not fully follow the nbformat 4 schema; grading it anyway.")]


def _source(cell: Any) -> str:
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(src) if isinstance(src, list) else str(src)


def load_notebook(file: _File) -> _Notebook | Message:
    """A usable nbformat-4 notebook, or a message saying why this file is not one."""
    parsed = _parse_notebook(file)
    if isinstance(parsed, Message):
        return parsed
    v4 = _to_v4(parsed, file.rel)
    if isinstance(v4, Message):
        return v4
    data, converted_from = v4
    cells = data.get("cells")
    if not isinstance(cells, list) or not any(_source(c).strip() for c in cells):
        return _bad_notebook(file.rel, "셀이 없거나 모두 비어 있습니다. 저장한 뒤 다시 내려받아 제출하세요.",
                             "it has no cells or only empty ones; save it and download it again.")
    code = sum(1 for c in cells if isinstance(c, dict) and c.get("cell_type") == "code" and _source(c).strip())
    notes = _validate(data, file.rel)
    if converted_from is not None:
        notes.append(Message(f"노트북 '{note_name(file.rel)}'은(는) nbformat {converted_from} 형식이라 4로 변환했습니다.",
                             f"Notebook '{note_name(file.rel)}' was nbformat {converted_from}; converted to 4."))
    return _Notebook(file, data, code, file.path.stat().st_size, converted_from, notes)


def _is_notebook(file: _File, pack: Pack) -> bool:
    return file.suffix.lstrip(".") in {e.lower() for e in pack.artifacts.notebook_extensions}


def _notebook_count(pack: Pack) -> int:
    role = pack.artifacts.notebook
    return 1 if role is None or role.max is None else role.max


def _choose_notebook(files: list[_File], pack: Pack, out: _Collected) -> _Notebook | None:
    usable: list[_Notebook] = []
    for file in _unique_by_content([f for f in files if _is_notebook(f, pack)], out):
        loaded = load_notebook(file)
        if isinstance(loaded, Message):
            out.problems.append(loaded)
        else:
            usable.append(loaded)
    if not usable:
        return None
    usable.sort(key=lambda nb: nb.score, reverse=True)
    best = usable[0]
    out.notes.extend(best.notes)
    if len(usable) > _notebook_count(pack):
        others = note_names([nb.file.rel for nb in usable[1:]])
        out.problems.append(Message(
            f"노트북이 {len(usable)}개 있어 코드 셀이 가장 많은 '{note_name(best.file.rel)}'을(를) 채점합니다 (제외: {others}). 노트북은 하나만 넣어 주세요.",
            f"Found {len(usable)} notebooks; grading '{note_name(best.file.rel)}', the one with the most code cells "
            f"(ignored: {others}). Include only one notebook.",
        ))
    return best


def _unique_by_content(files: list[_File], out: _Collected) -> list[_File]:
    """Drop byte-identical copies (e.g. NFC/NFD twins), keeping the first."""
    seen: dict[str, _File] = {}
    for file in files:
        digest = _sha256(file.path)
        if digest in seen:
            out.notes.append(Message(f"'{note_name(file.rel)}'은(는) '{note_name(seen[digest].rel)}'과(와) 같은 파일이라 한 번만 셉니다.",
                                     f"'{note_name(file.rel)}' is identical to '{note_name(seen[digest].rel)}'; counted once."))
        else:
            seen[digest] = file
    return list(seen.values())


# ---------------------------------------------------------------------------- other roles

def _role_suffixes(pack: Pack) -> set[str]:
    return {suffix for role in pack.artifacts.files for suffix in role.suffixes}


def _has_magic(path: Path, suffix: str) -> bool:
    """Non-empty, and starts like a file of that type (when the type is one we know)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return bool(head) and (suffix not in MAGIC or head.startswith(MAGIC[suffix]))


def _rank(role: ArtifactRole, file: _File) -> tuple[int, int]:
    name = file.rel.lower()
    return sum(hint in name for hint in role.hints), file.path.stat().st_size


def _fill(template: Message, **values: str) -> Message:
    return Message(template.ko.format(**values), template.en.format(**values))


def _choose_role(role: ArtifactRole, files: list[_File], accepted: set[str], out: _Collected) -> list[_File]:
    """The usable files of one role, most plausible first; problems and notes recorded in out.
    accepted: the suffixes some role of the pack accepts (never reported as a wrong format)."""
    allowed = set(role.suffixes)
    usable: list[_File] = []
    word = role.word
    thing = ("이미지", "an image", "images") if role.kind == "image" else ("파일", "a usable file", "files")
    for file in _unique_by_content([f for f in files if f.suffix in allowed], out):
        if _has_magic(file.path, file.suffix):
            usable.append(file)
        else:
            out.problems.append(Message(
                f"'{note_name(file.rel)}'은(는) 비어 있거나 실제 {thing[0]}가 아닙니다. {word.ko}을(를) 다시 저장해 넣어 주세요.",
                f"'{note_name(file.rel)}' is empty or not really {thing[1]}; save the {word.en} again and include it."))
    usable.sort(key=lambda f: _rank(role, f), reverse=True)
    _note_rejected_formats(role, files, bool(usable), accepted, out)
    if len(usable) > 1 and role.max is None:
        listed = note_names([f.rel for f in usable])
        out.notes.append(Message(f"{thing[0]}가 {len(usable)}개 있어 모두 {role.title.ko}(으)로 읽습니다 ({listed}); "
                                 "하나라도 기준을 충족하면 통과입니다.",
                                 f"Found {len(usable)} {thing[2]}; all are read as {role.title.en}s ({listed}); "
                                 "one that meets the task is enough."))
    elif role.max is not None and len(usable) > role.max:
        kept = note_names([f.rel for f in usable[:role.max]])
        out.problems.append(Message(f"{word.ko}이(가) {len(usable)}개 있어 {kept}만 채점합니다. {role.max}개만 넣어 주세요.",
                                    f"Found {len(usable)} files for the {word.en}; grading {kept}. Include only {role.max}."))
        usable = usable[:role.max]
    return usable


def _note_rejected_formats(role: ArtifactRole, files: list[_File], have: bool, accepted: set[str],
                           out: _Collected) -> None:
    """PDFs and other image formats no role accepts: a problem when this role has no usable
    file, else a note."""
    rejected = [f.rel for f in files if f.suffix not in accepted and (f.suffix == ".pdf" or f.suffix in OTHER_IMAGE_SUFFIXES)]
    out.extra["pdfs"] = tuple(r for r in rejected if r.lower().endswith(".pdf"))
    wanted = "/".join(e.lstrip(".") for e in role.suffixes)
    template = role.wrong_format or Message(
        f"'{{file}}'은(는) {role.word.ko}(으)로 인정되지 않습니다. {{wanted}} 형식으로 저장해 넣어 주세요.",
        f"'{{file}}' is not accepted as the {role.word.en}; save it as {{wanted}}.")
    for rel in rejected:
        msg = _fill(template, file=note_name(rel), wanted=wanted)
        (out.notes if have else out.problems).append(msg)


# ---------------------------------------------------------------------------- assembling the Intake

def _clear_outputs(workdir: Path, pack: Pack) -> None:
    olds = [workdir / NOTEBOOK_NAME] + [p for role in pack.artifacts.files for p in workdir.glob(f"{role.id}.*")]
    for old in olds:
        if old.is_file() or old.is_symlink():
            old.unlink()


def _missing_messages(notebook: _Notebook | None, chosen: dict[str, list[_File]], pack: Pack) -> list[Message]:
    out = []
    for role in pack.artifacts.roles:
        present = notebook is not None if role.kind == "notebook" else len(chosen.get(role.id, ())) >= role.min
        if present or not role.required:
            continue
        wanted = "/".join(e.lstrip(".") for e in role.suffixes)
        template = role.missing or Message(f"{role.title.ko}({{wanted}})이(가) 없습니다.",
                                           f"The {role.title.en} ({{wanted}}) is missing.")
        out.append(_fill(template, wanted=wanted))
    return out


def _collect(source: Path, workdir: Path, pack: Pack, label: str, limits: ArchiveLimits) -> _Collected:
    if source.is_dir():
        return _collect_folder(source, limits)
    if not source.is_file():
        return _Collected("file", error=ArchiveError("not-found", Message(
            f"제출 파일을 찾을 수 없습니다: {source}", f"The submission file does not exist: {source}")))
    return _collect_file(source, workdir, pack, label, limits)


def open_submission(source: Path, workdir: Path, pack: Pack, display_name: str | None = None,
                    limits: ArchiveLimits = ArchiveLimits(), part_names: tuple[str, ...] = ()) -> Intake:
    """Unpack/read a submission into workdir (`submission.ipynb`, `<role>.<ext>`) and describe it.

    display_name, when given, is the file name used for the naming rule instead of source's own.
    part_names: the file names of a grouped submission (a folder holding one file per naming
    pattern, see `grader.sources.grouping`): each is judged by the naming rule.
    """
    source = Path(source)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    _clear_outputs(workdir, pack)
    if part_names:
        name = combine_names([parse_name(n, pack.naming, pack.week) for n in part_names])
    else:
        name = parse_name(display_name if display_name is not None else os.fsencode(source.name), pack.naming, pack.week)
    label = display_name if display_name is not None else name.normalized
    col = _collect(source, workdir, pack, label, limits)
    if col.error is not None:
        return _unreadable(source, workdir, name, col)
    _open_inner_zips(col, workdir, limits)
    notebook = _choose_notebook(col.files, pack, col) if pack.artifacts.notebook else None
    accepted = _role_suffixes(pack)
    chosen = {role.id: _choose_role(role, col.files, accepted, col) for role in pack.artifacts.files}
    col.problems = [*capped_notes(col.problems), *_missing_messages(notebook, chosen, pack)]  # what is missing stays
    nb_path = _write_notebook(notebook, workdir)
    artifacts: dict[str, Path] = {}
    if nb_path is not None and pack.artifacts.notebook is not None:
        artifacts[pack.artifacts.notebook.id] = nb_path
    col.extra.update(notebook_source=notebook.file.rel if notebook else None,
                     nbformat_converted_from=notebook.converted_from if notebook else None)
    for role_id, files in chosen.items():
        if files:
            artifacts[role_id] = _copy_first(files[0], workdir, role_id)
        col.extra.update({f"{role_id}_source": files[0].rel if files else None,
                          f"{role_id}_candidates": tuple(f.path for f in files),
                          f"{role_id}_names": tuple(f.rel for f in files)})
    return Intake(
        source=source, name=name, status="ok" if notebook else "missing-notebook", workdir=workdir,
        notebook=nb_path, artifacts=artifacts, files=tuple(sorted(f.rel for f in col.files)),
        problems=tuple(col.problems), extra=_extra(col),
    )


def _open_inner_zips(col: _Collected, workdir: Path, limits: ArchiveLimits) -> None:
    """A grouped folder submission may hold a zip next to loose files: its entries join the files."""
    if col.kind != "folder":
        return
    for i, file in enumerate([f for f in col.files if f.suffix == ".zip"]):
        inner = _collect_zip(file.path, workdir / f"inner-{i}", limits)
        if inner.error is not None:
            col.problems.append(inner.error.message)
            continue
        col.files.remove(file)
        col.files.extend(_File(f"{file.rel}/{f.rel}", f.path) for f in inner.files)
        col.skipped.extend(inner.skipped)
        col.problems.extend(inner.problems)
        col.notes.extend(inner.notes)


def combine_names(infos: list[NameInfo]) -> NameInfo:
    """The NameInfo of a grouped submission: it conforms when every file's name does."""
    if len(infos) == 1:
        return infos[0]
    known = [i for i in infos if i.cohort is not None and i.name]
    head = known[0] if known else infos[0]
    problems = tuple(Message(f"'{i.normalized}': {p.ko}", f"'{i.normalized}': {p.en}") for i in infos for p in i.problems)
    return NameInfo(
        original=" + ".join(i.original for i in infos), normalized=" + ".join(i.normalized for i in infos),
        week=head.week, cohort=head.cohort, name=head.name, conforms=all(i.conforms for i in infos),
        expected_name=" + ".join(i.expected_name or "?" for i in infos), problems=problems,
    )


def _write_notebook(notebook: _Notebook | None, workdir: Path) -> Path | None:
    if notebook is None:
        return None
    target = workdir / NOTEBOOK_NAME
    target.write_text(json.dumps(notebook.data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return target


def _copy_first(file: _File, workdir: Path, role_id: str) -> Path:
    target = workdir / f"{role_id}{file.suffix}"
    shutil.copyfile(file.path, target)
    return target


def _extra(col: _Collected) -> dict[str, Any]:
    return {"source_kind": col.kind, "notes": capped_notes(col.notes), "skipped": tuple(col.skipped), **col.extra}


def _unreadable(source: Path, workdir: Path, name: NameInfo, col: _Collected) -> Intake:
    assert col.error is not None
    col.extra["archive_error"] = col.error.kind
    return Intake(source=source, name=name, status="unreadable", workdir=workdir,
                  problems=capped_notes([col.error.message, *col.problems]), extra=_extra(col))
