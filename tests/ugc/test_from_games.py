"""From games: ``ugc.published`` events create items through the handler registry; title keys
upload the file and in-game clients list and download top content for their game version."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.game_events.models import InboxEvent
from apps.players.models import PlayerIdentity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from apps.ugc.models import Item
from tests.factories import TitleFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = pytest.mark.django_db


def key_client(title, *wanted: str) -> APIClient:  # type: ignore[no-untyped-def]
    issued = title_credential_create(title=title, name="game server", scopes=list(wanted))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


def published_event(event_id: str, name: str, ugc_id: str = "lvl-991") -> dict:
    return {
        "specversion": "1.0", "id": event_id, "source": "/titles/starfall-arena",
        "type": "ugc.published", "time": "2026-01-10T12:00:00Z",
        "data": {"player": {"provider": "steam", "external_id": "7656", "display_name": "Maker"},
                 "ugc_id": ugc_id, "kind": "level", "name": name,
                 "url": "https://game.example/levels/991"},
    }  # fmt: skip


def test_a_published_event_creates_one_item_and_the_title_uploads_its_file(
    title, django_capture_on_commit_callbacks
):
    events = key_client(title, scopes.EVENTS_PUBLISH)
    with django_capture_on_commit_callbacks(execute=True):
        first = events.post("/api/v1/events", data=json.dumps([published_event("e1", "Neon")]),
                            content_type="application/json")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        events.post("/api/v1/events", data=json.dumps([published_event("e2", "Neon Canyon")]),
                    content_type="application/json")  # fmt: skip
    item = Item.objects.get()
    creator = PlayerIdentity.objects.get(external_id="7656").player

    uploader = key_client(title, scopes.UGC_WRITE)
    added = uploader.post("/api/v1/ugc/titles/external/lvl-991/versions",
                          {"file": SimpleUploadedFile("lvl.zip", corpus.level_zip()),
                           "game_version_min": "3.1"}, format="multipart")  # fmt: skip
    without_scope = events.post("/api/v1/ugc/titles/external/lvl-991/versions",
                                {"file": SimpleUploadedFile("lvl.zip", corpus.level_zip(9))},
                                format="multipart")  # fmt: skip

    assert first.json()["results"][0]["status"] == "accepted"
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}
    assert (item.name, item.kind, item.source, item.state) == ("Neon Canyon", "level", "game",
                                                              "published")  # fmt: skip
    assert (item.creator_id, item.external_url) == (creator.id, "https://game.example/levels/991")
    assert added.status_code == 201, added.content
    assert added.json()["number"] == 1
    item.refresh_from_db()
    assert item.current_version is not None and item.compat_min_key is not None
    assert without_scope.status_code == 403
    assert Item.objects.count() == 1


def test_in_game_clients_list_and_download_with_a_title_key_or_a_player_token(title, alice):
    other_title = TitleFactory(slug="tiny-racers")
    owner = client_for(alice)
    old = upload(owner, title.slug, kind="level", content=corpus.level_zip(1), filename="o.zip",
                 name="For 1.x", game_version_max="1.9").json()  # fmt: skip
    new = upload(owner, title.slug, kind="level", content=corpus.level_zip(2), filename="n.zip",
                 name="For 2.x", game_version_min="2.0").json()  # fmt: skip
    hidden = upload(owner, title.slug, kind="level", content=corpus.level_zip(3),
                    filename="p.zip", name="Private", visibility="private").json()  # fmt: skip
    foreign = upload(owner, other_title.slug, kind="level", content=corpus.level_zip(4),
                     filename="f.zip", name="Other game").json()  # fmt: skip
    reader = key_client(title, scopes.UGC_READ)
    no_scope = key_client(title, scopes.PLAYERS_READ)

    listed = reader.get(f"/api/v1/ugc/titles/{title.slug}/items?sort=top&game_version=2.1")
    download = reader.get(f"/api/v1/ugc/items/{new['id']}/download")
    denied = [
        reader.get(f"/api/v1/ugc/items/{hidden['id']}/download").status_code,
        reader.get(f"/api/v1/ugc/items/{foreign['id']}").status_code,
        reader.get(f"/api/v1/ugc/titles/{other_title.slug}/items").status_code,
        no_scope.get(f"/api/v1/ugc/titles/{title.slug}/items").status_code,
    ]
    by_token = APIClient()
    from apps.accounts.services import api_token_create

    by_token.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=alice.user, name='g').secret}"
    )
    token_list = by_token.get(f"/api/v1/ugc/titles/{title.slug}/items?game_version=1.5").json()

    assert [item["name"] for item in listed.json()["results"]] == ["For 2.x"]
    body = download.json()
    assert (body["version"], body["sha256"], body["counted"]) == (1, body["sha256"], False)
    assert reader.get(body["url"]).status_code == 200
    assert denied == [404, 404, 404, 403]
    assert [item["name"] for item in token_list["results"]] == ["For 1.x"]
    assert old["id"] != new["id"]
