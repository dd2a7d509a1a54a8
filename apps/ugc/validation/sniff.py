"""What a file is, from its first bytes (never from its name or declared type)."""

from apps.common.images import image_sniff

# A sniffed type → extension and media type of the stored file.
FILE_TYPES = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "zip": ("zip", "application/zip"),
}
IMAGE_TYPES = ("png", "jpeg", "webp")
ARCHIVE_TYPES = ("zip",)
# What each kind accepts. Replays, levels and mods are ZIP packages (docs/ugc.md).
KIND_TYPES = {
    "screenshot": IMAGE_TYPES,
    "artwork": IMAGE_TYPES,
    "replay": ARCHIVE_TYPES,
    "level": ARCHIVE_TYPES,
    "mod": ARCHIVE_TYPES,
}
_PILLOW_NAMES = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}
# Recognised only to name them in ``details.detected``; never accepted.
_OTHER_MAGIC = (
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"BM", "bmp"),
)
# A ZIP starts with a local file header (an empty one with the end record only is refused too).
_ZIP_MAGIC = b"PK\x03\x04"


def _sniff_text(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "svg"
    if text.startswith((b"<!doctype html", b"<html", b"<script", b"<?xml")):
        return "html"
    return None


def file_sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes (read at least 512): ``png``, ``jpeg``,
    ``webp``, ``zip`` (accepted somewhere), or a name of a refused type (``svg``, ``gif``,
    ``html``, …), or None when unknown."""
    image_format = image_sniff(head[:16])
    if image_format is not None:
        return _PILLOW_NAMES[image_format]
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    return _sniff_text(head[:512])
