"""Attachments: the seam other apps register kinds with, and messages showing them."""

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from apps.chat.actions import message_edit
from apps.chat.attachments import (
    AttachmentKind,
    attachment_kind_register,
    attachment_kind_unregister,
    attachments_clean,
    attachments_parse,
)
from apps.chat.exceptions import EmptyMessage, InvalidAttachment
from apps.chat.models import Message
from apps.chat.services import message_send
from tests.chat.support import open_socket

SCREENSHOTS = {7: "Sunset over Starfall", 8: "Boss fight"}
asked: list[tuple[object, int, int]] = []


def resolve_screenshot(item_id, *, author, channel):
    asked.append((item_id, author.id, channel.id))
    if item_id not in SCREENSHOTS:
        raise InvalidAttachment()
    return {"title": SCREENSHOTS[item_id], "url": f"/ugc/{item_id}", "kind": "spoofed"}


@pytest.fixture(autouse=True)
def screenshot_kind() -> Iterator[None]:
    asked.clear()
    attachment_kind_register(AttachmentKind(name="screenshot", resolve=resolve_screenshot))
    yield
    attachment_kind_unregister("screenshot")


def refusal(raw, **context) -> InvalidAttachment:
    with pytest.raises(InvalidAttachment) as caught:
        attachments_clean(raw, **context) if context else attachments_parse(raw)
    assert caught.value.code == "invalid_attachment"
    return caught.value


@pytest.mark.django_db
def test_clean_resolves_each_reference_through_its_kind(lobby, alice):
    cleaned = attachments_clean(
        [{"kind": "screenshot", "id": 7, "extra": "ignored"}, {"kind": "screenshot", "id": 8}],
        author=alice, channel=lobby,
    )  # fmt: skip

    assert cleaned == [
        {"kind": "screenshot", "id": 7, "title": "Sunset over Starfall", "url": "/ugc/7"},
        {"kind": "screenshot", "id": 8, "title": "Boss fight", "url": "/ugc/8"},
    ]
    assert asked == [(7, alice.id, lobby.id), (8, alice.id, lobby.id)]
    assert attachments_clean(None, author=alice, channel=lobby) == []
    assert attachments_clean([], author=alice, channel=lobby) == []


@pytest.mark.parametrize(
    ("raw", "details"),
    [
        ({"kind": "screenshot", "id": 7}, {}),
        ([{"kind": "screenshot", "id": n} for n in range(5)], {"max": 4}),
        (["screenshot:7"], {"index": 0}),
        ([{"kind": "screenshot", "id": 7}, {"kind": "poll", "id": 1}], {"index": 1}),
        ([{"kind": "screenshot"}], {"index": 0}),
        ([{"kind": "screenshot", "id": True}], {"index": 0}),
        ([{"kind": "screenshot", "id": -1}], {"index": 0}),
        ([{"kind": "screenshot", "id": "x" * 65}], {"index": 0}),
        ([{"kind": "screenshot", "id": 7}, {"kind": "screenshot", "id": 7}], {"index": 1}),
    ],
)
def test_malformed_references_are_refused_without_asking_any_kind(raw, details):
    assert refusal(raw).details == details
    assert asked == []


@pytest.mark.django_db
def test_a_reference_the_kind_refuses_names_its_index(lobby, alice):
    error = refusal(
        [{"kind": "screenshot", "id": 7}, {"kind": "screenshot", "id": 99}],
        author=alice, channel=lobby,
    )  # fmt: skip

    assert error.details == {"index": 1}


def test_a_kind_nobody_registered_is_refused():
    attachment_kind_unregister("screenshot")

    assert refusal([{"kind": "poll", "id": 1}]).details == {"index": 0}


@pytest.mark.django_db(transaction=True)
async def test_edit_replaces_attachments_and_every_interface_shows_them(lobby, alice, bob):
    author, reader = await open_socket(alice.user), await open_socket(bob.user)
    for socket in (author, reader):
        await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    sent = await author.call({"type": "send", "channel_id": lobby.id, "body": "look"})
    message_id = sent["message"]["id"]

    refused = await author.call({"type": "edit", "message_id": message_id, "body": "look!",
                                 "attachments": [{"kind": "screenshot", "id": 99}]})  # fmt: skip
    edited = await author.call({"type": "edit", "message_id": message_id, "body": "look!",
                                "attachments": [{"kind": "screenshot", "id": 7}]})  # fmt: skip
    updated = await reader.next_of("message_updated")
    body_only = await author.call({"type": "edit", "message_id": message_id, "body": "look!!"})
    kept = await reader.next_of("message_updated")
    history = await reader.call({"type": "history", "channel_id": lobby.id})

    assert (refused["code"], refused["details"]) == ("invalid_attachment", {"index": 0})
    assert (edited["type"], body_only["type"]) == ("ack", "ack")
    expected = [{"kind": "screenshot", "id": 7, "title": "Sunset over Starfall", "url": "/ugc/7"}]
    assert sent["message"]["attachments"] == []
    assert updated["message"]["attachments"] == expected
    assert kept["message"]["attachments"] == expected
    assert history["messages"][0]["attachments"] == expected
    await author.close()
    await reader.close()


@pytest.mark.django_db
def test_rest_history_shows_attachments_and_hides_them_once_deleted(lobby, alice):
    stored = message_send(channel=lobby, author=alice, body="see").message
    Message.objects.filter(id=stored.id).update(
        attachments=[{"kind": "screenshot", "id": 8, "title": "Boss fight"}]
    )
    client = APIClient()
    client.force_authenticate(alice.user)
    url = f"/api/v1/chat/channels/{lobby.id}/messages"

    shown = client.get(url).json()["results"][0]["attachments"]
    Message.objects.filter(id=stored.id).update(deleted_at=stored.created_at)
    after_delete = client.get(url).json()["results"][0]["attachments"]

    assert shown == [{"kind": "screenshot", "id": 8, "title": "Boss fight"}]
    assert after_delete == []


@pytest.mark.django_db
def test_an_edit_may_empty_the_body_only_while_an_attachment_stays(lobby, alice):
    message = message_send(channel=lobby, author=alice, body="see this").message
    screenshot = [{"kind": "screenshot", "id": 7}]

    with pytest.raises(EmptyMessage):
        message_edit(message=message, player=alice, body="  ")
    edited = message_edit(message=message, player=alice, body="", attachments=screenshot)
    with pytest.raises(EmptyMessage):
        message_edit(message=edited, player=alice, body=None, attachments=[])
    kept = message_edit(message=edited, player=alice, body=None)

    assert (edited.body, edited.attachments[0]["id"]) == ("", 7)
    assert (kept.body, len(kept.attachments)) == ("", 1)
    assert Message.objects.get(id=message.id).attachments == edited.attachments
