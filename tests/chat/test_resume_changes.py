"""Resuming changes: edits, deletes and reactions made while a client was away come back
once each, as the messages are now, when it subscribes with ``last_change_seq``."""

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from apps.chat.models import Channel
from tests.chat.support import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def send_all(socket, channel_id, bodies) -> list[int]:
    replies = [
        await socket.call({"type": "send", "channel_id": channel_id, "body": b}) for b in bodies
    ]
    return [reply["message"]["id"] for reply in replies]


async def subscribe(socket, channel_id, **resume):
    reply = await socket.call(
        {"type": "subscribe", "channels": [{"channel_id": channel_id, **resume}]}
    )
    return reply["channels"][0]


async def changes_while_away(author, other, lobby_id, ids) -> None:
    first, second, third = ids
    await author.call({"type": "edit", "message_id": first, "body": "one, edited"})
    await author.call({"type": "edit", "message_id": first, "body": "one, edited twice"})
    await author.call({"type": "delete", "message_id": second})
    await other.call({"type": "react", "message_id": third, "emoji": "GG"})
    await other.call({"type": "react", "message_id": third, "emoji": "GG"})  # no change
    await author.call({"type": "react", "message_id": third, "emoji": "🔥"})
    await author.call({"type": "unreact", "message_id": third, "emoji": "🔥"})


async def test_changes_made_while_away_are_replayed_once_each_as_they_are_now(
    lobby, alice, bob, carol
):
    author, other = await open_socket(alice.user), await open_socket(carol.user)
    ids = await send_all(author, lobby.id, ["one", "two", "three"])
    reader = await open_socket(bob.user)
    first_visit = await subscribe(reader, lobby.id, last_seq=0, last_change_seq=0)
    await reader.messages(3)
    await reader.close()

    await changes_while_away(author, other, lobby.id, ids)
    [later] = await send_all(author, lobby.id, ["four"])
    await author.call({"type": "edit", "message_id": later, "body": "four, edited"})
    reader = await open_socket(bob.user)
    resumed = await subscribe(reader, lobby.id, last_seq=3, last_change_seq=0)
    frames = [frame for frame in reader.inbox if frame["type"] != "presence"]
    reader.inbox.clear()

    assert first_visit["head_change_seq"] == 0
    assert [(f["type"], f.get("change_seq")) for f in frames] == [
        ("message", None), ("message_updated", 2), ("message_deleted", 3),
        ("message_updated", 6),
    ]  # fmt: skip
    new, edited, deleted, reacted = frames
    assert (new["message"]["seq"], new["message"]["body"]) == (4, "four, edited")
    assert new["message"]["change_seq"] == 7
    assert (deleted["message_id"], deleted["seq"], deleted["by_moderator"]) == (ids[1], 2, False)
    assert reacted["message"]["id"] == ids[2]
    assert reacted["message"]["reactions"] == [
        {"emoji": "GG", "count": 1, "player_ids": [carol.id]}
    ]
    assert edited["message"]["id"] == ids[0]
    assert edited["message"]["body"] == "one, edited twice"
    assert resumed == resumed | {"resume": "replayed", "replayed": 1, "change_resume": "replayed",
                                 "head_change_seq": 7, "changes_replayed": 3}  # fmt: skip
    assert await reader.nothing_more()
    for socket in (author, other, reader):
        await socket.close()


