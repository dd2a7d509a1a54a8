"""A user's events (notifications, membership changes, sanctions) reach each of their sockets
through the process's hub: one membership of the user's group per process, not one channel,
receive task and group entry per socket (docs/websocket-protocol.md, "Fan-out")."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from apps.realtime.broadcast import frame_send_to_user_on_commit, sockets_close_for_user_on_commit
from apps.realtime.groups import user_group
from tests.chat.support import open_socket, settle

pytestmark = pytest.mark.django_db(transaction=True)


async def _members_of_group(user_id: int) -> int:
    """How many channels Redis holds in ``user_id``'s group."""
    layer = get_channel_layer()
    group = user_group(user_id)
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


def _notify(user_id: int, text: str) -> None:
    frame_send_to_user_on_commit(user_id=user_id, frame={"type": "notification", "text": text})


@pytest.mark.redis  # counts the entries of the Redis channel layer's group
async def test_each_socket_of_a_user_gets_their_events_and_the_group_holds_the_process_once(
    alice, bob
):
    first, second = await open_socket(alice.user), await open_socket(alice.user)
    other = await open_socket(bob.user)

    await database_sync_to_async(_notify)(alice.user.id, "guild invite")
    received = [await socket.next_of("notification") for socket in (first, second)]
    members_while_open = await _members_of_group(alice.user.id)

    assert [frame["text"] for frame in received] == ["guild invite", "guild invite"]
    assert members_while_open == 1  # this process, for both sockets
    await settle()
    assert await other.nothing_more()
    await first.close()
    await database_sync_to_async(_notify)(alice.user.id, "friend request")
    assert (await second.next_of("notification"))["text"] == "friend request"
    await second.close()
    await other.close()
    await settle()
    assert await _members_of_group(alice.user.id) == 0


async def test_closing_a_users_sockets_reaches_every_one_of_them(alice):
    sockets = [await open_socket(alice.user) for _ in range(2)]

    await database_sync_to_async(sockets_close_for_user_on_commit)(
        user_id=alice.user.id, close_code=4008, frame={"type": "sanction", "kind": "ban"}
    )

    assert [(await socket.next_of("sanction"))["kind"] for socket in sockets] == ["ban", "ban"]
    assert [(await socket.closed())["code"] for socket in sockets] == [4008, 4008]
    # As a real client answers a close frame: the consumers run their disconnect (leaving
    # the user's group) to the end. Left to the loop's close, a cleanup cancelled half-way
    # through a Redis call now and then hung the teardown until pytest-timeout.
    for socket in sockets:
        await socket.close()
