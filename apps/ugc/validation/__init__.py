"""Uploads validated by content, not by name (docs/ugc.md, "What is accepted").

``file_prepare`` takes a received file (on disk, with its SHA-256 and size) and returns what
is to be stored: the re-encoded image, or the archive itself once every check passed. Checks
run in this order, the first failure raising its code: ``empty_file`` → ``too_large`` (the
kind's limit) → ``unsupported_type`` (magic bytes; SVG is always refused) → the type's own
checks (images: ``decompression_bomb``, ``corrupt_file``, ``polyglot``; archives:
``corrupt_file``, ``archive_unsafe``). A preview image (uploaded beside an archive, or a root
``preview.png|jpg|webp`` inside it) passes the image checks too.
"""

import hashlib
import io
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

from apps.ugc.exceptions import EmptyFile, TooLarge, UnsupportedType
from apps.ugc.text import filename_sanitize
from apps.ugc.validation.archives import archive_check
from apps.ugc.validation.images import PreparedImage, image_prepare
from apps.ugc.validation.sniff import FILE_TYPES, IMAGE_TYPES, KIND_TYPES, file_sniff

__all__ = ["PreparedFile", "ReceivedFile", "file_prepare", "preview_prepare"]


@dataclass
class ReceivedFile:
    """An uploaded file as received: seekable, on local disk, hashed while it arrived."""

    file: IO[bytes]
    size: int
    sha256: str
    filename: str
    # The same bytes staged as uncommitted blocks on Azure (apps.ugc.staging), if they were.
    staged: Any = None


@dataclass
class PreparedFile:
    """What is stored for a version: ``file`` holds exactly ``size`` bytes hashing to
    ``sha256``; ``preview`` is a re-encoded preview image, if any."""

    file: IO[bytes]
    size: int
    sha256: str
    file_type: str
    extension: str
    content_type: str
    original_filename: str
    width: int | None = None
    height: int | None = None
    entry_count: int | None = None
    uncompressed_size: int | None = None
    preview: PreparedImage | None = None
    staged: Any = None  # apps.ugc.staging.BlockStager holding exactly these bytes


def _sniffed(source: IO[bytes], *, allowed: tuple[str, ...]) -> str:
    source.seek(0)
    detected = file_sniff(source.read(512))
    if detected not in allowed:
        raise UnsupportedType(details={"allowed": list(allowed), "detected": detected})
    return detected


def _from_image(received: ReceivedFile, file_type: str) -> PreparedFile:
    image = image_prepare(received.file, size=received.size, file_type=file_type)
    extension, content_type = FILE_TYPES[file_type]
    return PreparedFile(
        file=io.BytesIO(image.data),
        size=len(image.data),
        sha256=hashlib.sha256(image.data).hexdigest(),
        file_type=file_type,
        extension=extension,
        content_type=content_type,
        original_filename=filename_sanitize(received.filename, extension=extension),
        width=image.width,
        height=image.height,
    )


def _from_archive(received: ReceivedFile, preview: ReceivedFile | None) -> PreparedFile:
    report = archive_check(received.file, size=received.size)
    extension, content_type = FILE_TYPES["zip"]
    prepared_preview = None
    if preview is not None:
        prepared_preview = preview_prepare(preview)
    elif report.preview is not None:
        prepared_preview = _preview_from_bytes(report.preview)
    return PreparedFile(
        file=received.file,
        size=received.size,
        sha256=received.sha256,
        file_type="zip",
        extension=extension,
        content_type=content_type,
        original_filename=filename_sanitize(received.filename, extension=extension),
        entry_count=report.entry_count,
        uncompressed_size=report.uncompressed_size,
        preview=prepared_preview,
        staged=received.staged,
    )


def _preview_from_bytes(data: bytes) -> PreparedImage:
    with tempfile.TemporaryFile(dir=settings.UGC_SPOOL_DIR) as spooled:
        spooled.write(data)
        return preview_prepare(
            ReceivedFile(file=spooled, size=len(data), sha256="", filename="preview")
        )


def preview_prepare(received: ReceivedFile) -> PreparedImage:
    """A preview image: the screenshot limits and checks."""
    if received.size == 0:
        raise EmptyFile(details={"field": "preview"})
    if received.size > settings.UGC_MAX_BYTES["screenshot"]:
        raise TooLarge(
            details={"field": "preview", "max_bytes": settings.UGC_MAX_BYTES["screenshot"]}
        )
    file_type = _sniffed(received.file, allowed=IMAGE_TYPES)
    return image_prepare(received.file, size=received.size, file_type=file_type)


def file_prepare(
    *, kind: str, received: ReceivedFile, preview: ReceivedFile | None = None
) -> PreparedFile:
    """Validate ``received`` for ``kind`` (see the module docstring); raises the first
    failed check's error and stores nothing."""
    allowed = KIND_TYPES[kind]
    if received.size == 0:
        raise EmptyFile()
    limit = settings.UGC_MAX_BYTES[kind]
    if received.size > limit:
        raise TooLarge(details={"max_bytes": limit})
    file_type = _sniffed(received.file, allowed=allowed)
    if file_type in IMAGE_TYPES:
        return _from_image(received, file_type)
    return _from_archive(received, preview)
