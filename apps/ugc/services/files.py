"""Storing a validated file, and the rule that makes storage and database agree: files are
written first, the rows that point at them are committed after, and if that commit fails the
files are deleted before the error propagates. A crash between the two (a killed process)
leaves an orphan that ``storage_sweep`` deletes (``apps.ugc.services.sweep``).

The services that store files therefore own their transaction: call them outside
``transaction.atomic`` (an outer transaction rolling back later would leave files behind
until the sweep runs).
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from apps.ugc.storage import blob_delete, blob_save, file_name_new
from apps.ugc.validation import PreparedFile
from apps.ugc.validation.images import PreparedImage
from apps.ugc.validation.sniff import FILE_TYPES


@dataclass
class StoredFiles:
    file_name: str = ""
    preview_name: str = ""
    extra: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name in (self.file_name, self.preview_name, *self.extra) if name]


def _preview_store(preview: PreparedImage) -> str:
    extension, content_type = FILE_TYPES[preview.file_type]
    return blob_save(
        name=file_name_new(role="preview", extension=extension),
        source=io.BytesIO(preview.data),
        content_type=content_type,
    )


def files_store(prepared: PreparedFile) -> StoredFiles:
    """Write a version's file (and preview); on any failure, delete what was written."""
    stored = StoredFiles()
    try:
        if prepared.staged is not None:
            # Already uploaded while it arrived (apps.ugc.staging): one commit makes the blob.
            stored.file_name = prepared.staged.commit(content_type=prepared.content_type)
        else:
            stored.file_name = blob_save(
                name=file_name_new(role="file", extension=prepared.extension),
                source=prepared.file,
                content_type=prepared.content_type,
            )
        if prepared.preview is not None:
            stored.preview_name = _preview_store(prepared.preview)
    except BaseException:
        blob_delete(stored.names())
        raise
    return stored


@contextmanager
def files_committed_or_deleted(stored: StoredFiles) -> Iterator[None]:
    """Run the block in a transaction; if it raises, the stored files are deleted."""
    try:
        with transaction.atomic():
            yield
    except BaseException:
        blob_delete(stored.names())
        raise


def files_delete_on_commit(names: list[str]) -> None:
    """Delete files once the transaction that stopped pointing at them commits."""
    wanted = [name for name in names if name]
    if wanted:
        transaction.on_commit(lambda: blob_delete(wanted))
