"""Hostile-zip handling: name decoding, skipped entries and why, limits, and whole-archive errors."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import pytest

from grader.intake.archive import ArchiveError, ArchiveLimits, ArchiveResult, extract_archive
from zipfactory import (
    DIRECTORY,
    ENCRYPTED_FLAG,
    SYMLINK,
    UTF8_FLAG,
    ZEntry,
    bomb_entry,
    build_zip,
    notebook_bytes,
    png_bytes,
    unicode_path_extra,
    write_zip,
)

NB = "DL_2주차_과제.ipynb"


@pytest.fixture(autouse=True)
def _no_extractall(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extractall must never be used")
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)


def _extract(tmp_path: Path, entries: list[ZEntry], limits: ArchiveLimits = ArchiveLimits()) -> ArchiveResult:
    return extract_archive(write_zip(tmp_path / "s.zip", entries), tmp_path / "out", limits)


def _reasons(result: ArchiveResult) -> dict[str, str]:
    return {s.name: s.reason for s in result.skipped}


@pytest.mark.parametrize("entry, encoding", [
    (ZEntry(NB, b"{}", flags=UTF8_FLAG), "utf-8-flag"),
    (ZEntry(unicodedata.normalize("NFD", NB).encode("utf-8"), b"{}"), "utf-8"),
    (ZEntry(NB.encode("cp949"), b"{}"), "cp949"),
], ids=["utf8-flag", "nfd-no-flag", "cp949-no-flag"])
def test_entry_names_are_decoded_to_nfc(tmp_path: Path, entry: ZEntry, encoding: str) -> None:
    result = _extract(tmp_path, [entry])
    (got,) = result.entries
    assert got.name == NB and got.encoding == encoding
    assert (tmp_path / "out" / NB).read_bytes() == b"{}"


def test_unicode_path_extra_field_is_used_when_crc_matches(tmp_path: Path) -> None:
    raw = "과제.ipynb".encode("cp949")
    entry = ZEntry(raw, b"{}", extra=unicode_path_extra(NB, raw))
    (got,) = _extract(tmp_path, [entry]).entries
    assert got.name == NB and got.encoding == "unicode-path-extra"


def test_unicode_path_extra_field_is_ignored_when_crc_is_wrong(tmp_path: Path) -> None:
    raw = "과제.ipynb".encode("cp949")
    entry = ZEntry(raw, b"{}", extra=unicode_path_extra(NB, raw, good_crc=False))
    (got,) = _extract(tmp_path, [entry]).entries
    assert got.name == "과제.ipynb" and got.encoding == "cp949"


def test_macos_metadata_and_directories_are_skipped_quietly(tmp_path: Path) -> None:
    result = _extract(tmp_path, [
        ZEntry("folder/", unix_mode=DIRECTORY), ZEntry("folder/x.ipynb", b"{}"),
        ZEntry("__MACOSX/folder/._x.ipynb", b"junk"), ZEntry("folder/._x.ipynb", b"junk"),
        ZEntry("folder/.DS_Store", b"junk"),
    ])
    assert [e.name for e in result.entries] == ["x.ipynb"]
    assert set(_reasons(result).values()) == {"directory", "junk"}
    assert result.problems == ()
    assert not (tmp_path / "out" / "__MACOSX").exists()


def test_single_wrapper_folder_is_stripped(tmp_path: Path) -> None:
    wrapper = "2주차 과제_22기_박세훈"
    result = _extract(tmp_path, [ZEntry(f"{wrapper}/", unix_mode=DIRECTORY, flags=UTF8_FLAG),
                                 ZEntry(f"{wrapper}/{NB}", b"{}", flags=UTF8_FLAG),
                                 ZEntry(f"{wrapper}/shot.png", png_bytes(), flags=UTF8_FLAG)])
    assert result.wrapper == wrapper
    assert sorted(e.name for e in result.entries) == [NB, "shot.png"]
    assert (tmp_path / "out" / NB).is_file()
    assert any(wrapper in n.ko for n in result.notes)


@pytest.mark.parametrize("name, reason", [
    ("../evil.ipynb", "path-traversal"),
    ("a/../../evil.ipynb", "path-traversal"),
    ("..\\evil.ipynb", "path-traversal"),
    ("/etc/evil", "absolute-path"),
    ("\\\\server\\share\\evil", "absolute-path"),
    ("C:\\evil.ipynb", "absolute-path"),
    ("c:/evil.ipynb", "absolute-path"),
])
def test_unsafe_paths_are_refused(tmp_path: Path, name: str, reason: str) -> None:
    result = _extract(tmp_path, [ZEntry(name, b"evil"), ZEntry("ok.ipynb", b"{}")])
    assert [e.name for e in result.entries] == ["ok.ipynb"]
    assert _reasons(result) == {name: reason}
    assert len(result.problems) == 1 and name in result.problems[0].ko
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ok.ipynb", "out", "s.zip"]


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    result = _extract(tmp_path, [ZEntry("link.ipynb", b"/etc/passwd", unix_mode=SYMLINK, deflate=False)])
    assert result.entries == () and _reasons(result) == {"link.ipynb": "symlink"}
    assert not (tmp_path / "out" / "link.ipynb").exists()
    assert "심볼릭" in result.problems[0].ko


def test_encrypted_entry_is_skipped_with_reason(tmp_path: Path) -> None:
    result = _extract(tmp_path, [ZEntry(NB, b"\x00" * 40, flags=ENCRYPTED_FLAG | UTF8_FLAG, deflate=False)])
    assert result.entries == () and _reasons(result) == {NB: "encrypted"}
    assert "암호" in result.problems[0].ko and "password" in result.problems[0].en


def test_nested_archive_is_ignored_with_note(tmp_path: Path) -> None:
    inner = build_zip([ZEntry("x.ipynb", b"{}")])
    result = _extract(tmp_path, [ZEntry("inner.zip", inner), ZEntry("x.ipynb", b"{}")])
    assert [e.name for e in result.entries] == ["x.ipynb"]
    assert _reasons(result) == {"inner.zip": "nested-archive"}


def test_corrupt_entry_is_skipped_others_kept(tmp_path: Path) -> None:
    result = _extract(tmp_path, [ZEntry("bad.ipynb", b"{}" * 100, bad_crc=True), ZEntry("ok.ipynb", b"{}")])
    assert [e.name for e in result.entries] == ["ok.ipynb"]
    assert _reasons(result) == {"bad.ipynb": "corrupt"}
    assert not (tmp_path / "out" / "bad.ipynb").exists()


def test_nfc_nfd_duplicate_is_written_once(tmp_path: Path) -> None:
    result = _extract(tmp_path, [ZEntry(NB, b"{}", flags=UTF8_FLAG),
                                 ZEntry(unicodedata.normalize("NFD", NB).encode("utf-8"), b"{}")])
    assert [e.name for e in result.entries] == [NB]
    assert _reasons(result) == {NB: "duplicate"}


def test_zip_bomb_is_stopped_by_ratio(tmp_path: Path) -> None:
    result = _extract(tmp_path, [bomb_entry("bomb.ipynb", 40 * 1024 * 1024), ZEntry("ok.ipynb", b"{}")])
    assert [e.name for e in result.entries] == ["ok.ipynb"]
    assert _reasons(result) == {"bomb.ipynb": "ratio"}
    assert not (tmp_path / "out" / "bomb.ipynb").exists()


def test_lying_header_size_is_not_trusted(tmp_path: Path) -> None:
    bomb = bomb_entry("bomb.bin", 3 * 1024 * 1024)
    bomb.size = 10  # the header claims 10 bytes; decompression stops there and the CRC check fails
    limits = ArchiveLimits(max_total_bytes=1024 * 1024)
    result = _extract(tmp_path, [bomb], limits)
    assert result.entries == () and _reasons(result) == {"bomb.bin": "corrupt"}


def test_total_size_cap_stops_extraction(tmp_path: Path) -> None:
    big = bytes(range(256)) * 2048  # 512 KiB, barely compressible ratio-wise
    limits = ArchiveLimits(max_total_bytes=700 * 1024)
    result = _extract(tmp_path, [ZEntry("a.bin", big), ZEntry("b.bin", big), ZEntry("c.bin", big)], limits)
    assert [e.name for e in result.entries] == ["a.bin"]
    assert _reasons(result) == {"b.bin": "too-large", "c.bin": "too-large"}
    assert sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file()) <= limits.max_total_bytes


def test_too_many_entries(tmp_path: Path) -> None:
    entries = [ZEntry(f"f{i}.txt", b"x") for i in range(30)]
    with pytest.raises(ArchiveError) as err:
        _extract(tmp_path, entries, ArchiveLimits(max_entries=20))
    assert err.value.kind == "too-many-entries" and "30" in err.value.message.ko


def test_default_entry_cap(tmp_path: Path) -> None:
    entries = [ZEntry(f"f{i}.txt", b"", deflate=False) for i in range(ArchiveLimits().max_entries + 1)]
    with pytest.raises(ArchiveError) as err:
        _extract(tmp_path, entries)
    assert err.value.kind == "too-many-entries"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content, kind, hint", [
    (b"", "empty", "0바이트"),
    (notebook_bytes(), "notebook-not-zip", ".ipynb"),
    (b"Rar!\x1a\x07\x00" + bytes(20), "rar-not-zip", "rar"),
    (b"hello, not a zip", "not-a-zip", "zip"),
], ids=["zero-byte", "renamed-notebook", "rar", "text"])
def test_whole_archive_errors(tmp_path: Path, content: bytes, kind: str, hint: str) -> None:
    path = tmp_path / "s.zip"
    path.write_bytes(content)
    with pytest.raises(ArchiveError) as err:
        extract_archive(path, tmp_path / "out")
    assert err.value.kind == kind and hint in err.value.message.ko and err.value.message.en


def test_truncated_zip(tmp_path: Path) -> None:
    data = build_zip([ZEntry(NB, notebook_bytes()), ZEntry("shot.png", png_bytes())])
    path = tmp_path / "s.zip"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError) as err:
        extract_archive(path, tmp_path / "out")
    assert err.value.kind == "truncated" and "다시 압축" in err.value.message.ko


def test_invalid_utf8_under_flag_is_an_archive_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError) as err:
        _extract(tmp_path, [ZEntry(b"\xff\xfe.ipynb", b"{}", flags=UTF8_FLAG)])
    assert err.value.kind == "corrupt" and "이름" in err.value.message.ko


def test_random_corruption_never_escapes_as_unhandled_exception(tmp_path: Path) -> None:
    import random

    rng = random.Random(1234)
    data = build_zip([ZEntry(NB, notebook_bytes(), flags=UTF8_FLAG), ZEntry("a/b.png", png_bytes()),
                      ZEntry("c.txt", b"hello" * 50, deflate=False)])
    for i in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        path = tmp_path / f"m{i}.zip"
        path.write_bytes(bytes(mutated))
        try:
            extract_archive(path, tmp_path / f"out{i}", ArchiveLimits(max_total_bytes=1024 * 1024))
        except ArchiveError:
            pass
