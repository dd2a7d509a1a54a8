"""Effects of game events reach open websockets (through Redis and a real Daphne)."""

import json
import time

import pytest
from websockets.sync.client import connect

from apps.accounts.services import api_token_create
from tests.game_events import scenario
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import consumer_thread, publish

pytestmark = [
    pytest.mark.redis,
    pytest.mark.servicebus,
    pytest.mark.django_db(transaction=True),
]


def _frames_until(socket, matches, *, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if matches(frame):
            return frame
    raise AssertionError("the expected frame did not arrive")


def test_a_match_result_is_pushed_to_the_players_open_socket(
    servicebus_broker, title, daphne_server
):
    alice, _bob = scenario.players(title)
    secret = api_token_create(user=alice.user, name="game client").secret
    completed = cloud_event("match.completed", data={
        "match_id": "m-ws", "mode": "duel", "duration_seconds": 300,
        "players": [{"player": scenario.ALICE, "outcome": "win", "score": 7},
                    {"player": scenario.BOB, "outcome": "loss", "score": 3}]})  # fmt: skip

    with (
        connect(daphne_server.ws_url, subprotocols=["community.v1", f"bearer.{secret}"]) as socket,
        consumer_thread(servicebus_broker.connection_string),
    ):
        publish(servicebus_broker.connection_string, [completed])
        frame = _frames_until(
            socket,
            lambda f: (
                f.get("type") == "notification"
                and (f.get("notification") or {}).get("kind") == "match_result"
            ),
        )

    data = frame["notification"]["data"]
    assert (data["match_id"], data["outcome"], data["score"], data["title"]) == (
        "m-ws", "win", 7, "starfall-arena",
    )  # fmt: skip