async def test_live_change_frames_number_the_channels_changes_without_gaps(lobby, alice, bob):
    author, reader = await open_socket(alice.user), await open_socket(bob.user)
    await subscribe(reader, lobby.id)
    [message_id] = await send_all(author, lobby.id, ["hi"])

    await reader.call({"type": "react", "message_id": message_id, "emoji": "GG"})
    await reader.call({"type": "react", "message_id": message_id, "emoji": "GG"})  # no change
    await reader.call({"type": "unreact", "message_id": message_id, "emoji": "🔥"})  # none
    await author.call({"type": "edit", "message_id": message_id, "body": "hi!"})
    await author.call({"type": "delete", "message_id": message_id})
    frames = [await reader.next_of(kind) for kind in ("reaction", "message_updated",
                                                      "message_deleted")]  # fmt: skip

    assert [frame["change_seq"] for frame in frames] == [1, 2, 3]
    assert frames[1]["message"]["change_seq"] == 2
    channel = await database_sync_to_async(Channel.objects.get)(id=lobby.id)
    assert channel.last_change_seq == 3
    history = await reader.call({"type": "history", "channel_id": lobby.id})
    assert history["messages"][0]["change_seq"] == 3
    await author.close()
    await reader.close()


async def test_a_client_that_sends_no_last_change_seq_gets_no_changes(lobby, alice, bob):
    author = await open_socket(alice.user)
    [message_id] = await send_all(author, lobby.id, ["hi"])
    await author.call({"type": "edit", "message_id": message_id, "body": "hi!"})
    reader = await open_socket(bob.user)

    resumed = await subscribe(reader, lobby.id, last_seq=1)

    assert (resumed["change_resume"], resumed["head_change_seq"]) == ("none", 1)
    assert resumed["changes_replayed"] == 0
    assert await reader.nothing_more()
    await author.close()
    await reader.close()


@override_settings(CHAT_RESUME_MAX_MESSAGES=2)
async def test_more_changed_messages_than_the_bound_ask_for_a_reload(lobby, alice, bob):
    author = await open_socket(alice.user)
    ids = await send_all(author, lobby.id, ["a", "b", "c"])
    for message_id in ids:
        await author.call({"type": "edit", "message_id": message_id, "body": "edited"})
    reader = await open_socket(bob.user)

    resumed = await subscribe(reader, lobby.id, last_seq=3, last_change_seq=0)
    caught_up = await subscribe(reader, lobby.id, last_seq=3, last_change_seq=1)

    assert resumed["change_resume"] == "reload_required"
    assert (resumed["head_change_seq"], resumed["changes_replayed"]) == (3, 0)
    assert (caught_up["change_resume"], caught_up["changes_replayed"]) == ("replayed", 2)
    await author.close()
    await reader.close()


async def test_a_resume_replays_each_message_as_history_shows_it(title, lobby, alice, bob, carol):
    from apps.chat.services import announcement_post

    author, other = await open_socket(alice.user), await open_socket(carol.user)
    ids = await send_all(author, lobby.id, ["one", "two", "three", "four"])
    await changes_while_away(author, other, lobby.id, ids[:3])
    await author.call({"type": "react", "message_id": ids[2], "emoji": "GG"})
    await other.call({"type": "react", "message_id": ids[2], "emoji": "🔥"})
    announced = await database_sync_to_async(announcement_post)(
        title=title, body="gg", body_translations={"ja": "ナイス"}
    )
    reader = await open_socket(bob.user)

    channels = [{"channel_id": channel_id, "last_seq": 0}
                for channel_id in (lobby.id, announced.channel_id)]  # fmt: skip
    subscribed = await reader.call({"type": "subscribe", "channels": channels})
    replayed = await reader.messages(5)
    histories = [
        await reader.call({"type": "history", "channel_id": channel_id, "after": 0})
        for channel_id in (lobby.id, announced.channel_id)
    ]

    assert [entry["replayed"] for entry in subscribed["channels"]] == [4, 1]
    assert replayed == [message for history in histories for message in history["messages"]]
    assert replayed[2]["reactions"] == [
        {"emoji": "GG", "count": 2, "player_ids": [carol.id, alice.id]},
        {"emoji": "🔥", "count": 1, "player_ids": [carol.id]},
    ]
    assert (replayed[1]["is_deleted"], replayed[1]["body"]) == (True, "")
    assert (replayed[4]["author"], replayed[4]["body_translations"]) == (None, {"ja": "ナイス"})
    for socket in (author, other, reader):
        await socket.close()
