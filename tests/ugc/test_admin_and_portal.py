"""The admin (review queue, bulk hide/restore) and the portal pages without a browser (the
upload with a progress bar runs in Chromium: test_portal_browser.py)."""

import time

import pytest
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.moderation.models import Report
from apps.ugc.models import Item, ItemVersion, TitleSettings
from apps.ugc.storage import blob_token_read
from tests.factories import UserFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client() -> Client:
    moderator = UserFactory(is_staff=True)
    for codename in ("moderate_item", "view_item", "view_reviewqueueentry", "view_comment"):
        moderator.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(moderator)
    return client


def portal(player) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(player.user)
    return client


def test_the_review_queue_lists_waiting_versions_and_approves_them(
    moderator_client, title, alice, bob
):
    TitleSettings.objects.create(title=title, requires_review=True)
    item = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                  filename="l.zip", name="Waiting level").json()  # fmt: skip
    version = ItemVersion.objects.get()

    queue = moderator_client.get("/admin/ugc/reviewqueueentry/").content.decode()
    approved = moderator_client.post("/admin/ugc/reviewqueueentry/", {
        "action": "approve", "_selected_action": [version.id]})  # fmt: skip

    assert "Waiting level" in queue
    assert approved.status_code == 302
    assert client_for(bob).get(f"/api/v1/ugc/items/{item['id']}").json()["state"] == "published"
    assert (
        "Waiting level" not in moderator_client.get("/admin/ugc/reviewqueueentry/").content.decode()
    )


def test_bulk_hide_and_restore_from_the_admin(moderator_client, title, alice, bob):
    ids = [
        upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(n),
               filename="l.zip", name=f"Level {n}").json()["id"]
        for n in range(3)
    ]  # fmt: skip

    moderator_client.post("/admin/ugc/item/", {"action": "hide", "_selected_action": ids[:2]})
    listed = client_for(bob).get(f"/api/v1/ugc/titles/{title.slug}/items").json()["results"]
    moderator_client.post("/admin/ugc/item/", {"action": "restore", "_selected_action": ids[:2]})
    restored = client_for(bob).get(f"/api/v1/ugc/titles/{title.slug}/items").json()["results"]

    assert [item["name"] for item in listed] == ["Level 2"]
    assert len(restored) == 3


def test_staff_without_the_permission_cannot_moderate(title, alice):
    item_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                     filename="l.zip").json()["id"]  # fmt: skip
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))

    response = staff.post("/admin/ugc/item/", {"action": "hide", "_selected_action": [item_id]})

    assert response.status_code == 403
    assert Item.objects.get(id=item_id).is_hidden is False


def test_gallery_item_page_and_creator_page_render_for_anonymous_visitors(title, alice):
    item_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                     filename="l.zip", name="Neon <b>Canyon</b>",
                     description="Line one\n<script>alert(1)</script>").json()["id"]  # fmt: skip
    visitor = Client()

    gallery = visitor.get(f"/ugc/t/{title.slug}/?sort=top&kind=level").content.decode()
    page = visitor.get(f"/ugc/items/{item_id}/").content.decode()
    creator = visitor.get(f"/ugc/creators/{alice.id}/").content.decode()

    assert "Neon &lt;b&gt;Canyon&lt;/b&gt;" in gallery
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Neon &lt;b&gt;Canyon&lt;/b&gt;" in creator
    assert visitor.get("/ugc/items/999999/").status_code == 404


def test_the_upload_form_works_without_javascript(ugc_storage, title, alice):
    client = portal(alice)

    response = client.post("/ugc/upload/", {
        "title": title.slug, "kind": "screenshot", "name": "From the form", "visibility": "public",
        "publish": "on", "file": SimpleUploadedFile("s.png", corpus.noisy_png()),
    })  # fmt: skip
    refused = client.post("/ugc/upload/", {
        "title": title.slug, "kind": "artwork", "name": "Bad", "visibility": "public",
        "file": SimpleUploadedFile("x.svg", corpus.svg_with_script()),
    })  # fmt: skip

    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ugc/items/{item.id}/"
    assert item.name == "From the form"
    assert refused.status_code == 200
    assert "This kind of content does not accept this type of file." in refused.content.decode()
    assert len(stored_files(ugc_storage)) == 1


def test_portal_forms_like_comment_and_report(title, alice, bob):
    item_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                     filename="l.zip").json()["id"]  # fmt: skip
    client = portal(bob)

    client.post(f"/ugc/items/{item_id}/like/", {"on": "1"})
    client.post(f"/ugc/items/{item_id}/comment/", {"body": "Nice one"})
    report = client.post(f"/ugc/report/item/{item_id}/", {"reason": "spam"}, follow=True)
    page = client.get(f"/ugc/items/{item_id}/").content.decode()

    assert Item.objects.get(id=item_id).like_count == 1
    assert "Nice one" in page and "Unlike" in page
    assert "Thank you. The moderators will look at it." in report.content.decode()
    filed = Report.objects.get()  # in moderation's queue
    assert (filed.case.target_type, filed.case.target_id, filed.reporter) == (
        "ugc",
        str(item_id),
        bob,
    )


def test_signed_local_links_expire_and_cannot_be_forged(title, alice, settings):
    item_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                     filename="l.zip").json()["id"]  # fmt: skip
    settings.UGC_SIGNED_URL_TTL_SECONDS = 2
    asked = time.time()
    link = client_for(alice).get(f"/api/v1/ugc/items/{item_id}/download").json()["url"]
    token = link.rsplit("/", 1)[1]
    lasts_until = blob_token_read(token)["e"]
    forged = signing.dumps({"n": "../../etc/passwd", "d": "inline", "t": "text/plain",
                            "e": 2_000_000_000}, salt="another.salt")  # fmt: skip

    fresh = Client().get(link)
    time.sleep(max(0.0, lasts_until - time.time()) + 1.1)
    expired = Client().get(link)

    assert lasts_until >= asked + 2

    assert fresh.status_code == 200
    assert fresh["Content-Disposition"] == "attachment; filename=\"l.zip\"; filename*=UTF-8''l.zip"
    assert b"".join(fresh.streaming_content).startswith(b"PK\x03\x04")
    assert expired.status_code == 403
    assert Client().get(f"/ugc/blob/{forged}").status_code == 404
    assert Client().get(f"/ugc/blob/{token[:-2]}xx").status_code == 404


def test_mangled_cursors_in_portal_addresses_do_not_break_pages(title, alice):
    item_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                     filename="l.zip").json()["id"]  # fmt: skip
    visitor = Client()

    assert visitor.get(f"/ugc/items/{item_id}/?comments=%%%").status_code == 200
    assert visitor.get(f"/ugc/t/{title.slug}/?cursor=abc&game_version=x.y").status_code == 200
    assert visitor.get(f"/ugc/creators/{alice.id}/?cursor=zzz&sort=bogus").status_code == 200
