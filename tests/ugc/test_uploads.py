"""Resumable uploads, the storage sweep, and the rule that a failed or interrupted upload
leaves nothing behind (no file, no row, no spool file)."""

import os
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from apps.ugc.models import Item, ItemVersion, UploadSession
from apps.ugc.services import versions as version_services
from apps.ugc.services.sweep import storage_sweep
from apps.ugc.storage import blob_save, file_name_new
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files

pytestmark = pytest.mark.django_db


def put_chunk(client, upload_id: str, data: bytes, first: int, total: int):  # type: ignore[no-untyped-def]
    return client.generic(
        "PUT", f"/api/v1/ugc/uploads/{upload_id}", data,
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {first}-{first + len(data) - 1}/{total}",
    )  # fmt: skip


def test_a_resumable_upload_in_chunks_becomes_an_item_and_its_chunks_go(
    ugc_storage, spooled, settings, title, alice, django_capture_on_commit_callbacks
):
    settings.UGC_UPLOAD_CHUNK_BYTES = 4096
    content = corpus.zip_bytes({f"data/{n}.bin": os.urandom(3000) for n in range(4)})
    client = client_for(alice)
    session = client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "mod",
                                                  "filename": "big mod.zip",
                                                  "size": len(content)}).json()  # fmt: skip
    sid = session["id"]

    first = put_chunk(client, sid, content[:4096], 0, len(content))
    replayed = put_chunk(client, sid, content[:4096], 0, len(content))  # a retry after a timeout
    resumed_at = client.get(f"/api/v1/ugc/uploads/{sid}").json()["offset"]
    too_big = put_chunk(client, sid, content[4096:12289], 4096, len(content))
    offset = 4096
    while offset < len(content):
        put_chunk(client, sid, content[offset : offset + 4096], offset, len(content))
        offset += 4096
    early_chunks = len(stored_files(ugc_storage))
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(f"/api/v1/ugc/titles/{title.slug}/items",
                              {"kind": "mod", "name": "Big mod", "upload_id": sid},
                              format="multipart")  # fmt: skip

    assert (session["offset"], session["chunk_bytes"]) == (0, 4096)
    assert first.json()["offset"] == 4096
    assert (replayed.status_code, replayed.json()["error"]) == (409, {
        "code": "upload_offset_mismatch",
        "message": "The chunk does not start where the upload stands.",
        "details": {"offset": 4096, "size": len(content)}})  # fmt: skip
    assert resumed_at == 4096
    assert too_big.json()["error"]["code"] == "upload_offset_mismatch"
    assert early_chunks == (len(content) + 4095) // 4096
    assert created.status_code == 201, created.content
    version = ItemVersion.objects.get()
    assert (version.size, version.original_filename) == (len(content), "big mod.zip")
    assert (ugc_storage / version.file_name).read_bytes() == content
    assert stored_files(ugc_storage) == [version.file_name]  # the chunks are gone
    assert not UploadSession.objects.exists()
    assert list(spooled.iterdir()) == []


def test_an_incomplete_or_foreign_upload_cannot_be_used(ugc_storage, title, alice, bob):
    client = client_for(alice)
    sid = client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "level",
                                              "filename": "l.zip",
                                              "size": 100}).json()["id"]  # fmt: skip
    put_chunk(client, sid, b"PK\x03\x04" + bytes(46), 0, 100)

    incomplete = client.post(f"/api/v1/ugc/titles/{title.slug}/items",
                             {"kind": "level", "name": "L", "upload_id": sid},
                             format="multipart")  # fmt: skip
    foreign = client_for(bob).get(f"/api/v1/ugc/uploads/{sid}")
    oversized = client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "level",
                                                    "filename": "l.zip",
                                                    "size": 1 << 40})  # fmt: skip

    assert incomplete.json()["error"] == {
        "code": "upload_incomplete", "message": "The upload has not received all of its bytes yet.",
        "details": {"offset": 50, "size": 100}}  # fmt: skip
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "unknown_upload")
    assert oversized.json()["error"]["code"] == "too_large"
    assert not Item.objects.exists()


