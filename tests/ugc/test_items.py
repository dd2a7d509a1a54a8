"""Items through the REST API: upload, thumbnails (placeholder until made), versions,
drafts and review, editing, deleting, clip links, search and filters, pagination."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from apps.players.models import Notification
from apps.ugc.models import Item, ItemVersion, Thumbnail, TitleSettings
from apps.ugc.services.moderation import version_review_approve, version_review_reject
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files, upload

pytestmark = pytest.mark.django_db


def test_a_screenshot_is_stored_reencoded_with_thumbnails_made_after_commit(
    ugc_storage, title, alice, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = upload(client, title.slug, kind="screenshot",
                          content=corpus.noisy_png((1600, 900)), filename="sunset.png",
                          name="Sunset", tags="Night, sky ,night")  # fmt: skip
    before = client.get(f"/api/v1/ugc/items/{response.json()['id']}").json()
    placeholder = client.get(f"/api/v1/ugc/items/{before['id']}/thumbnails/small")
    for callback in pending:
        callback()
    after = client.get(f"/api/v1/ugc/items/{before['id']}").json()
    thumbnail = client.get(f"/api/v1/ugc/items/{before['id']}/thumbnails/large")

    assert response.status_code == 201
    assert (before["state"], before["visibility"], before["tags"]) == (
        "published", "public", ["night", "sky"])  # fmt: skip
    assert before["thumbnail"]["ready"] is False
    assert placeholder.status_code == 302
    assert placeholder["Location"] == "/static/ugc/placeholder-screenshot.svg"
    assert after["thumbnail"]["ready"] is True
    assert after["current_version"]["thumbnail_state"] == "ready"
    assert (after["current_version"]["width"], after["current_version"]["height"]) == (1600, 900)
    sizes = dict(Thumbnail.objects.values_list("size", "width"))
    assert sizes == {"large": 1280, "medium": 640, "small": 320}
    assert thumbnail.status_code == 302 and thumbnail["Location"].startswith("/ugc/blob/")
    files = stored_files(ugc_storage)
    assert len(files) == 4  # the screenshot and three WebP thumbnails
    assert all(name.startswith("ugc/") and "sunset" not in name for name in files)


def test_a_thumbnail_served_by_the_signed_link_is_webp_with_safe_headers(
    ugc_storage, title, alice, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(client, title.slug, kind="artwork", content=corpus.noisy_png(),
                      filename="a.png").json()  # fmt: skip
    link = client.get(f"/api/v1/ugc/items/{item['id']}/thumbnails/medium")["Location"]

    served = client.get(link)

    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served["Content-Disposition"].startswith("inline;")
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert (image.format, image.size) == ("WEBP", (640, 360))


def test_a_level_with_a_preview_inside_gets_thumbnails_from_it(
    ugc_storage, title, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(alice), title.slug, kind="level",
                          content=corpus.level_zip(preview=corpus.noisy_png((800, 600))),
                          filename="canyon.zip", game_version_min="1.2",
                          game_version_max="1.4.9")  # fmt: skip

    version = ItemVersion.objects.get()
    assert response.status_code == 201, response.content
    assert version.preview_name and version.thumbnail_state == "ready"
    assert (version.entry_count, version.content_type) == (3, "application/zip")
    assert response.json()["current_version"]["game_version_min"] == "1.2"
    assert Thumbnail.objects.filter(version=version).count() == 3


def test_a_level_without_a_preview_keeps_its_placeholder(ugc_storage, title, alice):
    response = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                      filename="canyon.zip")  # fmt: skip

    assert response.json()["current_version"]["thumbnail_state"] == "none"
    assert response.json()["thumbnail"]["placeholder_url"] == "/static/ugc/placeholder-level.svg"


def test_a_new_version_keeps_history_and_notifies_subscribers_once(
    ugc_storage, title, alice, bob, django_capture_on_commit_callbacks
):
    owner, follower = client_for(alice), client_for(bob)
    item = upload(owner, title.slug, kind="mod", content=corpus.level_zip(1),
                  filename="mod.zip").json()  # fmt: skip
    assert follower.put(f"/api/v1/ugc/items/{item['id']}/subscription").json()["active"] is True

    with django_capture_on_commit_callbacks(execute=True):
        added = owner.post(
            f"/api/v1/ugc/items/{item['id']}/versions",
            {"file": SimpleUploadedFile("mod.zip", corpus.level_zip(2)), "changelog": "Faster",
             "game_version_min": "2.0"}, format="multipart",
        )  # fmt: skip
    versions = follower.get(f"/api/v1/ugc/items/{item['id']}/versions").json()
    current = follower.get(f"/api/v1/ugc/items/{item['id']}").json()["current_version"]
    from apps.ugc.services.versions import subscribers_notify

    repeated = subscribers_notify(version_id=ItemVersion.objects.get(number=2).id)

    assert added.status_code == 201, added.content
    assert [v["number"] for v in versions] == [2, 1]
    assert (current["number"], current["changelog"], current["game_version_min"]) == (
        2,
        "Faster",
        "2.0",
    )
    notes = Notification.objects.filter(recipient=bob, kind="ugc_new_version")
    assert [(n.data["item_id"], n.data["version"]) for n in notes] == [(item["id"], 2)]
    assert repeated == 0


def test_drafts_and_the_review_queue(ugc_storage, title, alice, bob):
    TitleSettings.objects.create(title=title, requires_review=True)
    owner, other = client_for(alice), client_for(bob)
    draft = upload(owner, title.slug, kind="screenshot", content=corpus.noisy_png(seed=2),
                   filename="a.png", publish="false").json()  # fmt: skip
    hidden_while_draft = other.get(f"/api/v1/ugc/items/{draft['id']}")
    submitted = owner.post(f"/api/v1/ugc/items/{draft['id']}/publish").json()
    hidden_while_pending = other.get(f"/api/v1/ugc/items/{draft['id']}")
    twice = owner.post(f"/api/v1/ugc/items/{draft['id']}/publish")

    version_review_approve(version=ItemVersion.objects.get(item_id=draft["id"]), moderator=None)
    published = other.get(f"/api/v1/ugc/items/{draft['id']}")

    assert draft["state"] == "draft"
    assert hidden_while_draft.status_code == 404
    assert submitted["state"] == "pending_review"
    assert hidden_while_pending.json()["error"]["code"] == "unknown_item"
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "invalid_state")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert Notification.objects.filter(recipient=alice, kind="moderation").count() == 1


def test_a_rejected_first_version_rejects_the_item(ugc_storage, title, alice):
    TitleSettings.objects.create(title=title, requires_review=True)
    item = upload(client_for(alice), title.slug, kind="screenshot", content=corpus.noisy_png(),
                  filename="a.png").json()  # fmt: skip

    version_review_reject(
        version=ItemVersion.objects.get(), moderator=None, reason="Not a screenshot"
    )

    mine = client_for(alice).get(f"/api/v1/ugc/items/{item['id']}").json()
    assert (mine["state"], mine["moderation"]["state_reason"]) == ("rejected", "Not a screenshot")


def test_edit_and_delete_are_for_the_creator_and_delete_removes_files(
    ugc_storage, title, alice, bob, django_capture_on_commit_callbacks
):
    owner = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        item = upload(owner, title.slug, kind="screenshot", content=corpus.noisy_png(),
                      filename="a.png").json()  # fmt: skip
    foreign_edit = client_for(bob).patch(f"/api/v1/ugc/items/{item['id']}", {"name": "Mine now"})
    foreign_delete = client_for(bob).delete(f"/api/v1/ugc/items/{item['id']}")
    edited = owner.patch(f"/api/v1/ugc/items/{item['id']}",
                         {"name": "  Sunrise\u200b ", "tags": ["Dawn"],
                          "visibility": "unlisted"})  # fmt: skip
    files_before = stored_files(ugc_storage)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = owner.delete(f"/api/v1/ugc/items/{item['id']}")

    assert (foreign_edit.status_code, foreign_delete.status_code) == (404, 404)
    assert (edited.json()["name"], edited.json()["tags"]) == ("Sunrise", ["dawn"])
    assert edited.json()["visibility"] == "unlisted"
    assert len(files_before) == 4
    assert deleted.status_code == 204
    assert stored_files(ugc_storage) == []
    assert not Item.objects.exists()


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("https://www.youtube.com/watch?v=abc", None),
        ("https://clips.twitch.tv/FunnyClip", None),
        ("http://www.youtube.com/watch?v=abc", "invalid_link"),
        ("https://evil.example/watch", "invalid_link"),
        ("https://youtube.com.evil.example/x", "invalid_link"),
        ("https://user:pw@youtube.com/x", "invalid_link"),
        ("javascript:alert(1)", "invalid_link"),
    ],
)
def test_clip_links(ugc_storage, title, alice, link, code):
    response = upload(client_for(alice), title.slug, kind="clip", content=None, link_url=link)

    if code is None:
        assert response.status_code == 201 and response.json()["link_url"] == link
    else:
        assert response.json()["error"]["code"] == code
        assert not Item.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"name": "\u200b\u200b"}, "invalid_name"),
        ({"tags": "a" * 40}, "invalid_tags"),
        ({"tags": ",".join(f"t{n}" for n in range(11))}, "invalid_tags"),
        ({"game_version_min": "2.0", "game_version_max": "1.0"}, "invalid_game_version"),
        ({"game_version_min": "one"}, "invalid_game_version"),
        ({"description": "x" * 5001}, "text_too_long"),
        ({"visibility": "everyone"}, "validation_error"),
    ],
)
def test_bad_fields_are_refused_before_anything_is_stored(ugc_storage, title, alice, fields, code):
    response = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                      filename="l.zip", **fields)  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert stored_files(ugc_storage) == [] and not Item.objects.exists()


def test_a_kind_that_needs_a_file_says_so(ugc_storage, title, alice):
    response = upload(client_for(alice), title.slug, kind="screenshot", content=None)

    assert response.json()["error"]["code"] == "file_required"


def _published(client, title, count: int, start: int = 0):  # type: ignore[no-untyped-def]
    return [
        upload(client, title.slug, kind="level", content=corpus.level_zip(seed=1000 + n),
               filename="l.zip", name=f"Level {n}").json()
        for n in range(start, start + count)
    ]  # fmt: skip


def test_search_filters_and_cursor_pages(ugc_storage, title, alice, bob):
    owner = client_for(alice)
    upload(owner, title.slug, kind="level", content=corpus.level_zip(1), filename="l.zip",
           name="Neon Canyon", tags="desert,night", game_version_min="1.0",
           game_version_max="1.9")  # fmt: skip
    upload(owner, title.slug, kind="level", content=corpus.level_zip(2), filename="l.zip",
           name="Frozen Lake", description="A canyon of ice", game_version_min="2.0")  # fmt: skip
    upload(owner, title.slug, kind="screenshot", content=corpus.noisy_png(), filename="s.png",
           name="Canyon at dusk")  # fmt: skip
    viewer = client_for(bob)
    base = f"/api/v1/ugc/titles/{title.slug}/items"

    def names(query: str) -> list[str]:
        return [item["name"] for item in viewer.get(f"{base}?{query}").json()["results"]]

    assert names("q=canyon") == ["Canyon at dusk", "Frozen Lake", "Neon Canyon"]
    assert names("q=canyon&kind=level") == ["Frozen Lake", "Neon Canyon"]
    assert names("tag=Night") == ["Neon Canyon"]
    assert names("kind=level&game_version=1.5") == ["Neon Canyon"]
    assert names("kind=level&game_version=2.3.1") == ["Frozen Lake"]
    assert names(f"creator={alice.id}&kind=screenshot") == ["Canyon at dusk"]
    bad = viewer.get(f"{base}?cursor=nonsense")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")


def test_cursor_pages_cover_every_item_once_in_order(ugc_storage, title, alice):
    _published(client_for(alice), title, 7)
    url = f"/api/v1/ugc/titles/{title.slug}/items?limit=3&sort=top"
    seen = []
    while url:
        page = client_for(None).get(url).json()
        seen += [item["name"] for item in page["results"]]
        url = page["next"]

    assert seen == [f"Level {n}" for n in reversed(range(7))]  # all 0 likes: newest id first


def test_a_gallery_page_costs_the_same_queries_for_3_or_30_items(ugc_storage, title, alice, bob):
    viewer = client_for(bob)
    url = f"/api/v1/ugc/titles/{title.slug}/items?limit=100"
    _published(client_for(alice), title, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(viewer.get(url).json()["results"]) == 3
    _published(client_for(alice), title, 27, start=3)
    with CaptureQueriesContext(connection) as many:
        assert len(viewer.get(url).json()["results"]) == 30

    assert len(many.captured_queries) == len(few.captured_queries)


def test_thumbnails_are_idempotent_even_when_two_runs_race(
    ugc_storage, title, alice, django_capture_on_commit_callbacks
):
    from apps.ugc.services.thumbnails import _store, thumbnail_renditions, version_thumbnails_make

    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(alice), title.slug, kind="screenshot", content=corpus.noisy_png(),
               filename="a.png")  # fmt: skip
    version = ItemVersion.objects.get()
    files = stored_files(ugc_storage)
    rows = list(Thumbnail.objects.values_list("size", "name"))

    again = version_thumbnails_make(version_id=version.id)
    with Image.open(ugc_storage / version.file_name) as image:
        _store(version, thumbnail_renditions(image).items())  # a second run that lost the race

    assert again == "ready"
    assert list(Thumbnail.objects.values_list("size", "name")) == rows
    assert stored_files(ugc_storage) == files
