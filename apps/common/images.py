"""Untrusted images, checked by content and re-encoded (stack-pitfalls §4.5). Shared by avatars
(apps.players.avatars) and UGC (apps.ugc.validation), which map the reasons to their own codes.

Order of checks: magic bytes (PNG, JPEG, WebP only — whatever the name or declared type says),
pixel count from the header *before* decoding (the decompression-bomb guard; Pillow's own
``MAX_IMAGE_PIXELS`` warning is turned into an error too), then a full decode restricted to
the sniffed format (``Image.open(formats=[...])``: no other decoder is ever reached). Encoding
never passes EXIF, XMP or comments along, so metadata (GPS positions, camera serials) is
dropped; EXIF orientation is applied to the pixels first.
"""

import enum
import io
import warnings
from typing import IO, Any

from PIL import Image, ImageOps

IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
# Pillow format name → file extension and media type of the re-encoded file.
IMAGE_TYPES = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}


class ImageProblem(enum.StrEnum):
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_MANY_PIXELS = "too_many_pixels"
    CORRUPT = "corrupt"


class ImageRejected(Exception):
    """Why an image was refused; callers turn ``problem`` into their own error code."""

    def __init__(self, problem: ImageProblem) -> None:
        self.problem = problem
        super().__init__(problem.value)


def image_sniff(head: bytes) -> str | None:
    """The Pillow format name of an accepted image type from its first 16 bytes, or None."""
    for magic, image_format in IMAGE_MAGIC:
        if head.startswith(magic):
            return image_format
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def image_open_checked(source: IO[bytes], *, max_pixels: int) -> Image.Image:
    """Decode an untrusted image with every guard on; raises ``ImageRejected``.

    ``source`` is read from its start; the decoded image is fully loaded (so a truncated or
    damaged file is refused here, not later while encoding)."""
    source.seek(0)
    image_format = image_sniff(source.read(16))
    if image_format is None:
        raise ImageRejected(ImageProblem.UNSUPPORTED_TYPE)
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=[image_format])
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(ImageProblem.TOO_MANY_PIXELS)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(ImageProblem.TOO_MANY_PIXELS) from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageRejected(ImageProblem.CORRUPT) from error
    return image


def image_open_bytes_checked(data: bytes, *, max_pixels: int) -> Image.Image:
    return image_open_checked(io.BytesIO(data), max_pixels=max_pixels)


def image_upright(image: Image.Image) -> Image.Image:
    """EXIF orientation applied to the pixels (the EXIF itself is never written back)."""
    return ImageOps.exif_transpose(image)


# Pillow writes some metadata from ``image.info`` on its own (a JPEG ``comment``, for one): only
# what changes how pixels look survives a re-encode.
_KEPT_INFO = ("transparency",)


def image_encode(image: Image.Image, *, image_format: str, quality: int = 85) -> bytes:
    """Encode without any metadata (EXIF, XMP, comments, ICC profiles, text chunks): the
    image's ``info`` is cleared but for transparency, and nothing is passed to ``save``.
    PNG stays lossless; JPEG and WebP use ``quality``."""
    kept: dict[str | tuple[int, int], Any] = {
        key: image.info[key] for key in _KEPT_INFO if key in image.info
    }
    # The caller's image keeps its info: it is swapped out only while saving (no pixel copy).
    original_info, image.info = image.info, kept
    try:
        out = io.BytesIO()
        if image_format == "JPEG":
            converted = image if image.mode in ("RGB", "L") else image.convert("RGB")
            converted.save(out, format="JPEG", quality=quality, optimize=True)
        elif image_format == "PNG":
            ok = ("RGB", "RGBA", "L", "LA", "P")
            converted = image if image.mode in ok else image.convert("RGBA")
            converted.save(out, format="PNG")
        else:
            converted = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
            converted.save(out, format="WEBP", quality=quality)
    finally:
        image.info = original_info
    return out.getvalue()
