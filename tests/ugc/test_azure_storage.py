"""Azure Blob Storage, against Azurite: an upload lands in the private container, a real Celery
worker makes the thumbnails, signed URLs work over HTTP until they expire, unsigned blob URLs
never work, and deleting the item deletes its blobs."""

import os
import time
import urllib.error
import urllib.request

import pytest
from azure.storage.blob import ContainerClient

from apps.ugc.models import ItemVersion, Thumbnail
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = [pytest.mark.azurite, pytest.mark.slow]


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - Azurite on loopback
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), error.read()


def _lower(headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name.lower(): value for name, value in headers.items()}


def wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.2)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_azurite_round_trip_with_a_real_worker(azure_ugc, celery_worker, settings, title, alice):
    client = client_for(alice)
    content = corpus.noisy_png((1280, 720), seed=3)

    created = upload(client, title.slug, kind="screenshot", content=content, filename="shot.png")
    item_id = created.json()["id"]
    stored_right_away = azure_ugc.blob_names()
    version = ItemVersion.objects.get(item_id=item_id)
    wait_for(lambda: ItemVersion.objects.get(id=version.id).thumbnail_state == "ready")

    assert created.status_code == 201, created.content
    # The upload stores the file alone; anything else already there is the worker's
    # thumbnails (a fast worker may finish before the listing).
    thumbnails = set(Thumbnail.objects.values_list("name", flat=True))
    assert version.file_name in stored_right_away
    assert set(stored_right_away) - {version.file_name} <= thumbnails
    assert len(azure_ugc.blob_names()) == 4
    assert sorted(Thumbnail.objects.values_list("size", flat=True)) == ["large", "medium", "small"]
    container = ContainerClient.from_connection_string(
        azure_ugc.connection_string, azure_ugc.container
    )
    assert container.get_container_properties().public_access is None

    download = client.get(f"/api/v1/ugc/items/{item_id}/download").json()
    status, headers, body = fetch(download["url"])
    assert download["url"].startswith(container.url)
    assert "sig=" in download["url"] and "se=" in download["url"]
    assert status == 200
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"].startswith('attachment; filename="shot.png"')
    assert (
        len(body) == download["size"]
        and body == container.download_blob(version.file_name).readall()
    )

    thumbnail = client.get(f"/api/v1/ugc/items/{item_id}/thumbnails/small")["Location"]
    status, headers, body = fetch(thumbnail)
    assert (status, headers["content-type"], body[8:12]) == (200, "image/webp", b"WEBP")

    unsigned_status, _headers, _body = fetch(download["url"].split("?", 1)[0])
    assert unsigned_status in (403, 404)

    settings.UGC_SIGNED_URL_TTL_SECONDS = 2
    short = client.get(f"/api/v1/ugc/items/{item_id}/download").json()["url"]
    assert fetch(short)[0] == 200
    time.sleep(3.5)
    assert fetch(short)[0] == 403

    deleted = client.delete(f"/api/v1/ugc/items/{item_id}")
    assert deleted.status_code == 204
    assert azure_ugc.blob_names() == []


@pytest.mark.django_db
def test_a_package_is_staged_while_received_and_committed_once_checked(azure_ugc, title, alice):
    content = corpus.zip_bytes({"mod/data.bin": os.urandom(9 << 20)}, method=0)  # 3 blocks

    response = upload(client_for(alice), title.slug, kind="mod", content=content, filename="m.zip")

    version = ItemVersion.objects.get()
    container = ContainerClient.from_connection_string(
        azure_ugc.connection_string, azure_ugc.container
    )
    blob = container.get_blob_client(version.file_name)
    committed, uncommitted = blob.get_block_list("all")
    assert response.status_code == 201, response.content
    assert azure_ugc.blob_names() == [version.file_name]
    assert (len(committed), len(uncommitted)) == (3, 0)
    assert blob.get_blob_properties().content_settings.content_type == "application/zip"
    assert blob.download_blob().readall() == content


@pytest.mark.parametrize(
    ("kind", "content", "code"),
    [
        ("level", corpus.zip_symlink(), "archive_unsafe"),
        ("screenshot", corpus.level_zip(), "unsupported_type"),
        ("mod", corpus.zip_ratio_bomb(40), "archive_unsafe"),
    ],
)
@pytest.mark.django_db
def test_a_refused_upload_leaves_no_blob_and_no_staged_block(azure_ugc, title, alice, kind,
                                                             content, code):  # fmt: skip
    response = upload(client_for(alice), title.slug, kind=kind, content=content, filename="x.zip")

    assert response.json()["error"]["code"] == code
    assert azure_ugc.blob_names() == []


@pytest.mark.django_db
def test_a_duplicate_package_leaves_no_second_blob(azure_ugc, title, alice, bob):
    content = corpus.zip_bytes({"mod/data.bin": os.urandom(5 << 20)}, method=0)
    upload(client_for(alice), title.slug, kind="mod", content=content, filename="m.zip")
    first = azure_ugc.blob_names()

    again = upload(client_for(bob), title.slug, kind="mod", content=content, filename="m.zip")

    assert again.json()["error"]["code"] == "duplicate"
    assert azure_ugc.blob_names() == first and len(first) == 1


@pytest.mark.django_db
def test_the_storage_init_command_refuses_a_public_container(azure_ugc):
    from django.core.management import CommandError, call_command

    container = ContainerClient.from_connection_string(
        azure_ugc.connection_string, azure_ugc.container
    )
    container.set_container_access_policy(signed_identifiers={}, public_access="blob")

    with pytest.raises(CommandError, match="allows public access"):
        call_command("ugc_storage_init")