def test_a_player_holds_a_bounded_number_of_unfinished_uploads(
    ugc_storage, spooled, settings, title, alice, bob, django_capture_on_commit_callbacks
):
    """Staging space is bounded per player: a fifth open session, or one that would reserve
    more than the byte budget, is refused until one is used, deleted or expires."""
    settings.UGC_UPLOAD_SESSIONS_MAX_OPEN = 4
    settings.UGC_UPLOAD_SESSIONS_MAX_BYTES = 10_000
    client = client_for(alice)

    def open_session(size: int = 1000):  # type: ignore[no-untyped-def]
        return client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "level",
                                                   "filename": "l.zip", "size": size})  # fmt: skip

    opened = [open_session().json()["id"] for _ in range(4)]
    fifth = open_session()
    held_after_refusal = UploadSession.objects.filter(player=alice).count()
    others = client_for(bob).post(
        "/api/v1/ugc/uploads",
        {"title": title.slug, "kind": "level", "filename": "b.zip", "size": 1000},
    )
    client.delete(f"/api/v1/ugc/uploads/{opened[0]}")
    after_delete = open_session()
    UploadSession.objects.filter(uuid=opened[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    after_expiry_too_big = open_session(size=8000)  # 3 open x 1000 + 8000 > 10,000 bytes
    level = corpus.level_zip()
    used = open_session(size=len(level)).json()["id"]
    put_chunk(client, used, level, 0, len(level))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/ugc/titles/{title.slug}/items",
                    {"kind": "level", "name": "From a session", "upload_id": used},
                    format="multipart")  # fmt: skip
    after_use = open_session()

    assert (fifth.status_code, fifth.json()["error"]) == (409, {
        "code": "too_many_uploads",
        "message": "You have too many unfinished uploads. Finish or cancel one first.",
        "details": {"max_open": 4, "open": 4, "max_bytes": 10_000,
                    "open_bytes": 4000}})  # fmt: skip
    assert held_after_refusal == 4  # a refusal makes nothing
    assert others.status_code == 201  # another player's budget is their own
    assert after_delete.status_code == 201
    assert (after_expiry_too_big.status_code, after_expiry_too_big.json()["error"]["details"]) == (
        409, {"max_open": 4, "open": 3, "max_bytes": 10_000, "open_bytes": 3000})  # fmt: skip
    assert after_use.status_code == 201, after_use.json()


@pytest.mark.django_db(transaction=True)  # deletions after commit happen as in production
def test_expired_sessions_and_orphans_are_swept(ugc_storage, settings, title, alice):
    settings.UGC_ORPHAN_GRACE_SECONDS = 0
    client = client_for(alice)
    kept = client.post(f"/api/v1/ugc/titles/{title.slug}/items",
                       {"kind": "level", "name": "Kept", "file": _file(corpus.level_zip())},
                       format="multipart").json()  # fmt: skip
    sid = client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "level",
                                              "filename": "l.zip",
                                              "size": 100}).json()["id"]  # fmt: skip
    put_chunk(client, sid, bytes(50), 0, 100)
    UploadSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    orphan = blob_save(name=file_name_new(role="file", extension="zip"),
                       source=_file(b"left by a crash"),
                       content_type="application/zip")  # fmt: skip
    time.sleep(0.01)

    result = storage_sweep(now=timezone.now() + timedelta(seconds=1))

    assert result == {"expired_uploads": 1, "orphan_files": 1, "orphan_chunks": 0}
    version = ItemVersion.objects.get(item_id=kept["id"])
    assert stored_files(ugc_storage) == [version.file_name]
    assert orphan not in stored_files(ugc_storage)
    assert not UploadSession.objects.exists()


def test_a_failure_after_storing_deletes_the_stored_file(
    ugc_storage, spooled, title, alice, monkeypatch
):
    """The file is written before the rows; when the commit fails, the file goes too."""

    def failing_record(**kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("simulated failure while committing the version")

    monkeypatch.setattr("apps.ugc.services.items.version_record", failing_record)

    with pytest.raises(IntegrityError):
        client_for(alice).post(f"/api/v1/ugc/titles/{title.slug}/items",
                               {"kind": "level", "name": "L", "file": _file(corpus.level_zip())},
                               format="multipart")  # fmt: skip

    assert stored_files(ugc_storage) == []
    assert list(spooled.iterdir()) == []
    assert not Item.objects.exists()


def test_a_lost_race_for_the_same_bytes_is_a_duplicate_and_stores_nothing(
    ugc_storage, title, alice, bob, monkeypatch
):
    """Two uploads of one file at once: both pass the duplicate pre-check; the unique
    constraint decides, and the loser's stored file is deleted."""
    content = corpus.level_zip(seed=42)
    client_for(alice).post(f"/api/v1/ugc/titles/{title.slug}/items",
                           {"kind": "level", "name": "First", "file": _file(content)},
                           format="multipart")  # fmt: skip
    files_before = stored_files(ugc_storage)
    monkeypatch.setattr(version_services, "duplicate_check", lambda **kwargs: None)

    second = client_for(bob).post(f"/api/v1/ugc/titles/{title.slug}/items",
                                  {"kind": "level", "name": "Second", "file": _file(content)},
                                  format="multipart")  # fmt: skip

    assert (second.status_code, second.json()["error"]["code"]) == (409, "duplicate")
    assert stored_files(ugc_storage) == files_before
    assert Item.objects.count() == 1


def _file(data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("upload.zip", data)
