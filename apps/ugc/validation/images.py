"""Images (screenshots, artwork, archive previews): the shared checks of
``apps.common.images`` (magic bytes, pixel-count guard before decoding, format-restricted full
decode), a check that nothing follows the image's end (polyglots such as JPEG + ZIP), and a
re-encode that drops all metadata (EXIF/GPS, XMP, comments) after applying EXIF orientation.
"""

import struct
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from apps.common.images import (
    ImageProblem,
    ImageRejected,
    image_encode,
    image_open_checked,
    image_upright,
)
from apps.ugc.exceptions import CorruptFile, DecompressionBomb, Polyglot, UnsupportedType

# Re-encoding keeps the family: PNG stays lossless, photos stay JPEG, WebP stays WebP.
_ENCODE = {"png": ("PNG", 0), "jpeg": ("JPEG", 92), "webp": ("WEBP", 90)}
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 65_535 + 22  # a ZIP end record with the longest comment
# Some encoders pad JPEGs; padding is not data.
_PADDING = b"\x00\r\n \t"


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    width: int
    height: int
    file_type: str  # png | jpeg | webp


def _png_end(source: IO[bytes], size: int) -> int:
    """Offset just after the IEND chunk (chunk headers only; the decode checked the rest)."""
    position = 8
    while True:
        source.seek(position)
        header = source.read(8)
        if len(header) < 8:
            raise CorruptFile(details={"reason": "png_structure"})
        length, chunk_type = struct.unpack(">I4s", header)
        position += 12 + length
        if chunk_type == b"IEND":
            return position
        if position > size:
            raise CorruptFile(details={"reason": "png_structure"})


def _webp_end(source: IO[bytes]) -> int:
    source.seek(4)
    (riff_size,) = struct.unpack("<I", source.read(4))
    return 8 + riff_size + (riff_size & 1)


def _jpeg_trailing(source: IO[bytes], size: int) -> bool:
    """True when data follows the final end-of-image marker, or a ZIP end record sits in the
    tail (a ZIP whose comment ends like a JPEG)."""
    source.seek(max(0, size - _ZIP_TAIL))
    tail = source.read()
    return not tail.rstrip(_PADDING).endswith(b"\xff\xd9") or _ZIP_END in tail


def _has_trailing_data(source: IO[bytes], *, size: int, file_type: str) -> bool:
    if file_type == "png":
        return _png_end(source, size) < size
    if file_type == "webp":
        return _webp_end(source) < size
    return _jpeg_trailing(source, size)


def image_prepare(source: IO[bytes], *, size: int, file_type: str) -> PreparedImage:
    """Validate an untrusted image file and re-encode it; raises the UGC error of the first
    failed check (``unsupported_type``, ``decompression_bomb``, ``corrupt_file``,
    ``polyglot``). The re-encoded bytes are what gets stored, never the upload."""
    try:
        image = image_open_checked(source, max_pixels=settings.UGC_IMAGE_MAX_PIXELS)
    except ImageRejected as rejected:
        if rejected.problem == ImageProblem.TOO_MANY_PIXELS:
            raise DecompressionBomb(
                details={"max_pixels": settings.UGC_IMAGE_MAX_PIXELS}
            ) from rejected
        if rejected.problem == ImageProblem.UNSUPPORTED_TYPE:
            raise UnsupportedType() from rejected
        raise CorruptFile(details={"reason": "image"}) from rejected
    if _has_trailing_data(source, size=size, file_type=file_type):
        raise Polyglot()
    image = image_upright(image)
    image_format, quality = _ENCODE[file_type]
    data = image_encode(image, image_format=image_format, quality=quality)
    return PreparedImage(data=data, width=image.width, height=image.height, file_type=file_type)
