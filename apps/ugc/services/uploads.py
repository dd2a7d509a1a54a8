"""Resumable uploads (docs/ugc.md, "Resumable uploads"): a session, chunks appended in order
with ``Content-Range``, then the session's file is used like a direct upload by
``item_create``/``version_add``.

Chunks are stored in the ugc storage (``ugc-staging/<uuid>/<index>``), so any web node can
take the next chunk and a node restart loses nothing. When the file is used, the chunks are
streamed into one local spool file (validation needs to seek: a ZIP's directory is at its
end) and deleted once the item is committed. Unfinished sessions expire
(``UGC_UPLOAD_SESSION_TTL_SECONDS``) and the sweep deletes their chunks and rows.
"""

import hashlib
import re
import tempfile
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc import enforcement
from apps.ugc.enforcement import ACTION_UPLOAD
from apps.ugc.exceptions import (
    EmptyFile,
    FileRequired,
    TooLarge,
    TooManyUploads,
    UnknownUpload,
    UploadIncomplete,
    UploadOffsetMismatch,
)
from apps.ugc.models import Kind, UploadSession
from apps.ugc.services import policy
from apps.ugc.storage import blob_delete, blob_open, blob_save, staging_chunk_name
from apps.ugc.text import plain_text
from apps.ugc.validation import ReceivedFile

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_COPY_CHUNK = 1 << 20


def upload_session_create(
    *, player: Player, title: Title, kind: str, filename: str, size: int
) -> UploadSession:
    """Open a session for a file of ``size`` bytes (within the kind's limit, of a kind the
    title accepts). Opening a session does not count against the upload rate limit: the
    item or version made from it does. A player holds at most
    ``UGC_UPLOAD_SESSIONS_MAX_OPEN`` unexpired sessions reserving at most
    ``UGC_UPLOAD_SESSIONS_MAX_BYTES`` in all (``too_many_uploads``): staging space is
    bounded per player whatever the client does."""
    enforcement.ugc_sanction_check(player=player, action=ACTION_UPLOAD, title=title)
    if kind not in Kind.values or kind == Kind.CLIP:
        raise FileRequired(details={"kind": kind})
    policy.kind_allowed_check(title=title, kind=kind)
    if size <= 0:
        raise EmptyFile()
    limit = settings.UGC_MAX_BYTES[kind]
    if size > limit:
        raise TooLarge(details={"max_bytes": limit})
    with transaction.atomic():
        # The player's row serializes concurrent opens, so two at once cannot both pass.
        Player.objects.select_for_update().filter(id=player.id).exists()
        _open_sessions_check(player=player, size=size)
        return UploadSession.objects.create(
            player=player,
            kind=kind,
            filename=plain_text(filename, multiline=False)[:120],
            size=size,
            expires_at=timezone.now() + timedelta(seconds=settings.UGC_UPLOAD_SESSION_TTL_SECONDS),
        )


def _open_sessions_check(*, player: Player, size: int) -> None:
    totals = UploadSession.objects.filter(player=player, expires_at__gt=timezone.now()).aggregate(
        count=Count("id"), reserved=Sum("size")
    )
    open_count, reserved = totals["count"], totals["reserved"] or 0
    max_open, max_bytes = (
        settings.UGC_UPLOAD_SESSIONS_MAX_OPEN,
        settings.UGC_UPLOAD_SESSIONS_MAX_BYTES,
    )
    if open_count >= max_open or reserved + size > max_bytes:
        raise TooManyUploads(
            details={"max_open": max_open, "open": open_count, "max_bytes": max_bytes,
                     "open_bytes": reserved}
        )  # fmt: skip


def upload_session_get(*, player: Player, upload_uuid: str) -> UploadSession:
    session = UploadSession.objects.filter(
        uuid=upload_uuid, player=player, expires_at__gt=timezone.now()
    ).first()
    if session is None:
        raise UnknownUpload()
    return session


def content_range_parse(header: str, *, length: int) -> tuple[int, int]:
    """``bytes <first>-<last>/<total>`` → (first, total); the range must match the body."""
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise UploadOffsetMismatch(details={"reason": "content_range"})
    first, last, total = (int(part) for part in match.groups())
    if last < first or last - first + 1 != length:
        raise UploadOffsetMismatch(details={"reason": "content_range"})
    return first, total


def upload_chunk_append(
    *, session: UploadSession, first: int, total: int, chunk: IO[bytes], length: int
) -> UploadSession:
    """Append ``chunk`` (``length`` bytes, starting at byte ``first`` of the file). Holds the
    session's row lock while storing, so two clients cannot append the same range; a chunk
    that does not start at ``received`` answers ``upload_offset_mismatch`` with the offset to
    resume from."""
    if length == 0 or length > settings.UGC_UPLOAD_CHUNK_BYTES:
        raise UploadOffsetMismatch(details={"max_chunk_bytes": settings.UGC_UPLOAD_CHUNK_BYTES})
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(id=session.id)
        if total != locked.size or first != locked.received or first + length > locked.size:
            raise UploadOffsetMismatch(details={"offset": locked.received, "size": locked.size})
        name = staging_chunk_name(upload_uuid=locked.uuid, index=locked.chunk_count)
        stored = blob_save(name=name, source=chunk, content_type="application/octet-stream")
        try:
            locked.received += length
            locked.chunk_count += 1
            locked.save(update_fields=["received", "chunk_count", "updated_at"])
        except BaseException:
            blob_delete([stored])
            raise
    return locked


def _chunk_names(session: UploadSession) -> list[str]:
    return [
        staging_chunk_name(upload_uuid=session.uuid, index=index)
        for index in range(session.chunk_count)
    ]


def upload_session_assemble(*, session: UploadSession) -> ReceivedFile:
    """The session's file as one local spool file (hashed while copied). The caller closes
    it. ``upload_incomplete`` until every byte arrived."""
    if not session.is_complete:
        raise UploadIncomplete(details={"offset": session.received, "size": session.size})
    spool = tempfile.NamedTemporaryFile(suffix=".ugc", dir=settings.UGC_SPOOL_DIR)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    try:
        for name in _chunk_names(session):
            with blob_open(name) as chunk:
                while block := chunk.read(_COPY_CHUNK):
                    spool.write(block)
                    digest.update(block)
                    size += len(block)
        spool.flush()
    except BaseException:
        spool.close()
        raise
    return ReceivedFile(file=spool, size=size, sha256=digest.hexdigest(), filename=session.filename)


def upload_session_delete(*, session: UploadSession) -> None:
    """Drop a session and (once that commits) its chunks."""
    names = _chunk_names(session)
    with transaction.atomic():
        UploadSession.objects.filter(id=session.id).delete()
        transaction.on_commit(lambda: blob_delete(names))


def upload_sessions_expire(*, now: datetime | None = None) -> int:
    """Delete every expired session and its chunks; returns how many."""
    expired = UploadSession.objects.filter(expires_at__lte=now or timezone.now())
    count = 0
    for session in expired.iterator():
        upload_session_delete(session=session)
        count += 1
    return count
