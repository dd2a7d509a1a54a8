"""Sequence numbers and idempotency under concurrent writers (real PostgreSQL row locks)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from apps.chat.actions import message_edit, reaction_add
from apps.chat.models import Channel, Message
from apps.chat.services import message_send
from tests.players.factories import PlayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


def test_concurrent_senders_get_strictly_increasing_sequences_without_gaps(lobby, settings):
    settings.CHAT_RATE_CHANNEL_CAPACITY = 1000
    authors = [PlayerFactory() for _ in range(8)]

    @_in_thread
    def send_five(author):
        return [message_send(channel=lobby, author=author, body="x").message.seq for _ in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        per_author = list(pool.map(send_five, authors))

    for seqs in per_author:
        assert seqs == sorted(seqs)
    assert sorted(seq for seqs in per_author for seq in seqs) == list(range(1, 41))
    assert Channel.objects.get(id=lobby.id).last_seq == 40
    assert Message.objects.filter(channel=lobby).count() == 40


def test_concurrent_retries_of_one_send_store_one_message(lobby, alice):
    @_in_thread
    def send(_):
        result = message_send(channel=lobby, author=alice, body="once", client_msg_id="retry-me")
        return result.message.id, result.is_duplicate

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(6)))

    assert len({message_id for message_id, _ in results}) == 1
    assert sorted(is_duplicate for _, is_duplicate in results) == [False] + [True] * 5
    assert Message.objects.count() == 1
    assert Channel.objects.get(id=lobby.id).last_seq == 1


def test_concurrent_changes_and_sends_number_changes_without_gaps_or_deadlocks(
    lobby, alice, settings
):
    """Reactions, edits and sends on one channel at once: each effective change takes one
    change number (no gaps, none shared), and the lock order (message, then channel) never
    deadlocks with the channel lock that sends take."""
    settings.CHAT_RATE_CHANNEL_CAPACITY = 1000
    settings.CHAT_RATE_PLAYER_CAPACITY = 1000
    message = message_send(channel=lobby, author=alice, body="vote").message
    voters = [PlayerFactory() for _ in range(6)]

    @_in_thread
    def react_three_times(voter):
        for emoji in ("GG", "🔥", "GG"):  # the repeated GG changes nothing
            reaction_add(message=message, player=voter, emoji=emoji)

    @_in_thread
    def edit_five_times(_):
        for number in range(5):
            message_edit(message=message, player=alice, body=f"vote {number}")

    @_in_thread
    def send_five(_):
        for _number in range(5):
            message_send(channel=lobby, author=alice, body="meanwhile")

    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(react_three_times, voter) for voter in voters]
        jobs += [pool.submit(edit_five_times, None), pool.submit(send_five, None)]
        for job in jobs:
            job.result()

    channel = Channel.objects.get(id=lobby.id)
    assert channel.last_change_seq == 6 * 2 + 5
    assert Message.objects.get(id=message.id).change_seq == channel.last_change_seq
    assert channel.last_seq == 6
