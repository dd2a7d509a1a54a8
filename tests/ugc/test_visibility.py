"""Who sees what: item visibility by viewer, for the item, its thumbnails, its download and
the gallery — one table (docs/ugc.md, "Who sees what")."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from apps.players.friends import block_create, friend_request_send
from apps.ugc.models import DownloadDay, Item
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = pytest.mark.django_db

VISIBILITIES = ["public", "unlisted", "friends", "private"]
# viewer → visibilities it may see (item page, thumbnails, download)
SEES = {
    "owner": {"public", "unlisted", "friends", "private"},
    "friend": {"public", "unlisted", "friends"},
    "stranger": {"public", "unlisted"},
    "anonymous": {"public", "unlisted"},
    "blocked": set(),
    "blocker": set(),
    "moderator": {"public", "unlisted", "friends", "private"},
}
# viewer → visibilities its gallery lists
LISTS = {
    "owner": {"public", "friends"},
    "friend": {"public", "friends"},
    "stranger": {"public"},
    "anonymous": {"public"},
    "blocked": set(),
    "blocker": set(),
    "moderator": {"public"},
}


@pytest.fixture
def world(title, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    creator = PlayerFactory(display_name="creator", display_name_key="creator")
    friend, stranger = PlayerFactory(), PlayerFactory()
    blocked, blocker = PlayerFactory(), PlayerFactory()
    friend_request_send(sender=creator, recipient=friend)
    friend_request_send(sender=friend, recipient=creator)
    block_create(blocker=creator, blocked=blocked)
    block_create(blocker=blocker, blocked=creator)
    moderator = UserFactory(is_staff=True)
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_item"))
    items = {}
    with django_capture_on_commit_callbacks(execute=True):
        for seed, visibility in enumerate(VISIBILITIES):
            response = upload(client_for(creator), title.slug, kind="screenshot",
                              content=corpus.noisy_png((160, 90), seed=seed), filename="s.png",
                              name=visibility, visibility=visibility)  # fmt: skip
            items[visibility] = response.json()["id"]
    moderator_client = APIClient()
    moderator_client.force_authenticate(moderator)
    clients = {
        "owner": client_for(creator), "friend": client_for(friend),
        "stranger": client_for(stranger), "anonymous": APIClient(),
        "blocked": client_for(blocked), "blocker": client_for(blocker),
        "moderator": moderator_client,
    }  # fmt: skip
    return items, clients


@pytest.mark.parametrize("viewer", list(SEES))
def test_item_thumbnail_and_download_follow_the_table(world, viewer):
    items, clients = world
    client = clients[viewer]
    for visibility, item_id in items.items():
        allowed = visibility in SEES[viewer]
        page = client.get(f"/api/v1/ugc/items/{item_id}")
        thumbnail = client.get(f"/api/v1/ugc/items/{item_id}/thumbnails/small")
        download = client.get(f"/api/v1/ugc/items/{item_id}/download")

        expected = 200 if allowed else 404
        assert (visibility, page.status_code) == (visibility, expected)
        assert (visibility, thumbnail.status_code) == (visibility, 302 if allowed else 404)
        if allowed:
            assert thumbnail["Location"].startswith("/ugc/blob/")
            assert client.get(thumbnail["Location"]).status_code == 200
        assert (visibility, download.status_code) == (visibility, expected)
        if allowed:
            assert client.get(download.json()["url"]).status_code == 200
        else:
            assert page.json()["error"]["code"] == "unknown_item"  # not leaked: same as missing


@pytest.mark.parametrize("viewer", list(LISTS))
def test_galleries_list_by_the_table(world, title, viewer):
    _items, clients = world
    listed = clients[viewer].get(f"/api/v1/ugc/titles/{title.slug}/items").json()["results"]

    assert {item["name"] for item in listed} == LISTS[viewer]


def test_downloads_count_once_per_player_per_day_and_never_for_the_creator_or_denied(world):
    items, clients = world
    public = items["public"]
    for _ in range(3):
        clients["stranger"].get(f"/api/v1/ugc/items/{public}/download")
    clients["friend"].get(f"/api/v1/ugc/items/{public}/download")
    clients["owner"].get(f"/api/v1/ugc/items/{public}/download")
    clients["blocked"].get(f"/api/v1/ugc/items/{public}/download")

    assert Item.objects.get(id=public).download_count == 2
    assert DownloadDay.objects.count() == 2


def test_a_removed_item_is_gone_for_everyone_but_moderators(world):
    from apps.ugc.services.moderation import item_remove

    items, clients = world
    item = Item.objects.get(id=items["public"])
    item_remove(item=item, moderator=None, reason="stolen art")

    assert clients["stranger"].get(f"/api/v1/ugc/items/{item.id}").status_code == 404
    assert clients["owner"].get(f"/api/v1/ugc/items/{item.id}").json()["state"] == "removed"
    assert clients["owner"].get(f"/api/v1/ugc/items/{item.id}/download").status_code == 404
    assert clients["moderator"].get(f"/api/v1/ugc/items/{item.id}/download").status_code == 200


def test_a_hidden_item_is_gone_until_restored(world):
    from apps.ugc.services.moderation import item_hide, item_restore

    items, clients = world
    item = Item.objects.get(id=items["public"])
    item_hide(item=item, moderator=None, reason="reported")
    hidden = clients["stranger"].get(f"/api/v1/ugc/items/{item.id}").status_code
    owner_sees = clients["owner"].get(f"/api/v1/ugc/items/{item.id}").json()["moderation"]
    item_restore(item=item, moderator=None)

    assert hidden == 404
    assert owner_sees == {"is_hidden": True, "state_reason": None, "hidden_reason": "reported"}
    assert clients["stranger"].get(f"/api/v1/ugc/items/{item.id}").status_code == 200
