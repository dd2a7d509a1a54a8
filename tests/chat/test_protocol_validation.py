"""Every client frame's fields, checked by one rule: a required field missing, or any field of
the wrong type, answers ``invalid_frame`` with ``details.field`` (``details.index`` inside a
list) and changes nothing; the socket stays usable."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.chat.models import Membership, Message, MessageEdit, Reaction
from apps.chat.services import message_send
from community.asgi import application
from tests.chat.support import ChatSocket, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def bad_frames(lobby_id: int, message_id: int, bob_id: int) -> list[tuple[dict, dict]]:
    """(frame, expected ``details``) for every frame type."""
    lobby, message = lobby_id, message_id
    return [
        ({"type": "hello", "version": "1"}, {"field": "version"}),
        ({"type": "hello", "token": 5}, {"field": "token"}),
        ({"type": "subscribe"}, {"field": "channels"}),
        ({"type": "subscribe", "channels": "all"}, {"field": "channels"}),
        ({"type": "subscribe", "channels": []}, {"field": "channels"}),
        ({"type": "subscribe", "channels": [lobby]}, {"field": "channels", "index": 0}),
        ({"type": "subscribe", "channels": [{"channel_id": lobby}, {"channel_id": "1"}]},
         {"field": "channel_id", "index": 1}),
        ({"type": "subscribe", "channels": [{}]}, {"field": "channel_id", "index": 0}),
        ({"type": "subscribe", "channels": [{"channel_id": lobby, "last_seq": -1}]},
         {"field": "last_seq", "index": 0}),
        ({"type": "subscribe", "channels": [{"channel_id": lobby, "last_change_seq": "2"}]},
         {"field": "last_change_seq", "index": 0}),
        ({"type": "unsubscribe"}, {"field": "channels"}),
        ({"type": "unsubscribe", "channels": [lobby, True]}, {"field": "channels", "index": 1}),
        ({"type": "send", "channel_id": lobby, "body": 0}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby, "body": 12.5}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby, "body": ["gg"]}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby, "body": {"text": "gg"}}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby, "body": True}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby}, {"field": "body"}),
        ({"type": "send", "body": "gg"}, {"field": "channel_id"}),
        ({"type": "send", "channel_id": str(lobby), "body": "gg"}, {"field": "channel_id"}),
        ({"type": "send", "to_player_id": "bob", "body": "gg"}, {"field": "to_player_id"}),
        ({"type": "send", "channel_id": lobby, "to_player_id": bob_id, "body": "gg"},
         {"field": "to_player_id"}),
        ({"type": "send", "to_player_id": bob_id, "body": 7}, {"field": "body"}),
        ({"type": "send", "channel_id": lobby, "body": "gg", "client_msg_id": ""},
         {"field": "client_msg_id"}),
        ({"type": "send", "channel_id": lobby, "body": "gg", "attachments": {"kind": "ugc"}},
         {"field": "attachments"}),
        ({"type": "edit", "body": "new"}, {"field": "message_id"}),
        ({"type": "edit", "message_id": message, "body": 1}, {"field": "body"}),
        ({"type": "edit", "message_id": message}, {"field": "body"}),
        ({"type": "edit", "message_id": message, "body": "new", "attachments": "none"},
         {"field": "attachments"}),
        ({"type": "delete"}, {"field": "message_id"}),
        ({"type": "delete", "message_id": str(message)}, {"field": "message_id"}),
        ({"type": "react", "message_id": message}, {"field": "emoji"}),
        ({"type": "react", "message_id": message, "emoji": 1}, {"field": "emoji"}),
        ({"type": "react", "message_id": True, "emoji": "GG"}, {"field": "message_id"}),
        ({"type": "unreact", "message_id": message, "emoji": ["GG"]}, {"field": "emoji"}),
        ({"type": "typing", "channel_id": None}, {"field": "channel_id"}),
        ({"type": "read", "channel_id": lobby}, {"field": "seq"}),
        ({"type": "read", "channel_id": lobby, "seq": "1"}, {"field": "seq"}),
        ({"type": "read", "seq": 1}, {"field": "channel_id"}),
        ({"type": "history"}, {"field": "channel_id"}),
        ({"type": "history", "channel_id": lobby, "before": "1"}, {"field": "before"}),
        ({"type": "history", "channel_id": lobby, "after": -1}, {"field": "after"}),
        ({"type": "history", "channel_id": lobby, "limit": 0}, {"field": "limit"}),
        ({"type": "history", "channel_id": lobby, "before": 5, "after": 1}, {"field": "after"}),
        ({"type": 5}, {"field": "type"}),
        ({}, {"field": "type"}),
    ]  # fmt: skip


def _state(lobby_id: int) -> tuple:
    return (
        list(Message.objects.order_by("id").values_list("id", "body", "attachments", "deleted_at")),
        MessageEdit.objects.count(),
        Reaction.objects.count(),
        list(Membership.objects.order_by("id").values_list("player_id", "last_read_seq")),
    )


async def test_every_bad_field_of_every_frame_answers_invalid_frame_and_changes_nothing(
    lobby, alice, bob
):
    message = await database_sync_to_async(message_send)(channel=lobby, author=alice, body="gl")
    socket = await open_socket(alice.user)
    before = await database_sync_to_async(_state)(lobby.id)
    cases = bad_frames(lobby.id, message.message.id, bob.id)

    answers = []
    for frame, _expected in cases:
        reply = await socket.call(frame)
        answers.append((reply["type"], reply.get("code"), reply.get("details")))

    assert answers == [("error", "invalid_frame", expected) for _frame, expected in cases]
    assert await database_sync_to_async(_state)(lobby.id) == before
    assert await socket.nothing_more()
    assert (await socket.call({"type": "ping"}))["type"] == "pong"
    await socket.close()


async def test_a_request_id_that_is_not_a_string_or_number_is_refused_with_no_id(alice):
    socket = await open_socket(alice.user)

    await socket.send({"type": "ping", "id": {"nested": True}})
    refused = await socket.next_of("error")

    assert (refused["id"], refused["code"], refused["details"]) == (None, "invalid_frame",
                                                                    {"field": "id"})  # fmt: skip
    await socket.close()


async def test_hello_on_a_socket_without_credentials_needs_a_well_typed_token(alice):
    communicator = WebsocketCommunicator(application, "/ws/")
    connected, _ = await communicator.connect(timeout=5)
    socket = ChatSocket(communicator)

    wrong_type = await socket.call({"type": "hello", "version": 1, "token": 42})
    missing = await socket.call({"type": "hello", "version": 1})
    closed = await socket.closed()

    assert connected
    assert (wrong_type["code"], wrong_type["details"]) == ("invalid_frame", {"field": "token"})
    assert missing["code"] == "invalid_token"  # no credentials at all: authentication failed
    assert closed["code"] == 4003


def test_rest_refuses_a_body_or_client_msg_id_that_is_not_a_string(lobby, alice):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=alice.user, name='t').secret}"
    )
    url = reverse("chat-channel-messages", kwargs={"channel_id": lobby.id})

    answers = [
        client.post(url, payload, format="json")
        for payload in ({"body": 0}, {"body": 12.5}, {"body": True}, {"body": ["gg"]},
                        {"body": "gg", "client_msg_id": 5})
    ]  # fmt: skip
    fine = client.post(url, {"body": "0"}, format="json")

    assert [(answer.status_code, answer.json()["error"]["code"]) for answer in answers] == [
        (400, "validation_error")
    ] * 5
    assert [list(answer.json()["error"]["details"]["fields"]) for answer in answers] == [
        ["body"], ["body"], ["body"], ["body"], ["client_msg_id"],
    ]  # fmt: skip
    assert fine.status_code == 201
    assert list(Message.objects.values_list("body", flat=True)) == ["0"]
