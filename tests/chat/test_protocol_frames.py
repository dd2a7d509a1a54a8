"""Edit, delete, reactions, typing, read markers, history, DMs, channel membership frames."""

import pytest
from channels.db import database_sync_to_async

from apps.chat.channels import match_channel_close, match_channel_open
from apps.chat.models import Membership, Message, MessageEdit, Reaction
from apps.players.friends import block_create
from apps.players.models import Notification
from tests.chat.support import open_socket
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribed_pair(lobby, first, second):
    sockets = [await open_socket(first.user), await open_socket(second.user)]
    for socket in sockets:
        await socket.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    return sockets


async def test_edit_keeps_history_and_reaches_subscribers(lobby, alice, bob):
    author, reader = await subscribed_pair(lobby, alice, bob)
    sent = await author.call({"type": "send", "channel_id": lobby.id, "body": "helo"})
    message_id = sent["message"]["id"]

    ack = await author.call({"type": "edit", "message_id": message_id, "body": "hello"})
    not_author = await reader.call({"type": "edit", "message_id": message_id, "body": "hax"})
    updated = await reader.next_of("message_updated")

    assert ack["type"] == "ack"
    assert not_author["code"] == "forbidden"
    assert updated["message"]["body"] == "hello"
    assert updated["message"]["edited_at"] is not None
    edits = await database_sync_to_async(list)(MessageEdit.objects.values_list("body", flat=True))
    assert edits == ["helo"]
    await author.close()
    await reader.close()


async def test_delete_by_author_and_by_moderator_is_broadcast_and_text_kept(lobby, alice, bob):
    author, reader = await subscribed_pair(lobby, alice, bob)
    first = await author.call({"type": "send", "channel_id": lobby.id, "body": "oops"})
    second = await author.call({"type": "send", "channel_id": lobby.id, "body": "rude"})
    moderator = await database_sync_to_async(PlayerFactory)(
        user=await database_sync_to_async(UserFactory)(is_staff=True, is_superuser=True)
    )
    moderator_socket = await open_socket(moderator.user)

    refused = await reader.call({"type": "delete", "message_id": first["message"]["id"]})
    by_author = await author.call({"type": "delete", "message_id": first["message"]["id"]})
    by_moderator = await moderator_socket.call(
        {"type": "delete", "message_id": second["message"]["id"]}
    )
    deleted = [await reader.next_of("message_deleted") for _ in range(2)]

    assert refused["code"] == "forbidden"
    assert (by_author["type"], by_moderator["type"]) == ("ack", "ack")
    assert [(d["seq"], d["by_moderator"]) for d in deleted] == [(1, False), (2, True)]
    stored = await database_sync_to_async(list)(Message.objects.order_by("seq"))
    assert [(m.body, m.is_deleted) for m in stored] == [("oops", True), ("rude", True)]
    history = await reader.call({"type": "history", "channel_id": lobby.id})
    assert [(m["body"], m["is_deleted"]) for m in history["messages"]] == [("", True), ("", True)]
    for socket in (author, reader, moderator_socket):
        await socket.close()


async def test_reactions_are_idempotent_and_counted(lobby, alice, bob):
    author, reader = await subscribed_pair(lobby, alice, bob)
    sent = await author.call({"type": "send", "channel_id": lobby.id, "body": "gg"})
    message_id = sent["message"]["id"]

    await reader.call({"type": "react", "message_id": message_id, "emoji": "GG"})
    await reader.call({"type": "react", "message_id": message_id, "emoji": "GG"})
    await author.call({"type": "react", "message_id": message_id, "emoji": "GG"})
    bad = await author.call({"type": "react", "message_id": message_id, "emoji": "<b>"})
    await reader.call({"type": "unreact", "message_id": message_id, "emoji": "GG"})
    frames = [await author.next_of("reaction") for _ in range(3)]

    assert bad["code"] == "invalid_reaction"
    assert [(f["action"], f["count"], f["player_id"]) for f in frames] == [
        ("added", 1, bob.id), ("added", 2, alice.id), ("removed", 1, bob.id),
    ]  # fmt: skip
    assert await database_sync_to_async(Reaction.objects.count)() == 1
    history = await reader.call({"type": "history", "channel_id": lobby.id})
    assert history["messages"][0]["reactions"] == [
        {"emoji": "GG", "count": 1, "player_ids": [alice.id]}
    ]
    await author.close()
    await reader.close()


