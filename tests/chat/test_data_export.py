"""The player's data export (``GET /api/v1/me/export``) has a ``chat`` section: every message
they wrote, with its channel, time, body and earlier bodies; their reactions and channels."""

import pytest
from rest_framework.test import APIClient

from apps.chat.actions import message_delete, message_edit, reaction_add
from apps.chat.models import Message
from apps.chat.services import direct_message_send, message_send

pytestmark = pytest.mark.django_db


def export_of(player) -> dict:
    client = APIClient()
    client.force_authenticate(player.user)
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    return response.json()


def test_the_export_has_the_chat_messages_and_dms_the_player_wrote(lobby, alice, bob):
    said = message_send(channel=lobby, author=alice, body="gl hf", client_msg_id="c-1").message
    message_edit(message=said, player=alice, body="gl hf all")
    direct = direct_message_send(sender=alice, recipient=bob, body="rematch?").message
    regret = message_send(channel=lobby, author=alice, body="oops").message
    message_delete(message=Message.objects.get(id=regret.id), player=alice)
    theirs = message_send(channel=lobby, author=bob, body="ty").message
    reaction_add(message=theirs, player=alice, emoji="GG")

    chat = export_of(alice)["chat"]

    messages = chat["messages"]
    assert [(m["channel"]["id"], m["channel"]["kind"], m["seq"], m["body"]) for m in messages] == [
        (lobby.id, "lobby", 1, "gl hf all"),
        (direct.channel_id, "direct", 1, "rematch?"),
        (lobby.id, "lobby", 2, "oops"),  # deleted, and still hers to see
    ]
    assert messages[1]["channel"]["name"] == "alice · bob"
    assert [[e["body"] for e in m["earlier_bodies"]] for m in messages] == [
        ["gl hf"], [], ["oops"],
    ]  # fmt: skip
    assert messages[0]["client_msg_id"] == "c-1"
    assert messages[0]["edited_at"] is not None and messages[0]["created_at"] is not None
    assert (messages[1]["deleted_at"], messages[2]["deleted_at"] is not None) == (None, True)
    assert chat["reactions"] == [
        {"message_id": theirs.id, "channel_id": lobby.id, "emoji": "GG",
         "created_at": chat["reactions"][0]["created_at"]}
    ]  # fmt: skip
    # Channels she is a member of (a lobby once she subscribed to it; a DM at once).
    assert [(c["id"], c["kind"]) for c in chat["channels"]] == [(direct.channel_id, "direct")]


def test_the_export_has_no_one_elses_messages(lobby, alice, bob):
    message_send(channel=lobby, author=bob, body="mine, not alice's")
    direct_message_send(sender=bob, recipient=alice, body="private to alice")

    chat = export_of(alice)["chat"]

    assert chat["messages"] == []
    assert chat["reactions"] == []
