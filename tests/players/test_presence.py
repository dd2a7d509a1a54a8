"""Presence from open websockets (several devices), game sessions, and the sweep."""

import contextlib
import json
import os
import signal
import time
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from websockets.sync.client import connect

from apps.accounts.services import api_token_create
from apps.players.friends import friend_request_send
from apps.players.models import GameSession, Player, Privacy
from apps.players.presence import presence_states
from apps.players.services import (
    presence_game_session_end,
    presence_game_session_start,
    presence_match_set,
)
from apps.players.tasks import presence_sweep_task
from community.asgi import application
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne


def status_of(player: Player) -> str:
    return presence_states(players=[player])[player.id].status


async def open_socket(secret: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{secret}"]
    )
    connected, _subprotocol = await communicator.connect()
    assert connected
    # The consumer handles frames in order: the pong proves its connect hooks have run (the
    # frames they broadcast, such as the player's own presence, travel through the process's
    # hub and may arrive after it).
    await communicator.send_json_to({"type": "ping", "id": "sync"})
    await next_frame_of_type(communicator, "pong")
    return communicator


async def next_frame_of_type(
    communicator: WebsocketCommunicator, frame_type: str, player_id: int | None = None
) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = await communicator.receive_json_from(timeout=10)
        if frame["type"] != frame_type:
            continue
        if player_id is None or frame["player"]["id"] == player_id:
            return frame
    raise AssertionError(f"no {frame_type} frame")


def befriend(one: Player, other: Player) -> None:
    friend_request_send(sender=one, recipient=other)
    friend_request_send(sender=other, recipient=one)


async def tokens_of(*players: Player) -> dict[int, str]:
    """A player API token's secret for each player, by player id."""
    from asgiref.sync import sync_to_async

    create = sync_to_async(api_token_create)
    return {p.id: (await create(user=p.user, name="t")).secret for p in players}


@pytest.mark.django_db(transaction=True)
async def test_two_devices_one_disconnects_still_online_both_offline():
    from asgiref.sync import sync_to_async

    player = await sync_to_async(PlayerFactory)()
    secret = (await sync_to_async(api_token_create)(user=player.user, name="t")).secret
    status = sync_to_async(status_of)

    phone = await open_socket(secret)
    laptop = await open_socket(secret)
    assert await status(player) == "online"

    await phone.disconnect()
    assert await status(player) == "online"

    await laptop.disconnect()
    assert await status(player) == "offline"


@pytest.mark.django_db(transaction=True)
async def test_friends_get_presence_frames_live_unless_the_player_is_private():
    from asgiref.sync import sync_to_async

    alice, bob, carol = [await sync_to_async(PlayerFactory)() for _ in range(3)]
    await sync_to_async(befriend)(alice, bob)
    await sync_to_async(befriend)(carol, bob)
    await sync_to_async(Player.objects.filter(id=carol.id).update)(privacy=Privacy.PRIVATE)
    tokens = await tokens_of(alice, bob, carol)
    bob_socket = await open_socket(tokens[bob.id])

    carol_socket = await open_socket(tokens[carol.id])
    alice_socket = await open_socket(tokens[alice.id])
    frame = await next_frame_of_type(bob_socket, "presence", alice.id)
    await alice_socket.disconnect()
    offline = await next_frame_of_type(bob_socket, "presence", alice.id)

    assert frame["player"] == {"id": alice.id, "display_name": alice.display_name}
    assert frame["status"] == "online"
    assert offline["player"]["id"] == alice.id
    assert offline["status"] == "offline"
    await bob_socket.send_json_to({"type": "ping", "id": "last"})
    rest = []
    while (frame := await bob_socket.receive_json_from(timeout=10))["type"] != "pong":
        rest.append(frame)
    assert [f for f in rest if f.get("player", {}).get("id") == carol.id] == []
    await carol_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_banned_players_refused_socket_never_shows_them_online():
    from asgiref.sync import sync_to_async

    from apps.moderation.sanctions import sanction_issue

    alice, bob = [await sync_to_async(PlayerFactory)() for _ in range(2)]
    await sync_to_async(befriend)(alice, bob)
    tokens = await tokens_of(alice, bob)
    await sync_to_async(sanction_issue)(player=alice, kind="ban", reason="abuse")
    bob_socket = await open_socket(tokens[bob.id])

    refused = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{tokens[alice.id]}"]
    )
    await refused.connect()
    told = [await refused.receive_json_from(timeout=10) for _ in range(2)]
    closed = await refused.receive_output(timeout=10)
    await refused.disconnect()
    await bob_socket.send_json_to({"type": "ping", "id": "last"})
    seen = []
    while (frame := await bob_socket.receive_json_from(timeout=10))["type"] != "pong":
        seen.append(frame)

    assert [frame["type"] for frame in told] == ["sanction", "error"]
    assert closed == {"type": "websocket.close", "code": 4008}
    assert [f for f in seen if f.get("player", {}).get("id") == alice.id] == []
    assert await sync_to_async(status_of)(alice) == "offline"
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_presence_frame_names_the_title_in_every_language_it_has():
    from asgiref.sync import sync_to_async

    alice, bob = [await sync_to_async(PlayerFactory)() for _ in range(2)]
    await sync_to_async(befriend)(alice, bob)
    arena = await sync_to_async(TitleFactory)(
        slug="arena-i18n",
        name="Starfall Arena",
        name_translations={"ja": "スターフォール・アリーナ"},
    )
    plain = await sync_to_async(TitleFactory)(slug="plain-i18n", name="Plain Game")
    secret = (await sync_to_async(api_token_create)(user=bob.user, name="t")).secret
    bob_socket = await open_socket(secret)

    await sync_to_async(presence_game_session_start)(player=alice, title=arena, session_id="s1")
    translated = await next_frame_of_type(bob_socket, "presence", alice.id)
    await sync_to_async(presence_game_session_end)(player=alice, title=arena, session_id="s1")
    await next_frame_of_type(bob_socket, "presence", alice.id)
    await sync_to_async(presence_game_session_start)(player=alice, title=plain, session_id="s2")
    untranslated = await next_frame_of_type(bob_socket, "presence", alice.id)
    await bob_socket.disconnect()

    assert (translated["status"], translated["title_name"]) == ("in_game", "Starfall Arena")
    assert translated["title_name_translations"] == {"ja": "スターフォール・アリーナ"}
    assert untranslated["title_name"] == "Plain Game"
    assert "title_name_translations" not in untranslated


