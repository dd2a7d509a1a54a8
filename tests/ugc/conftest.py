import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.chat.moderation import word_filters_reset
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


@pytest.fixture(autouse=True)
def ugc_storage(settings, tmp_path: Path) -> Path:
    """Every UGC test stores into its own folder, and spools uploads into another, so a test
    can assert exactly which files exist (``stored_files``, ``spooled_files``)."""
    root = tmp_path / "ugc-storage"
    spool = tmp_path / "ugc-spool"
    root.mkdir()
    spool.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "ugc": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    settings.UGC_SPOOL_DIR = str(spool)
    word_filters_reset()
    return root


def stored_files(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


@pytest.fixture
def spooled(ugc_storage: Path) -> Path:
    return ugc_storage.parent / "ugc-spool"


@pytest.fixture
def title():
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


@pytest.fixture
def alice():
    return PlayerFactory(display_name="alice", display_name_key="alice")


@pytest.fixture
def bob():
    return PlayerFactory(display_name="bob", display_name_key="bob")


def client_for(player) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if player is not None:
        client.force_authenticate(player.user)
    return client


def upload(client: APIClient, title_slug: str, *, kind: str, content: bytes | None,
           filename: str = "file.bin", **fields: object):  # type: ignore[no-untyped-def]  # fmt: skip
    data: dict[str, object] = {"kind": kind, "name": fields.pop("name", "My upload"), **fields}
    if content is not None:
        data["file"] = SimpleUploadedFile(
            filename, content, content_type="application/octet-stream"
        )
    return client.post(f"/api/v1/ugc/titles/{title_slug}/items", data, format="multipart")


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.support.azurite import run_azurite

    with run_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@dataclass
class AzureUgc:
    connection_string: str
    container: str

    def blob_names(self) -> list[str]:
        from azure.storage.blob import ContainerClient

        client = ContainerClient.from_connection_string(self.connection_string, self.container)
        # Uncommitted blocks (staged uploads) count too: nothing may be left even there.
        return sorted(blob.name for blob in client.list_blobs(include=["uncommittedblobs"]))


@pytest.fixture
def azure_ugc(azurite_server, settings, monkeypatch) -> AzureUgc:  # type: ignore[no-untyped-def]
    """The ugc storage on Azurite (a fresh private container), in this process and — through
    the environment — in any server or worker a test starts afterwards."""
    from django.core.management import call_command

    container = f"ugc-{uuid.uuid4().hex[:12]}"
    connection_string = azurite_server.connection_string
    settings.STORAGES = {
        **settings.STORAGES,
        "ugc": {
            "BACKEND": "storages.backends.azure_storage.AzureStorage",
            "OPTIONS": {"connection_string": connection_string, "azure_container": container,
                        "expiration_secs": 300, "overwrite_files": True},
        },
    }  # fmt: skip
    monkeypatch.setenv("UGC_AZURE_CONNECTION_STRING", connection_string)
    monkeypatch.setenv("UGC_AZURE_CONTAINER", container)
    call_command("ugc_storage_init", stdout=io.StringIO())
    return AzureUgc(connection_string=connection_string, container=container)
