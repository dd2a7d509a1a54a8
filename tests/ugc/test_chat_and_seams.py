"""The ``ugc`` chat attachment kind, and the moderation seams (sanctions, reports) every UGC
interface goes through."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.chat.attachments import attachments_clean
from apps.chat.channels import direct_channel_get_or_create, lobby_channel_get_or_create
from apps.chat.exceptions import InvalidAttachment
from apps.chat.services import message_send
from apps.moderation.sanctions import sanction_issue
from apps.players.friends import block_create, friend_request_send
from apps.ugc import enforcement
from apps.ugc.models import Comment, Item, UploadSession
from apps.ugc.reporting import ugc_report_receive
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files, upload

pytestmark = pytest.mark.django_db


def _item(title, creator, visibility: str, seed: int) -> int:  # type: ignore[no-untyped-def]
    response = upload(client_for(creator), title.slug, kind="level",
                      content=corpus.level_zip(seed), filename="l.zip",
                      name=f"{visibility} level", visibility=visibility)  # fmt: skip
    return response.json()["id"]


def test_sharing_an_item_in_chat_stores_its_card(title, alice, bob):
    item_id = _item(title, alice, "public", 1)
    lobby = lobby_channel_get_or_create(title=title)

    sent = message_send(channel=lobby, author=bob, body="look",
                        attachments=[{"kind": "ugc", "id": item_id}]).message  # fmt: skip

    assert sent.attachments == [{
        "kind": "ugc", "id": item_id, "name": "public level", "item_kind": "level",
        "title": "starfall-arena", "creator": {"id": alice.id, "display_name": "alice"},
        "thumbnail_url": f"/api/v1/ugc/items/{item_id}/thumbnails/small",
        "url": f"/ugc/items/{item_id}/",
    }]  # fmt: skip


def test_items_are_shared_only_where_every_reader_may_see_them(title, alice, bob):
    carol = PlayerFactory(display_name="carol", display_name_key="carol")
    friend_request_send(sender=alice, recipient=bob)
    friend_request_send(sender=bob, recipient=alice)
    items = {v: _item(title, alice, v, n) for n, v in enumerate(["unlisted", "friends", "private"])}
    draft = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(9),
                   filename="l.zip", publish="false").json()["id"]  # fmt: skip
    lobby = lobby_channel_get_or_create(title=title)
    with_friend = direct_channel_get_or_create(first=alice, second=bob)
    with_stranger = direct_channel_get_or_create(first=alice, second=carol)

    def may_share(item_id: int, channel, author=alice) -> bool:  # type: ignore[no-untyped-def]
        try:
            attachments_clean([{"kind": "ugc", "id": item_id}], author=author, channel=channel)
        except InvalidAttachment:
            return False
        return True

    assert may_share(items["unlisted"], lobby)
    assert may_share(items["friends"], with_friend)
    assert not may_share(items["friends"], lobby)
    assert not may_share(items["friends"], with_stranger)
    assert not may_share(items["private"], with_friend)
    assert not may_share(draft, with_friend)
    assert not may_share(items["unlisted"], lobby, author=_blocked_by(alice))
    assert not may_share("abc", lobby)  # type: ignore[arg-type]


def _blocked_by(player):  # type: ignore[no-untyped-def]
    other = PlayerFactory()
    block_create(blocker=player, blocked=other)
    return other


def test_every_upload_path_is_refused_for_an_upload_banned_player_and_stores_nothing(
    ugc_storage, title, alice
):
    existing = _item(title, alice, "public", 1)
    files_before = stored_files(ugc_storage)
    sanction_issue(player=alice, kind="upload_ban", title=title)
    client = client_for(alice)

    responses = [
        upload(client, title.slug, kind="level", content=corpus.level_zip(2), filename="l.zip"),
        client.post(f"/api/v1/ugc/items/{existing}/versions",
                    {"file": SimpleUploadedFile("l.zip", corpus.level_zip(3))},
                    format="multipart"),
        client.post("/api/v1/ugc/uploads", {"title": title.slug, "kind": "mod",
                                            "filename": "m.zip", "size": 10}),
    ]  # fmt: skip

    assert [(r.status_code, r.json()["error"]["code"]) for r in responses] == [
        (403, "upload_banned")] * 3  # fmt: skip
    assert stored_files(ugc_storage) == files_before
    assert Item.objects.count() == 1 and not UploadSession.objects.exists()


def test_an_upload_ban_in_another_title_does_not_hold_here(ugc_storage, title, alice):
    sanction_issue(player=alice, kind="upload_ban", title=TitleFactory(slug="kaiju-kingdoms"))

    response = upload(client_for(alice), title.slug, kind="level",
                      content=corpus.level_zip(4), filename="l.zip")  # fmt: skip

    assert response.status_code == 201


def test_a_muted_player_cannot_comment_and_nothing_is_stored(title, alice, bob):
    item_id = _item(title, alice, "public", 1)
    sanction_issue(player=bob, kind="chat_mute", duration=timedelta(hours=1))

    response = client_for(bob).post(f"/api/v1/ugc/items/{item_id}/comments", {"body": "hi"})

    assert (response.status_code, response.json()["error"]["code"]) == (403, "muted")
    assert response.json()["error"]["details"]["expires_at"] is not None
    assert not Comment.objects.exists()


def test_reports_go_to_the_receiver_moderation_registers(title, alice, bob):
    item_id = _item(title, alice, "public", 1)
    private_id = _item(title, alice, "private", 2)
    url = f"/api/v1/ugc/items/{item_id}/report"

    # Moderation's receiver is registered at startup (apps.ugc.reporting); the seam is tested
    # here without it, then with a receiver of the test's own, and moderation's put back.
    enforcement.report_receiver_unregister()
    try:
        unavailable = client_for(bob).post(url, {"reason": "spam"})
        received = []
        enforcement.report_receiver_register(lambda **report: received.append(report))
        filed = client_for(bob).post(url, {"reason": "copyright", "details": "my map"})
        hidden = client_for(bob).post(f"/api/v1/ugc/items/{private_id}/report", {"reason": "spam"})
    finally:
        enforcement.report_receiver_register(ugc_report_receive)

    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (
        503, "reports_unavailable")  # fmt: skip
    assert filed.status_code == 202
    assert hidden.json()["error"]["code"] == "unknown_item"
    [report] = received
    assert (report["reporter"], report["reason"], report["details"]) == (bob, "copyright", "my map")
    target = report["target"]
    assert (target.kind, target.id, target.author_id) == ("item", item_id, alice.id)
    assert target.snapshot["name"] == "public level" and len(target.snapshot["sha256"]) == 64
