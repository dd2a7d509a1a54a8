"""Lua scripts run straight on a single-connection client's connection
(``apps.common.redis_connections.Script``: the REST throttle and the API token check, on every
request): the answers, a server that forgot the script, a dropped connection and threads
sharing one client."""

import threading
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from apps.common.redis_connections import Script

pytestmark = pytest.mark.redis

ECHO = Script("return {KEYS[1], ARGV[1], ARGV[2]}")


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    pool = redis.ConnectionPool.from_url(settings.REDIS_URL, socket_timeout=2)
    client = redis.Redis(connection_pool=pool, single_connection_client=True)
    yield client
    client.close()
    pool.disconnect()


def test_a_script_answers_with_its_keys_and_arguments(client):
    assert ECHO(client, keys=["k"], args=["a", 2]) == [b"k", b"a", b"2"]


def test_a_server_that_forgot_the_script_is_sent_its_source(client):
    ECHO(client, keys=["k"], args=["a", "b"])
    client.script_flush()  # as a restarted server

    assert ECHO(client, keys=["k"], args=["again", "b"]) == [b"k", b"again", b"b"]
    assert client.script_exists(ECHO.sha) == [True]


def _drop_connection_of(client: redis.Redis) -> int:
    own_id = client.client_id()
    with redis.Redis.from_url(settings.REDIS_URL) as admin:
        assert admin.client_kill_filter(_id=own_id) == 1
    return own_id


def test_a_dropped_connection_fails_one_call_and_the_next_reconnects(client):
    """As every redis-py command on a connection with no retries (the cache's): the callers
    decide (the throttle lets the call by, the token check reads PostgreSQL)."""
    ECHO(client, keys=["k"], args=["a", "b"])
    dropped = _drop_connection_of(client)

    with pytest.raises(redis.ConnectionError):
        ECHO(client, keys=["k"], args=["lost", "b"])
    assert ECHO(client, keys=["k"], args=["after", "b"]) == [b"k", b"after", b"b"]
    assert client.client_id() != dropped


def test_threads_sharing_one_client_each_read_their_own_reply(client):
    """The client's lock keeps each EVALSHA and its reply together."""
    wrong: list[tuple[str, object]] = []

    def calls(name: str) -> None:
        for number in range(200):
            reply = ECHO(client, keys=["k"], args=[name, number])
            if reply != [b"k", name.encode(), str(number).encode()]:
                wrong.append((name, reply))

    threads = [threading.Thread(target=calls, args=(f"thread-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert wrong == []


def test_only_a_single_connection_client_is_accepted():
    pool = redis.ConnectionPool.from_url(settings.REDIS_URL)
    with pytest.raises(TypeError):
        ECHO(redis.Redis(connection_pool=pool), keys=["k"], args=["a", "b"])
    pool.disconnect()
