"""The ``ugc`` storage (settings ``STORAGES["ugc"]``) and how its files are handed out.

Names are server-generated: ``ugc/<yyyy>/<mm>/<dd>/<random>/<role>.<ext>`` for files and
thumbnails (the date is the day the file was written, so the orphan sweep only lists recent
days), ``ugc-staging/<upload uuid>/<chunk>`` for resumable-upload chunks. Nothing a client sent
(name, declared type) reaches a storage name or a stored content type.

Files are never public. ``blob_signed_url`` hands out a short-lived link: an Azure SAS URL
(read-only, expiring, with the content type and disposition fixed by the signature) on Azure
Blob Storage, or a signed link to ``/ugc/blob/<token>`` (``views.blob_serve``) on the local
filesystem.
"""

import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.urls import reverse
from django.utils import timezone

from apps.ugc.exceptions import LinkExpired

STAGING_PREFIX = "ugc-staging"
FILES_PREFIX = "ugc"
_SIGNING_SALT = "ugc.blob"


def ugc_storage() -> Storage:
    return storages["ugc"]


def storage_is_azure(storage: Storage | None = None) -> bool:
    """django-storages' AzureStorage (signs its own URLs); else a local filesystem."""
    return hasattr(storage or ugc_storage(), "azure_container")


def file_name_new(*, role: str, extension: str, now: datetime | None = None) -> str:
    day = (now or timezone.now()).astimezone(UTC)
    return f"{FILES_PREFIX}/{day:%Y/%m/%d}/{uuid.uuid4().hex}/{role}.{extension}"


def staging_chunk_name(*, upload_uuid: uuid.UUID, index: int) -> str:
    return f"{STAGING_PREFIX}/{upload_uuid.hex}/{index:06d}"


class _TypedFile(File):
    """A file whose stored content type is the *verified* one (django-storages reads
    ``content_type`` from the object it saves; stack-pitfalls §4.5)."""

    def __init__(self, file: IO[bytes], *, name: str, content_type: str) -> None:
        super().__init__(file, name=name)
        self.content_type = content_type


def blob_save(*, name: str, source: IO[bytes], content_type: str) -> str:
    """Store ``source`` (read from its start, streamed) under ``name``; returns the name
    actually used (storages never overwrite: a clash gets a suffix)."""
    source.seek(0)
    return ugc_storage().save(name, _TypedFile(source, name=name, content_type=content_type))


def blob_read(name: str) -> bytes:
    """A whole (small) file in memory: thumbnail sources. On Azure straight from the download
    stream, not through django-storages' spooled file (which spills past 2 MB to disk)."""
    storage: Any = ugc_storage()
    if storage_is_azure(storage):
        path = f"{storage.location.rstrip('/')}/{name}" if storage.location else name
        return bytes(storage.client.download_blob(path, timeout=storage.timeout).readall())
    with storage.open(name, "rb") as source:
        return bytes(source.read())


def blob_delete(names: list[str]) -> None:
    """Delete files; missing ones are fine (deletes are retried and repeated)."""
    storage = ugc_storage()
    for name in names:
        if name:
            storage.delete(name)


def blob_open(name: str) -> IO[bytes]:
    return ugc_storage().open(name, "rb")


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime


def _content_disposition(filename: str, *, as_attachment: bool) -> str:
    # RFC 6266 with an RFC 5987 UTF-8 form; the ASCII fallback has no quotes or backslashes.
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    kind = "attachment" if as_attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def blob_signed_url(
    *, name: str, filename: str, content_type: str, as_attachment: bool, ttl: int | None = None
) -> SignedUrl:
    """A link to one file that works for ``ttl`` seconds (``UGC_SIGNED_URL_TTL_SECONDS``)."""
    ttl = ttl or settings.UGC_SIGNED_URL_TTL_SECONDS
    expires_at = timezone.now() + timedelta(seconds=ttl)
    disposition = _content_disposition(filename, as_attachment=as_attachment)
    storage = ugc_storage()
    if storage_is_azure(storage):
        url = storage.url(  # type: ignore[call-arg]  # django-storages' AzureStorage.url
            name,
            expire=ttl,
            parameters={"content_disposition": disposition, "content_type": content_type},
        )
        return SignedUrl(url=url, expires_at=expires_at)
    # Rounded up: a link works for at least ``ttl`` seconds (rounding down cut up to one off).
    expires = math.ceil(time.time() + ttl)
    payload = {"n": name, "d": disposition, "t": content_type, "e": expires}
    token = signing.dumps(payload, salt=_SIGNING_SALT, compress=True)
    return SignedUrl(url=reverse("ugc:blob", kwargs={"token": token}), expires_at=expires_at)


def blob_token_read(token: str) -> dict[str, Any]:
    """The file a local signed link points at; ``BadSignature`` when forged, ``LinkExpired``
    once past its expiry."""
    payload = signing.loads(token, salt=_SIGNING_SALT)
    if not isinstance(payload, dict) or int(payload.get("e", 0)) < time.time():
        raise LinkExpired()
    return payload


def blob_list(prefix: str) -> list[str]:
    """Every file name under ``prefix`` (recursively, on both backends)."""
    storage = ugc_storage()
    if storage_is_azure(storage):
        return list(storage.list_all(prefix))  # type: ignore[attr-defined]
    if not storage.exists(prefix):
        return []
    directories, files = storage.listdir(prefix)
    names = [f"{prefix}/{file}" for file in files]
    for directory in directories:
        names.extend(blob_list(f"{prefix}/{directory}"))
    return names
