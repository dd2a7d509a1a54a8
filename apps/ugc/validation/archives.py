"""ZIP packages (replays, levels, mods), checked without extracting anything to disk.

1. The central directory: entry count, names (no absolute paths, ``..``, backslashes, drive
   letters or control characters; no two names that collide case-insensitively), no symlinks,
   no encryption, only stored/deflated entries, declared sizes within limits, per-entry and
   whole-archive compression ratio.
2. The layout: every entry's local header and data lie before the next entry and before the
   central directory (overlapping entries are how non-recursive zip bombs multiply output).
3. The content: every entry is decompressed into a counter and its CRC checked, so an entry
   whose header lies about its size is caught, with the output bounded by the declared size.

The first failed check raises ``ArchiveUnsafe`` with ``details.reason`` (and ``details.entry``).
"""

import stat
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from apps.ugc.exceptions import ArchiveUnsafe, CorruptFile

_READ_CHUNK = 1 << 20
# Ratios are only judged past this size: small entries of zeros compress absurdly well.
_RATIO_FLOOR_BYTES = 1 << 20
PREVIEW_NAMES = ("preview.png", "preview.jpg", "preview.jpeg", "preview.webp")
PREVIEW_MAX_BYTES = 10 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")


@dataclass(frozen=True)
class ArchiveReport:
    entry_count: int
    uncompressed_size: int
    preview: bytes | None  # a root-level preview.{png,jpg,webp}, unchecked yet


def _unsafe(reason: str, entry: str | None = None) -> ArchiveUnsafe:
    details = {"reason": reason}
    if entry is not None:
        details["entry"] = entry[:200]
    return ArchiveUnsafe(details=details)


# Characters Windows refuses in names: an archive must extract the same on every platform.
_WINDOWS_RESERVED = set('<>:"|?*')


def _check_name(name: str) -> None:
    parts = name.split("/")
    is_drive = len(name) > 1 and name[1] == ":"
    if name.startswith("/") or "\\" in name or is_drive or ".." in parts:
        raise _unsafe("path_traversal", name)
    is_invisible = any(unicodedata.category(char) in ("Cc", "Cf") for char in name)
    if not name or is_invisible or _WINDOWS_RESERVED & set(name):
        raise _unsafe("invalid_name", name)


def _check_entry(info: zipfile.ZipInfo) -> None:
    _check_name(info.filename)
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        raise _unsafe("symlink", info.filename)
    if info.flag_bits & 0x1:
        raise _unsafe("encrypted", info.filename)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unsafe("unsupported_compression", info.filename)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR_BYTES and ratio > settings.UGC_ARCHIVE_MAX_RATIO:
        raise _unsafe("compression_ratio", info.filename)


def _check_directory(infos: list[zipfile.ZipInfo], *, archive_size: int) -> int:
    if not infos:
        raise _unsafe("empty")
    if len(infos) > settings.UGC_ARCHIVE_MAX_ENTRIES:
        raise _unsafe("too_many_entries")
    seen: set[str] = set()
    total = 0
    for info in infos:
        _check_entry(info)
        key = unicodedata.normalize("NFC", info.filename.rstrip("/")).casefold()
        if key in seen:
            raise _unsafe("duplicate_entry", info.filename)
        seen.add(key)
        total += info.file_size
        if total > settings.UGC_ARCHIVE_MAX_UNCOMPRESSED_BYTES:
            raise _unsafe("too_large_uncompressed")
    if total > _RATIO_FLOOR_BYTES and total / max(archive_size, 1) > settings.UGC_ARCHIVE_MAX_RATIO:
        raise _unsafe("compression_ratio")
    return total


def _check_layout(source: IO[bytes], infos: list[zipfile.ZipInfo], directory_start: int) -> None:
    """Each entry's bytes end before the next entry (and the central directory) begins."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    limits = [info.header_offset for info in ordered[1:]] + [directory_start]
    for info, limit in zip(ordered, limits, strict=True):
        source.seek(info.header_offset)
        header = source.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise _unsafe("overlapping_entries", info.filename)
        _magic, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if end + info.compress_size > limit:
            raise _unsafe("overlapping_entries", info.filename)


def _check_content(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> bytes | None:
    """Decompress every entry into a counter (CRC and size checked); returns the preview."""
    preview = None
    for info in infos:
        if info.is_dir():
            continue
        is_preview = info.filename.lower() in PREVIEW_NAMES and info.file_size <= PREVIEW_MAX_BYTES
        kept = bytearray()
        produced = 0
        try:
            with archive.open(info) as entry:
                while chunk := entry.read(_READ_CHUNK):
                    produced += len(chunk)
                    if is_preview:
                        kept += chunk
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise _unsafe("entry_mismatch", info.filename) from error
        if produced != info.file_size:
            raise _unsafe("entry_mismatch", info.filename)
        if is_preview and preview is None:
            preview = bytes(kept)
    return preview


def archive_check(source: IO[bytes], *, size: int) -> ArchiveReport:
    """Check a ZIP package from a seekable file (see the module docstring)."""
    source.seek(0)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise CorruptFile(details={"reason": "archive"}) from error
    with archive:
        infos = archive.infolist()
        total = _check_directory(infos, archive_size=size)
        directory_start = getattr(archive, "start_dir", size)
        _check_layout(source, infos, directory_start)
        preview = _check_content(archive, infos)
    return ArchiveReport(entry_count=len(infos), uncompressed_size=total, preview=preview)