@pytest.mark.django_db
def test_game_sessions_make_in_game_and_in_match_presence():
    player, title = PlayerFactory(), TitleFactory(slug="kaiju", name="Kaiju")

    presence_game_session_start(player=player, title=title, session_id="s1")
    in_game = presence_states(players=[player])[player.id]
    presence_match_set(player=player, title=title, match_id="m-9")
    in_match = presence_states(players=[player])[player.id]
    presence_match_set(player=player, title=title, match_id=None)
    back_in_game = status_of(player)
    presence_game_session_end(player=player, title=title, session_id="s1")

    assert in_game.as_dict() == {
        "status": "in_game", "title": "kaiju", "title_name": "Kaiju", "match_id": None
    }  # fmt: skip
    assert (in_match.status, in_match.match_id) == ("in_match", "m-9")
    assert back_in_game == "in_game"
    assert status_of(player) == "offline"


@pytest.mark.django_db
def test_sweep_ends_game_sessions_whose_server_went_silent(settings):
    settings.PLAYERS_GAME_SESSION_TTL_SECONDS = 60
    player, title = PlayerFactory(), TitleFactory()
    presence_game_session_start(player=player, title=title, session_id="s1")
    GameSession.objects.update(last_seen_at=timezone.now() - timedelta(seconds=61))

    result = presence_sweep_task.delay().get()

    assert result == {"offline_users": 0, "ended_sessions": 1}
    assert status_of(player) == "offline"


