"""Group commit (apps/chat/commit.py): messages sent at the same time are admitted and stored
together, each sender answered for their own message, on real PostgreSQL."""

import asyncio
from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.chat.attachments import (
    AttachmentKind,
    attachment_kind_register,
    attachment_kind_unregister,
)
from apps.chat.channels import lobby_channel_get_or_create, membership_ensure
from apps.chat.commit import store_async
from apps.chat.exceptions import (
    EmptyMessage,
    InvalidAttachment,
    RateLimited,
    TooLong,
    UnknownChannel,
)
from apps.chat.models import Channel, Membership, Message
from apps.chat.services import message_pending, message_send
from apps.moderation.exceptions import Muted
from apps.moderation.sanctions import sanction_issue
from tests.chat.support import open_socket
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pending(channel, author, body, client_msg_id=None):
    return message_pending(
        channel_id=channel.id, author=author, body=body, client_msg_id=client_msg_id
    )


async def _burst(pendings):
    """Hand every message over before waiting for any (many sockets sending at once)."""
    waits = [store_async(pending) for pending in pendings]
    return await asyncio.gather(*waits, return_exceptions=True)


async def test_a_burst_from_many_senders_is_stored_in_order_without_gaps(lobby, settings):
    settings.CHAT_RATE_CHANNEL_CAPACITY = settings.CHAT_RATE_PLAYER_CAPACITY = 1000
    authors = await database_sync_to_async(lambda: [PlayerFactory() for _ in range(5)])()
    pendings = [_pending(lobby, authors[number % 5], f"m{number}") for number in range(200)]

    results = await _burst(pendings)

    seqs = [result.message.seq for result in results]
    assert sorted(seqs) == list(range(1, 201))
    assert seqs == sorted(seqs)  # handed over in this order, stored in this order
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(channel=lobby).order_by("seq").values_list(
            "seq", "body", "author_id"))
    )()  # fmt: skip
    assert stored == [
        (seq, pending.body, pending.author.id) for seq, pending in zip(seqs, pendings, strict=True)
    ]
    channel = await database_sync_to_async(Channel.objects.get)(id=lobby.id)
    assert channel.last_seq == 200


async def test_a_refused_message_does_not_hold_back_the_others_in_its_batch(lobby, title):
    alice, mallory = await database_sync_to_async(lambda: [PlayerFactory(), PlayerFactory()])()
    await database_sync_to_async(sanction_issue)(player=mallory, kind="chat_mute")
    hidden = await database_sync_to_async(Channel.objects.create)(
        key="match:hidden", kind="match", title=title, name="hidden"
    )

    results = await _burst([
        _pending(lobby, alice, "first"),
        _pending(lobby, mallory, "muted"),
        _pending(hidden, alice, "not a member"),
        _pending(lobby, alice, "second"),
    ])  # fmt: skip

    assert [type(result) for result in results[1:3]] == [Muted, UnknownChannel]
    assert [(results[0].message.seq, results[3].message.seq)] == [(1, 2)]
    bodies = await database_sync_to_async(
        lambda: list(Message.objects.order_by("seq").values_list("body", flat=True))
    )()
    assert bodies == ["first", "second"]


async def test_a_flood_in_one_batch_is_limited_message_by_message(lobby, settings):
    settings.CHAT_RATE_PLAYER_CAPACITY = 3
    settings.CHAT_RATE_PLAYER_PER_SECOND = 0.1
    alice = await database_sync_to_async(PlayerFactory)()

    results = await _burst([_pending(lobby, alice, f"m{number}") for number in range(5)])

    assert [type(result).__name__ for result in results] == (["Stored"] * 3 + ["RateLimited"] * 2)
    assert all(result.details["retry_after"] >= 1 for result in results[3:])
    assert isinstance(results[4], RateLimited)


async def test_a_retry_in_the_same_batch_stores_one_message(lobby):
    alice = await database_sync_to_async(PlayerFactory)()

    first, again = await _burst([
        _pending(lobby, alice, "once", client_msg_id="c-1"),
        _pending(lobby, alice, "once", client_msg_id="c-1"),
    ])  # fmt: skip
    later = (await _burst([_pending(lobby, alice, "once", client_msg_id="c-1")]))[0]

    assert (first.is_duplicate, again.is_duplicate, later.is_duplicate) == (False, True, True)
    assert first.message.id == again.message.id == later.message.id
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_a_client_id_is_a_retry_only_from_the_same_sender_in_the_same_channel(lobby):
    """Client message ids are the client's own: another player's "c-1", or the same player's
    "c-1" in another channel, is a message of its own, in one batch or a later one."""
    alice, bob = await database_sync_to_async(lambda: (PlayerFactory(), PlayerFactory()))()
    other = await database_sync_to_async(
        lambda: lobby_channel_get_or_create(title=TitleFactory())
    )()

    first = await _burst([_pending(lobby, alice, "alice", client_msg_id="c-1")])
    rest = await _burst([
        _pending(lobby, bob, "bob", client_msg_id="c-1"),
        _pending(other, alice, "alice elsewhere", client_msg_id="c-1"),
        _pending(lobby, alice, "alice again", client_msg_id="c-1"),
    ])  # fmt: skip

    assert [outcome.is_duplicate for outcome in first + rest] == [False, False, False, True]
    assert [outcome.message.body for outcome in first + rest] == [
        "alice", "bob", "alice elsewhere", "alice",
    ]  # fmt: skip
    assert await database_sync_to_async(Message.objects.count)() == 3


