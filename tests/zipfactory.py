"""Build test zips byte by byte (names, flags, extra fields and modes exactly as given), tiny
notebooks and images. Everything here is synthetic: no real submission content.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import v3, v4

UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
REGULAR = 0o100644
SYMLINK = 0o120777
DIRECTORY = 0o040755


@dataclass
class ZEntry:
    """One zip entry. A str name is written as UTF-8 bytes (flag only if flags says so)."""

    name: str | bytes
    data: bytes = b""
    flags: int = 0
    extra: bytes = b""
    unix_mode: int = REGULAR
    deflate: bool = True
    # Precomputed payload (for large entries): compressed bytes, uncompressed size and CRC.
    compressed: bytes | None = None
    size: int | None = None
    crc: int | None = None
    bad_crc: bool = False

    def raw_name(self) -> bytes:
        return self.name.encode("utf-8") if isinstance(self.name, str) else self.name

    def payload(self) -> tuple[bytes, int, int, int]:
        """(stored bytes, compression method, uncompressed size, crc)."""
        if self.compressed is not None:
            return self.compressed, 8, self.size or 0, self.crc or 0
        crc = zlib.crc32(self.data) ^ (0xFFFF if self.bad_crc else 0)
        if self.deflate:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            return comp.compress(self.data) + comp.flush(), 8, len(self.data), crc
        return self.data, 0, len(self.data), crc


def build_zip(entries: list[ZEntry]) -> bytes:
    """A complete zip archive with exactly these entries."""
    body, central = bytearray(), bytearray()
    for entry in entries:
        name, (data, method, size, crc) = entry.raw_name(), entry.payload()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, entry.flags, method, 0, 0x21, crc,
                            len(data), size, len(name), len(entry.extra)) + name + entry.extra + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, entry.flags, method, 0, 0x21,
                               crc, len(data), size, len(name), len(entry.extra), 0, 0, 0,
                               (entry.unix_mode << 16) & 0xFFFFFFFF, offset) + name + entry.extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    return bytes(body + central + end)


def write_zip(path: Path, entries: list[ZEntry]) -> Path:
    path.write_bytes(build_zip(entries))
    return path


def unicode_path_extra(unicode_name: str, raw_name: bytes, good_crc: bool = True) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075) for raw_name."""
    crc = zlib.crc32(raw_name) if good_crc else zlib.crc32(raw_name) ^ 0xDEAD
    data = b"\x01" + struct.pack("<I", crc) + unicode_name.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(data)) + data


def bomb_entry(name: str, size: int) -> ZEntry:
    """A highly compressible entry of `size` zero bytes, compressed without holding it in memory."""
    comp, crc, chunk = zlib.compressobj(9, zlib.DEFLATED, -15), 0, bytes(1 << 20)
    parts = []
    for start in range(0, size, len(chunk)):
        piece = chunk[: min(len(chunk), size - start)]
        crc = zlib.crc32(piece, crc)
        parts.append(comp.compress(piece))
    parts.append(comp.flush())
    return ZEntry(name, compressed=b"".join(parts), size=size, crc=crc)


def stdlib_zip(path: Path, files: dict[str, bytes]) -> Path:
    """A plain zip written by Python's zipfile (UTF-8 flag set for non-ASCII names)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def notebook_bytes(code: tuple[str, ...] = ("x = 1",), markdown: str | None = "# 과제") -> bytes:
    """A tiny valid nbformat-4 notebook."""
    cells = ([v4.new_markdown_cell(markdown)] if markdown else []) + [v4.new_code_cell(c) for c in code]
    return nbformat.writes(v4.new_notebook(cells=cells)).encode("utf-8")


def notebook_v3_bytes(code: tuple[str, ...] = ("x = 1",)) -> bytes:
    """A tiny nbformat-3 notebook."""
    sheet = v3.new_worksheet(cells=[v3.new_code_cell(input=c) for c in code])
    return nbformat.writes(v3.new_notebook(worksheets=[sheet]), version=3).encode("utf-8")


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    """Bytes that start like a JPEG (enough for magic-number checks)."""
    return b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9"
