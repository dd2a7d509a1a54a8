"""A title's policy for its players' content: the upload rate limit per player and title, and
the kinds of content the title accepts (docs/ugc.md, "Title policy")."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.game_events.models import InboxEvent
from apps.game_events.services import events_apply_pending
from apps.players.models import PlayerIdentity
from apps.titles import scopes
from apps.ugc.models import Item, ItemVersion, TitleSettings, UploadSession
from apps.ugc.services.items import item_publish_from_game
from tests.factories import TitleFactory, UserFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files, upload
from tests.ugc.test_from_games import key_client, published_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_hour(settings):  # type: ignore[no-untyped-def]
    settings.UGC_UPLOAD_RATE_COUNT = 2
    settings.UGC_UPLOAD_RATE_WINDOW_SECONDS = 3600


def _level(client, slug: str, seed: int):  # type: ignore[no-untyped-def]
    return upload(client, slug, kind="level", content=corpus.level_zip(seed), filename="l.zip")


def test_the_upload_after_the_limit_is_refused_with_a_retry_hint_and_stores_nothing(
    ugc_storage, two_per_hour, title, alice, bob
):
    client = client_for(alice)
    accepted = [_level(client, title.slug, seed).status_code for seed in (1, 2)]
    files_before = stored_files(ugc_storage)

    refused = _level(client, title.slug, 3)
    first_item = Item.objects.filter(creator=alice).order_by("id").first()
    refused_version = client.post(f"/api/v1/ugc/items/{first_item.id}/versions",  # type: ignore[union-attr]
                                  {"file": SimpleUploadedFile("l.zip", corpus.level_zip(4))},
                                  format="multipart")  # fmt: skip

    assert accepted == [201, 201]
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "upload_rate_limited")
    details = refused.json()["error"]["details"]
    assert (details["limit"], details["window_seconds"]) == (2, 3600)
    # One upload comes back every 1800 s; the two taken moments ago leave most of that wait.
    assert 900 < details["retry_after"] <= 1800
    assert refused["Retry-After"] == str(details["retry_after"])
    assert refused_version.json()["error"]["code"] == "upload_rate_limited"
    assert stored_files(ugc_storage) == files_before
    assert Item.objects.filter(creator=alice).count() == 2
    assert ItemVersion.objects.filter(item__creator=alice).count() == 2
    # Another player, and the same player in another title, have limits of their own.
    assert _level(client_for(bob), title.slug, 5).status_code == 201
    assert _level(client, TitleFactory(slug="tiny-racers").slug, 6).status_code == 201


def test_the_portal_and_the_api_share_the_limit(ugc_storage, two_per_hour, title, alice):
    assert _level(client_for(alice), title.slug, 1).status_code == 201
    portal = Client()
    portal.force_login(alice.user)

    accepted = portal.post("/ugc/upload/", {
        "title": title.slug, "kind": "level", "name": "Second", "visibility": "public",
        "publish": "on", "file": SimpleUploadedFile("l.zip", corpus.level_zip(2)),
    })  # fmt: skip
    files_before = stored_files(ugc_storage)
    refused = portal.post("/ugc/upload/", {
        "title": title.slug, "kind": "level", "name": "Third", "visibility": "public",
        "publish": "on", "file": SimpleUploadedFile("l.zip", corpus.level_zip(3)),
    })  # fmt: skip

    assert accepted.status_code == 302
    assert refused.status_code == 200
    assert "You are uploading too much to this game. Try again in" in refused.content.decode()
    assert stored_files(ugc_storage) == files_before
    assert list(Item.objects.order_by("id").values_list("name", flat=True)) == [
        "My upload", "Second"]  # fmt: skip


def test_title_key_uploads_count_against_the_items_creator(two_per_hour, title, alice):
    assert _level(client_for(alice), title.slug, 1).status_code == 201
    item_publish_from_game(title=title, creator=alice, external_id="lvl-1", kind="level",
                           name="In game")  # fmt: skip
    uploader = key_client(title, scopes.UGC_WRITE)

    def add(seed: int):  # type: ignore[no-untyped-def]
        return uploader.post("/api/v1/ugc/titles/external/lvl-1/versions",
                             {"file": SimpleUploadedFile("l.zip", corpus.level_zip(seed))},
                             format="multipart")  # fmt: skip

    assert add(2).status_code == 201
    refused = add(3)

    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "upload_rate_limited")
    assert ItemVersion.objects.count() == 2


@pytest.fixture
def screenshots_and_levels(title) -> TitleSettings:  # type: ignore[no-untyped-def]
    return TitleSettings.objects.create(title=title, allowed_kinds=["level", "screenshot"])


def test_a_title_refuses_the_kinds_it_does_not_allow_on_every_player_path(
    ugc_storage, title, alice
):
    existing_mod = upload(client_for(alice), title.slug, kind="mod",
                          content=corpus.level_zip(1), filename="m.zip").json()  # fmt: skip
    TitleSettings.objects.create(title=title, allowed_kinds=["level", "screenshot"])
    files_before = stored_files(ugc_storage)
    client = client_for(alice)
    portal = Client()
    portal.force_login(alice.user)

    responses = [
        upload(client, title.slug, kind="mod", content=corpus.level_zip(2), filename="m.zip"),
        upload(client, title.slug, kind="clip", content=None,
               link_url="https://www.youtube.com/watch?v=abc"),
        client.post(f"/api/v1/ugc/items/{existing_mod['id']}/versions",
                    {"file": SimpleUploadedFile("m.zip", corpus.level_zip(3))},
                    format="multipart"),
        client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "replay",
                                            "filename": "r.zip", "size": 10}),
    ]  # fmt: skip
    refused_portal = portal.post("/ugc/upload/", {
        "title": title.slug, "kind": "artwork", "name": "Art", "visibility": "public",
        "publish": "on", "file": SimpleUploadedFile("a.png", corpus.noisy_png()),
    })  # fmt: skip
    files_after_refusals = stored_files(ugc_storage)
    allowed = _level(client, title.slug, 4)

    assert [(r.status_code, r.json()["error"]["code"]) for r in responses] == [
        (403, "kind_not_allowed")] * 4  # fmt: skip
    assert responses[0].json()["error"]["details"] == {
        "kind": "mod", "allowed": ["screenshot", "level"]}  # fmt: skip
    assert refused_portal.status_code == 200
    assert "This game does not accept this kind of content." in refused_portal.content.decode()
    assert files_after_refusals == files_before
    assert not UploadSession.objects.exists()
    assert allowed.status_code == 201
    assert Item.objects.count() == 2  # the mod shared before stays
    assert client.get(f"/api/v1/ugc/items/{existing_mod['id']}").status_code == 200


def test_a_draft_of_a_kind_no_longer_allowed_cannot_be_published(title, alice):
    client = client_for(alice)
    draft = upload(client, title.slug, kind="replay", content=corpus.level_zip(1),
                   filename="r.zip", publish="false").json()  # fmt: skip
    TitleSettings.objects.create(title=title, allowed_kinds=["level"])

    refused = client.post(f"/api/v1/ugc/items/{draft['id']}/publish")

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "kind_not_allowed")
    assert Item.objects.get().state == "draft"


def test_title_keys_cannot_add_files_to_items_of_a_disallowed_kind(
    ugc_storage, title, alice, screenshots_and_levels
):
    screenshots_and_levels.allowed_kinds = ["replay"]
    screenshots_and_levels.save()
    item_publish_from_game(title=title, creator=alice, external_id="lvl-1", kind="replay",
                           name="In game")  # fmt: skip
    screenshots_and_levels.allowed_kinds = ["screenshot"]
    screenshots_and_levels.save()

    refused = key_client(title, scopes.UGC_WRITE).post(
        "/api/v1/ugc/titles/external/lvl-1/versions",
        {"file": SimpleUploadedFile("r.zip", corpus.level_zip(2))}, format="multipart",
    )  # fmt: skip

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "kind_not_allowed")
    assert stored_files(ugc_storage) == [] and not ItemVersion.objects.exists()


def test_a_published_event_of_a_disallowed_kind_is_refused_with_its_reason_in_the_inbox(
    title, screenshots_and_levels, django_capture_on_commit_callbacks
):
    mod_event = published_event("e-mod", "Big mod", ugc_id="mod-1")
    mod_event["data"]["kind"] = "mod"
    mod_event["data"]["player"]["external_id"] = "only-in-the-refused-event"
    level_event = published_event("e-level", "Neon Canyon", ugc_id="lvl-1")
    events = key_client(title, scopes.EVENTS_PUBLISH)

    with django_capture_on_commit_callbacks(execute=True):
        answer = events.post("/api/v1/events", data=json.dumps([mod_event, level_event]),
                             content_type="application/json")  # fmt: skip
    events_apply_pending()

    rows = {row.event_id: row for row in InboxEvent.objects.all()}
    assert [result["status"] for result in answer.json()["results"]] == ["accepted"] * 2
    assert (rows["e-level"].state, rows["e-level"].reason) == ("applied", "")
    assert (rows["e-mod"].state, rows["e-mod"].reason) == ("failed", "kind_not_allowed")
    assert rows["e-mod"].detail == (
        "This game does not accept this kind of content. "
        "(allowed=['screenshot', 'level'], kind=mod)"
    )
    assert list(Item.objects.values_list("kind", "name")) == [("level", "Neon Canyon")]
    # Nothing of the refused event is kept, not even the shadow player it would have made.
    assert not PlayerIdentity.objects.filter(external_id="only-in-the-refused-event").exists()


def test_admins_choose_the_allowed_kinds_with_checkboxes(title):
    admin_user = UserFactory(is_staff=True)
    for codename in ("add_titlesettings", "change_titlesettings", "view_titlesettings"):
        admin_user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(admin_user)

    form = client.get("/admin/ugc/titlesettings/add/").content.decode()
    saved = client.post("/admin/ugc/titlesettings/add/", {
        "title": title.id, "allowed_kinds": ["screenshot", "artwork"],
    })  # fmt: skip

    # A new row starts with every kind ticked (the default: all).
    ticked = re.findall(r'name="allowed_kinds" value="(\w+)" id="[\w]+" checked', form)
    assert ticked == ["screenshot", "artwork", "replay", "level", "mod", "clip"]
    assert saved.status_code == 302
    assert TitleSettings.objects.get(title=title).allowed_kinds == ["screenshot", "artwork"]
    refused = upload(client_for(_player()), title.slug, kind="level",
                     content=corpus.level_zip(1), filename="l.zip")  # fmt: skip
    assert refused.json()["error"]["code"] == "kind_not_allowed"


def _player():  # type: ignore[no-untyped-def]
    from tests.players.factories import PlayerFactory

    return PlayerFactory()


def test_without_settings_every_kind_is_allowed(title):
    from apps.ugc.selectors import title_allowed_kinds

    assert title_allowed_kinds(title=title) == [
        "screenshot", "artwork", "replay", "level", "mod", "clip"]  # fmt: skip


def test_the_upload_form_offers_only_the_kinds_the_chosen_title_accepts(
    title, alice, screenshots_and_levels
):
    portal = Client()
    portal.force_login(alice.user)

    for_title = portal.get(f"/ugc/upload/?title={title.slug}").content.decode()
    unknown_title = portal.get("/ugc/upload/?title=no-such-game")

    kind_select = for_title.split('name="kind"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)"', kind_select) == ["screenshot", "level"]
    assert unknown_title.status_code == 200
