"""Sequence numbers and idempotency under concurrent writers (real PostgreSQL row locks)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

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
