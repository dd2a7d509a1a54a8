"""Receiving request bodies without holding them in memory.

``UgcUploadHandler`` replaces Django's upload handlers on the UGC upload endpoints: every file
field streams into a temporary file in ``UGC_SPOOL_DIR`` and is hashed (SHA-256) as it
arrives, so a 500 MB mod costs a few 64 KiB buffers of memory and no second read for the hash.
A request announcing more bytes than any kind accepts is refused before its body is read; a
file field growing past the limit is dropped (``too_large``). Spool files are deleted when the
request ends (Django closes uploaded files), whatever happened — an interrupted upload leaves
nothing. On Azure storage a ZIP ``file`` is also staged as uncommitted blocks while it arrives
(``apps.ugc.staging``); they become the blob only once the checks pass, and are discarded
with the spool file otherwise.

Deployments should also cap request bodies at the proxy (``UGC_MAX_BYTES["mod"]`` + a few MiB):
ASGI servers read the whole body before Django sees it.
"""

import contextlib
import hashlib
import tempfile
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

from apps.ugc.staging import BlockStager, stager_for
from apps.ugc.validation import ReceivedFile

# Multipart framing and the text fields beside the files.
_FORM_OVERHEAD = 1 << 20


def max_file_bytes() -> int:
    return max(settings.UGC_MAX_BYTES.values())


def max_body_bytes() -> int:
    """A file of the largest kind plus a preview image plus the form fields."""
    return max_file_bytes() + settings.UGC_MAX_BYTES["screenshot"] + _FORM_OVERHEAD


class SpooledUploadedFile(UploadedFile):
    """An uploaded file on local disk with the SHA-256 of its bytes."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: Any) -> None:
        spool = tempfile.NamedTemporaryFile(suffix=".ugc", dir=settings.UGC_SPOOL_DIR)  # noqa: SIM115
        super().__init__(spool, name, content_type, 0, charset, extra)
        self.spool: IO[bytes] = spool
        self.hasher = hashlib.sha256()
        self.sha256 = ""
        self.staged: BlockStager | None = None

    def temporary_file_path(self) -> str:
        return self.spool.name

    def close(self) -> None:
        if self.staged is not None:
            self.staged.discard()  # no-op once committed
        with contextlib.suppress(FileNotFoundError):
            self.spool.close()


class UgcUploadHandler(FileUploadHandler):
    """Streams file fields to hashed spool files; flags what was too large."""

    # Django's parser reads in this size: 1 MiB pieces cost far fewer Python calls than 64 KiB.
    chunk_size = 1 << 20

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.is_too_large = False
        self._spool: SpooledUploadedFile | None = None
        self._stager: BlockStager | None = None

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict] | None:  # fmt: skip
        if content_length > max_body_bytes():
            # Answer without reading the body: the view sees the flag and says too_large.
            self.is_too_large = True
            return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._spool = SpooledUploadedFile(
            self.file_name or "upload", self.content_type or "", self.charset,
            self.content_type_extra,
        )  # fmt: skip
        self._limit = (
            settings.UGC_MAX_BYTES["screenshot"]
            if self.field_name == "preview"
            else max_file_bytes()
        )
        self._stager = None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self._spool is not None
        if start + len(raw_data) > self._limit:
            self.is_too_large = True
            self._drop()
            raise SkipFile()
        if start == 0 and self.field_name == "file":
            self._stager = stager_for(raw_data)
        self._spool.write(raw_data)
        self._spool.hasher.update(raw_data)
        if self._stager is not None:
            self._stager.write(raw_data)
        return None

    def _drop(self) -> None:
        if self._stager is not None:
            self._stager.discard()
            self._stager = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        spool = self._spool
        if spool is None:
            return None
        spool.spool.flush()
        spool.seek(0)
        spool.size = file_size
        spool.sha256 = spool.hasher.hexdigest()
        if self._stager is not None:
            # The stager got exactly the bytes the spool got (same calls): sizes must agree.
            if self._stager.finish() == file_size:
                spool.staged = self._stager
            else:
                self._stager.discard()
            self._stager = None
        self._spool = None
        return spool

    def upload_interrupted(self) -> None:
        self._drop()


def received_file(upload: UploadedFile | None) -> ReceivedFile | None:
    """A ``ReceivedFile`` from what ``UgcUploadHandler`` produced (None when absent)."""
    if upload is None:
        return None
    if not isinstance(upload, SpooledUploadedFile):
        # Another handler produced it (should not happen on UGC endpoints): hash it here.
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        return ReceivedFile(
            file=upload,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            filename=upload.name or "",
        )
    return ReceivedFile(
        file=upload.spool, size=upload.size or 0, sha256=upload.sha256,
        filename=upload.name or "", staged=upload.staged,
    )  # fmt: skip


def body_spool(stream: Any, *, limit: int) -> tuple[Any, int] | None:
    """Read a raw request body (a resumable-upload chunk) into a spool file; None when it is
    longer than ``limit``. The caller closes the file."""
    spool = tempfile.TemporaryFile(dir=settings.UGC_SPOOL_DIR)  # noqa: SIM115
    size = 0
    while block := stream.read(64 * 1024):
        size += len(block)
        if size > limit:
            spool.close()
            return None
        spool.write(block)
    spool.seek(0)
    return spool, size