def test_too_long_is_refused_before_anything_is_queued(lobby, settings):
    settings.CHAT_MESSAGE_MAX_LENGTH = 5
    with pytest.raises(TooLong):
        _pending(lobby, PlayerFactory(), "far too long")


def test_a_send_inside_a_transaction_commits_and_rolls_back_with_it(lobby):
    alice = PlayerFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(channel=lobby, author=alice, body="rolled back")
        raise RuntimeError
    kept = message_send(channel=lobby, author=alice, body="kept").message

    assert list(Message.objects.values_list("body", "seq")) == [("kept", 1)]
    assert kept.seq == 1  # the rolled-back send gave its number back


def test_the_senders_own_messages_are_read(lobby):
    alice = PlayerFactory()
    membership_ensure(channel=lobby, player=alice)

    sent = [message_send(channel=lobby, author=alice, body=f"m{n}").message for n in range(3)]

    marker = Membership.objects.get(channel=lobby, player=alice).last_read_seq
    assert marker == sent[-1].seq == 3


async def test_subscribers_see_only_committed_messages_in_order(lobby, alice, bob, settings):
    settings.CHAT_RATE_CHANNEL_CAPACITY = settings.CHAT_RATE_PLAYER_CAPACITY = 1000
    reader = await open_socket(bob.user)
    await reader.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})

    await _burst([_pending(lobby, alice, f"m{number}") for number in range(30)])
    received = await reader.messages(30)

    assert [frame["seq"] for frame in received] == list(range(1, 31))
    stored_ids = await database_sync_to_async(
        lambda: set(Message.objects.values_list("id", flat=True))
    )()
    assert {frame["id"] for frame in received} == stored_ids
    await reader.close()


def test_a_rest_send_outside_a_transaction_is_stored_once_per_client_id(lobby):
    alice = PlayerFactory()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=alice.user, name='t').secret}"
    )
    url = reverse("chat-channel-messages", kwargs={"channel_id": lobby.id})

    first = client.post(url, {"body": "hello", "client_msg_id": "r-1"}, format="json")
    again = client.post(url, {"body": "hello", "client_msg_id": "r-1"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.filter(channel=lobby).count() == 1


@pytest.fixture
def screenshots() -> Iterator[None]:
    """An attachment kind as the UGC capability will register one."""

    def resolve(item_id, *, author, channel):
        if item_id != 7:
            raise InvalidAttachment()
        return {"title": "Sunset over Starfall", "url": "/ugc/7"}

    attachment_kind_register(AttachmentKind(name="screenshot", resolve=resolve))
    yield
    attachment_kind_unregister("screenshot")


async def test_a_send_carries_its_attachments_to_every_subscriber(lobby, alice, bob, screenshots):
    author, reader = await open_socket(alice.user), await open_socket(bob.user)
    await reader.call({"type": "subscribe", "channels": [{"channel_id": lobby.id}]})
    picture = [{"kind": "screenshot", "id": 7}]

    only_picture = await author.call(
        {"type": "send", "channel_id": lobby.id, "body": "", "attachments": picture}
    )
    refused = await author.call({"type": "send", "channel_id": lobby.id, "body": "x",
                                 "attachments": [{"kind": "screenshot", "id": 8}]})  # fmt: skip
    unknown = await author.call({"type": "send", "channel_id": lobby.id, "body": "x",
                                 "attachments": [{"kind": "poll", "id": 1}]})  # fmt: skip
    received = await reader.messages(1)

    expected = [{"kind": "screenshot", "id": 7, "title": "Sunset over Starfall", "url": "/ugc/7"}]
    assert only_picture["message"]["attachments"] == expected
    assert (received[0]["body"], received[0]["attachments"]) == ("", expected)
    assert (refused["code"], refused["details"]) == ("invalid_attachment", {"index": 0})
    assert (unknown["code"], unknown["details"]) == ("invalid_attachment", {"index": 0})
    stored = await database_sync_to_async(
        lambda: list(Message.objects.values_list("attachments"))
    )()
    assert stored == [(expected,)]
    assert await reader.nothing_more()
    await author.close()
    await reader.close()


def test_a_message_without_text_needs_an_attachment(lobby):
    with pytest.raises(EmptyMessage):
        message_send(channel=lobby, author=PlayerFactory(), body="  ", attachments=[])
