"""Uploading a package to Azure Blob Storage *while it is being received*.

A large ZIP (a mod) would otherwise cross the network twice in a row: client → web node, then
web node → Azure after the checks. ``BlockStager`` overlaps the two: each 4 MiB of the body is
sent as an *uncommitted block* of the blob it will become, as it arrives (a bounded number in
flight, so memory stays flat). Uncommitted blocks are not a blob: nothing can list, read or
serve them. Only after every check passed does ``commit`` turn them into the blob (one small
request); a refused or interrupted upload ``discard``s them (an empty commit, then a delete,
so nothing is left even for Azure's one-week garbage collection of uncommitted blocks).

Used only for ZIP bodies on Azure storage; if staging fails, the upload falls back to storing
the checked file the ordinary way.
"""

import base64
import contextlib
import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from apps.ugc.storage import file_name_new, storage_is_azure, ugc_storage

logger = logging.getLogger(__name__)

BLOCK_BYTES = 4 << 20
ZIP_MAGIC = b"PK\x03\x04"


class BlockStager:
    """Stages the bytes written to it as blocks of one new blob (``name``)."""

    def __init__(self, *, concurrency: int) -> None:
        from azure.storage.blob import BlobClient

        storage: Any = ugc_storage()
        self.name = file_name_new(role="file", extension="zip")
        self._blob: BlobClient = storage.client.get_blob_client(storage._get_valid_path(self.name))
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ugc-stage")
        self._in_flight: deque[Future[Any]] = deque()
        self._max_in_flight = concurrency * 2
        self._buffer = bytearray()
        self._block_ids: list[str] = []
        self._staged_bytes = 0
        self.failed = False
        self.committed = False

    def write(self, data: bytes) -> None:
        if self.failed:
            return
        self._staged_bytes += len(data)
        self._buffer += data
        while len(self._buffer) >= BLOCK_BYTES:
            self._submit(bytes(self._buffer[:BLOCK_BYTES]))
            del self._buffer[:BLOCK_BYTES]

    def _submit(self, block: bytes) -> None:
        block_id = base64.b64encode(f"{len(self._block_ids):08d}".encode()).decode()
        self._block_ids.append(block_id)
        self._in_flight.append(self._pool.submit(self._blob.stage_block, block_id, block))
        while len(self._in_flight) > self._max_in_flight:  # back-pressure: bounded memory
            self._wait(self._in_flight.popleft())

    def _wait(self, future: Future[Any]) -> None:
        try:
            future.result()
        except Exception:
            logger.warning("ugc block staging failed; the upload is stored after the checks")
            self.failed = True

    def finish(self) -> int | None:
        """Stage what is left and wait for every block; the number of bytes staged, or None
        when staging failed (the caller stores the file the ordinary way)."""
        if self._buffer and not self.failed:
            self._submit(bytes(self._buffer))
            self._buffer.clear()
        while self._in_flight:
            self._wait(self._in_flight.popleft())
        self._pool.shutdown(wait=True)
        return None if self.failed else self._staged_bytes

    def commit(self, *, content_type: str) -> str:
        """Turn the staged blocks into the blob; returns its storage name."""
        from azure.storage.blob import BlobBlock, ContentSettings

        self._blob.commit_block_list(
            [BlobBlock(block_id) for block_id in self._block_ids],
            content_settings=ContentSettings(content_type=content_type),
        )
        self.committed = True
        return self.name

    def discard(self) -> None:
        """Drop the staged blocks (idempotent; never raises)."""
        if self.committed:
            return
        self._buffer.clear()
        while self._in_flight:
            with contextlib.suppress(Exception):
                self._in_flight.popleft().result()
        self._pool.shutdown(wait=True)
        with contextlib.suppress(Exception):
            if self._block_ids:
                self._blob.commit_block_list([])
                self._blob.delete_blob()
        self.committed = True  # nothing left to do


def stager_for(first_bytes: bytes) -> BlockStager | None:
    """A stager when the body is a ZIP and the storage is Azure; else None."""
    if not first_bytes.startswith(ZIP_MAGIC) or not storage_is_azure():
        return None
    from django.conf import settings

    options = settings.STORAGES["ugc"].get("OPTIONS", {})
    return BlockStager(concurrency=int(options.get("upload_max_conn", 2)))