async def test_typing_reaches_the_channel_and_read_markers_reach_own_sockets(lobby, alice, bob):
    author, reader = await subscribed_pair(lobby, alice, bob)
    second_alice = await open_socket(alice.user)
    await author.call({"type": "send", "channel_id": lobby.id, "body": "one"})
    await author.call({"type": "send", "channel_id": lobby.id, "body": "two"})

    await author.call({"type": "typing", "channel_id": lobby.id})
    typing = await reader.next_of("typing")
    ack = await reader.call({"type": "read", "channel_id": lobby.id, "seq": 99})
    backwards = await reader.call({"type": "read", "channel_id": lobby.id, "seq": 1})

    assert typing["player"] == {"id": alice.id, "display_name": "alice"}
    assert (ack["seq"], backwards["seq"]) == (2, 2)
    marker = await database_sync_to_async(Membership.objects.get)(channel=lobby, player=bob)
    assert marker.last_read_seq == 2
    for socket in (author, reader, second_alice):
        await socket.close()


async def test_history_pages_back_and_forward(lobby, alice):
    socket = await open_socket(alice.user)
    for number in range(1, 8):
        await socket.call({"type": "send", "channel_id": lobby.id, "body": f"m{number}"})

    newest = await socket.call({"type": "history", "channel_id": lobby.id, "limit": 3})
    older = await socket.call({"type": "history", "channel_id": lobby.id, "limit": 3,
                               "before": newest["messages"][0]["seq"]})  # fmt: skip
    forward = await socket.call({"type": "history", "channel_id": lobby.id, "after": 5})

    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7]
    assert newest["has_more"] is True
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4]
    assert [m["seq"] for m in forward["messages"]] == [6, 7]
    assert forward["has_more"] is False
    await socket.close()


async def test_first_dm_creates_the_channel_and_tells_the_recipient(alice, bob):
    sender = await open_socket(alice.user)
    recipient = await open_socket(bob.user)

    sent = await sender.call({"type": "send", "to_player_id": bob.id, "body": "hey @bob"})
    joined = await recipient.next_of("channel_joined")
    subscribed = await recipient.call(
        {"type": "subscribe", "channels": [{"channel_id": joined["channel"]["id"], "last_seq": 0}]}
    )
    replayed = await recipient.next_of("message")

    assert joined["channel"]["kind"] == "direct"
    assert sent["channel_id"] == joined["channel"]["id"]
    assert subscribed["channels"][0]["replayed"] == 1
    assert replayed["message"]["body"] == "hey @bob"
    assert replayed["message"]["mentions"] == [bob.id]
    notification = await database_sync_to_async(Notification.objects.get)(recipient=bob)
    assert notification.kind == "mention"
    await sender.close()
    await recipient.close()


async def test_a_blocked_player_cannot_dm_and_mentions_notify_nobody(lobby, alice, bob):
    await database_sync_to_async(block_create)(blocker=bob, blocked=alice)
    sender = await open_socket(alice.user)

    refused = await sender.call({"type": "send", "to_player_id": bob.id, "body": "hi"})
    mention = await sender.call({"type": "send", "channel_id": lobby.id, "body": "@bob hi"})

    assert refused["code"] == "blocked"
    assert mention["type"] == "sent"
    assert await database_sync_to_async(Notification.objects.filter(kind="mention").count)() == 0
    assert await database_sync_to_async(Message.objects.count)() == 1
    await sender.close()


async def test_match_channel_membership_frames(title, alice, bob, carol):
    socket = await open_socket(alice.user)

    channel = await database_sync_to_async(match_channel_open)(
        title=title, match_id="m-1", player_ids=[alice.id, bob.id]
    )
    again = await database_sync_to_async(match_channel_open)(
        title=title, match_id="m-1", player_ids=[alice.id, bob.id]
    )
    joined = await socket.next_of("channel_joined")
    await socket.call({"type": "subscribe", "channels": [{"channel_id": channel.id}]})
    outsider = await open_socket(carol.user)
    denied = await outsider.call({"type": "send", "channel_id": channel.id, "body": "x"})
    await database_sync_to_async(match_channel_close)(title=title, match_id="m-1")
    left = await socket.next_of("channel_left")
    closed = await socket.call({"type": "send", "channel_id": channel.id, "body": "gg"})

    assert again.id == channel.id
    assert joined["channel"]["id"] == channel.id
    assert denied["code"] == "unknown_channel"
    assert left == {"type": "channel_left", "channel_id": channel.id, "reason": "match_closed"}
    assert closed["code"] == "channel_closed"
    await socket.close()
    await outsider.close()
