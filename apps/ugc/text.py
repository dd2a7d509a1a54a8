"""Pure text rules of UGC: tags, file names, game versions, clip links, plain-text fields.
No database access here."""

import re
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings

from apps.ugc.exceptions import InvalidGameVersion, InvalidLink, InvalidTags

MAX_TAGS = 10
TAG_MAX_LENGTH = 32
_TAG_SEPARATORS = re.compile(r"[\s]+")
_TAG_ALLOWED = re.compile(r"^[\w-]+$")
_VERSION = re.compile(r"^(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?$")
_FILENAME_UNSAFE = re.compile(r"[^\w.\- ()]+")


def _drop_invisible(text: str) -> str:
    """Control, format (zero-width, bidi) and unassigned characters out; newlines and tabs
    stay where plain text may have them."""
    return "".join(
        char
        for char in text
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cn", "Co", "Cs")
    )


def plain_text(text: str, *, multiline: bool) -> str:
    """Plain text as stored: NFC, invisible characters dropped, trimmed; one line unless
    ``multiline`` (then at most two blank lines in a row)."""
    cleaned = _drop_invisible(unicodedata.normalize("NFC", text))
    if not multiline:
        return " ".join(cleaned.split())
    cleaned = cleaned.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def tag_normalize(raw: str) -> str:
    """One tag: NFKC + casefold, inner spaces become '-', letters of any script, digits, '-'
    and '_' only, 1-32 characters. Raises ``InvalidTags``."""
    tag = unicodedata.normalize("NFKC", raw).casefold().strip()
    tag = _TAG_SEPARATORS.sub("-", _drop_invisible(tag)).strip("-")
    if not tag or len(tag) > TAG_MAX_LENGTH or not _TAG_ALLOWED.match(tag):
        raise InvalidTags(details={"tag": raw[:64]})
    return tag


def tags_normalize(raw: list[str] | str) -> list[str]:
    """A list (or comma-separated string) of tags, normalized and de-duplicated in order."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidTags()
        if not item.strip():
            continue
        tag = tag_normalize(item)
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidTags(details={"max": MAX_TAGS})
    return tags


def filename_sanitize(raw: str, *, extension: str) -> str:
    """A display name for a download (``Content-Disposition``): no folders, no control or
    shell-special characters, at most 100 characters, and the extension of the *verified*
    type whatever the uploaded name said. Storage names never use it."""
    base = unicodedata.normalize("NFKC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _drop_invisible(base)
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _FILENAME_UNSAFE.sub("_", stem).strip(" ._")[:100] or "file"
    return f"{stem}.{extension}"


def game_version_key(raw: str) -> int:
    """``"1.4.2"`` → a sortable integer (each part below a million); ``"1.4"`` is 1.4.0."""
    match = _VERSION.match(raw.strip())
    if match is None:
        raise InvalidGameVersion(details={"value": raw[:32]})
    major, minor, patch = (int(part or 0) for part in match.groups())
    return (major * 1_000_000 + minor) * 1_000_000 + patch


def game_version_range(minimum: str, maximum: str) -> tuple[int | None, int | None]:
    """Keys of an optional ``[minimum, maximum]`` range (either end may be empty)."""
    low = game_version_key(minimum) if minimum.strip() else None
    high = game_version_key(maximum) if maximum.strip() else None
    if low is not None and high is not None and low > high:
        raise InvalidGameVersion(details={"min": minimum, "max": maximum})
    return low, high


def clip_link_clean(raw: str) -> str:
    """An https link to an allowed video host (``UGC_CLIP_HOSTS`` or a subdomain), without
    credentials; raises ``InvalidLink``."""
    link = raw.strip()
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError as error:
        raise InvalidLink() from error
    allowed = any(host == h or host.endswith(f".{h}") for h in settings.UGC_CLIP_HOSTS)
    is_bad_text = len(link) > 500 or any(ord(c) <= 0x20 or c == "\x7f" for c in link)
    if parts.scheme != "https" or not allowed or parts.username or parts.password or is_bad_text:
        raise InvalidLink(details={"allowed_hosts": list(settings.UGC_CLIP_HOSTS)})
    return link