def receive_presence(socket, player_id: int, status: str) -> dict:  # type: ignore[no-untyped-def]
    """The next presence frame about ``player_id`` with ``status`` (waits with a deadline)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        frame = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        is_about_player = frame.get("type") == "presence" and frame["player"]["id"] == player_id
        if is_about_player and frame["status"] == status:
            return frame
    raise AssertionError(f"no {status} presence frame for {player_id}")


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_server_leaves_nobody_online_after_the_sweep(live_tmp, daphne_server):
    alice, bob = PlayerFactory(), PlayerFactory()
    befriend(alice, bob)
    secrets = {p.id: api_token_create(user=p.user, name="t").secret for p in (alice, bob)}

    with (
        connect(
            daphne_server.ws_url, subprotocols=["community.v1", f"bearer.{secrets[bob.id]}"]
        ) as bob_socket,
        run_daphne(live_tmp, PLAYERS_PRESENCE_TTL_SECONDS="2") as doomed,
        connect(doomed.ws_url, subprotocols=["community.v1", f"bearer.{secrets[alice.id]}"]),
    ):
        receive_presence(bob_socket, alice.id, "online")
        os.kill(doomed.process.pid, signal.SIGKILL)  # no disconnect hook can run
        doomed.process.wait(timeout=10)

        swept = {"offline_users": 0, "ended_sessions": 0}
        deadline = time.monotonic() + 15
        while swept["offline_users"] == 0 and time.monotonic() < deadline:
            time.sleep(0.5)  # the beat job runs every 30 s; here as soon as the TTL lapsed
            swept = presence_sweep_task.delay().get()
        offline = receive_presence(bob_socket, alice.id, "offline")

    assert swept == {"offline_users": 1, "ended_sessions": 0}
    assert offline["status"] == "offline"
    assert status_of(alice) == "offline"
    assert presence_sweep_task.delay().get() == {"offline_users": 0, "ended_sessions": 0}


@pytest.mark.django_db(transaction=True)
async def test_going_private_shows_the_player_offline_to_friends_at_once():
    from asgiref.sync import sync_to_async

    from apps.players.services import player_profile_update

    alice, bob = [await sync_to_async(PlayerFactory)() for _ in range(2)]
    await sync_to_async(befriend)(alice, bob)
    tokens = await tokens_of(alice, bob)
    bob_socket = await open_socket(tokens[bob.id])
    alice_socket = await open_socket(tokens[alice.id])
    online = await next_frame_of_type(bob_socket, "presence", alice.id)

    await sync_to_async(player_profile_update)(player=alice, data={"privacy": Privacy.PRIVATE})
    hidden = await next_frame_of_type(bob_socket, "presence", alice.id)
    await sync_to_async(player_profile_update)(player=alice, data={"privacy": Privacy.FRIENDS})
    shown = await next_frame_of_type(bob_socket, "presence", alice.id)

    assert [online["status"], hidden["status"], shown["status"]] == ["online", "offline", "online"]
    await alice_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_batch_of_game_events_tells_friends_each_players_final_presence_once():
    """A batch (one transaction) that opens a session and plays matches sends a friend one
    frame per player, with the state after the batch, not one per step."""
    from asgiref.sync import sync_to_async
    from django.db import transaction

    alice, bob, carol = [await sync_to_async(PlayerFactory)() for _ in range(3)]
    title = await sync_to_async(TitleFactory)(slug="kaiju", name="Kaiju")
    await sync_to_async(befriend)(alice, bob)
    await sync_to_async(befriend)(carol, bob)
    token = (await sync_to_async(api_token_create)(user=bob.user, name="t")).secret
    bob_socket = await open_socket(token)

    def batch() -> None:
        with transaction.atomic():
            presence_game_session_start(player=alice, title=title, session_id="s1")
            presence_match_set(player=alice, title=title, match_id="m-1")
            presence_match_set(player=alice, title=title, match_id=None)
            presence_match_set(player=alice, title=title, match_id="m-2")
        # Sent after the batch's frames, through the same group: marks their end.
        presence_game_session_start(player=carol, title=title, session_id="s2")

    await sync_to_async(batch)()
    frames = []
    while (frame := await next_frame_of_type(bob_socket, "presence"))["player"]["id"] != carol.id:
        if frame["player"]["id"] != bob.id:  # bob's own "online" may come after the pong
            frames.append(frame)

    assert [(f["status"], f["match_id"]) for f in frames] == [("in_match", "m-2")]
    assert {f["player"]["id"] for f in frames} == {alice.id}
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_failed_event_in_a_batch_does_not_hold_back_the_others_presence():
    """The applier's careful path gives each event a savepoint: one rolled back (its event
    failed) drops its own presence change, and the batch's other players are still told."""
    from asgiref.sync import sync_to_async
    from django.db import transaction

    alice, bob, carol, dave = [await sync_to_async(PlayerFactory)() for _ in range(4)]
    title = await sync_to_async(TitleFactory)(slug="kaiju", name="Kaiju")
    for friend in (alice, carol, dave):
        await sync_to_async(befriend)(friend, bob)
    token = (await sync_to_async(api_token_create)(user=bob.user, name="t")).secret
    bob_socket = await open_socket(token)

    def batch() -> None:
        with transaction.atomic():
            with contextlib.suppress(RuntimeError), transaction.atomic():  # the failed event
                presence_game_session_start(player=alice, title=title, session_id="s1")
                raise RuntimeError("handler failed")
            with transaction.atomic():  # the next event
                presence_game_session_start(player=carol, title=title, session_id="s2")
        presence_game_session_start(player=dave, title=title, session_id="s3")  # end marker

    await sync_to_async(batch)()
    frames = []
    while (frame := await next_frame_of_type(bob_socket, "presence"))["player"]["id"] != dave.id:
        if frame["player"]["id"] != bob.id:  # bob's own "online" may come after the pong
            frames.append(frame)

    assert [(f["player"]["id"], f["status"]) for f in frames] == [(carol.id, "in_game")]
    await bob_socket.disconnect()
