"""Every credential reaches exactly what the docs say, on the chat and player REST surfaces
and on the websocket (docs/api.md "Authentication", docs/websocket-protocol.md "Chat tokens
and what they reach"). Tables of cases; every denial must leave the database as it was.

Credentials: anonymous; alice's player API token; the staff login ``mod``'s portal session;
chat tokens for alice minted by Starfall Arena and by Kaiju Kingdoms; Starfall Arena title
keys holding one scope each.
"""

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.chat.limits import local_state_clear
from apps.chat.moderation import word_filters_reset
from apps.chat.tokens import chat_token_issue
from apps.titles import scopes
from apps.titles.services import title_credential_create
from community.asgi import application
from tests.chat.support import TIMEOUT, ChatSocket
from tests.security.world import World, state_snapshot, world_build

TITLE_KEYS = {
    f"title_key[{scope}]": scope
    for scope in (scopes.CHAT_TOKENS, scopes.CHAT_ANNOUNCE, scopes.IDENTITIES_WRITE,
                  scopes.PLAYERS_READ, scopes.EVENTS_PUBLISH, scopes.CREDENTIALS_ROTATE)
}  # fmt: skip
REST_CREDENTIALS = [
    "anonymous",
    "player_token",
    "staff_session",
    "chat_token[starfall]",
    "chat_token[kaiju]",
    *TITLE_KEYS,
]
UNAUTHENTICATED = (401, "not_authenticated")
NOT_FOR_TITLE_KEYS = (403, "permission_denied")


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    local_state_clear()
    word_filters_reset()


# --- REST ---------------------------------------------------------------------------------

Path = Callable[[World], str]
Body = Callable[[World], dict[str, Any]] | None


def _channel(name: str, suffix: str = "messages") -> Path:
    return lambda w: f"/api/v1/chat/channels/{w.channels[name].id}/{suffix}"


# (name, method, path, body, {credential: (status, code)}). A credential not listed gets
# 401 not_authenticated (anonymous, chat tokens: REST does not accept them) or 403
# permission_denied (title keys: the endpoint is not theirs). ``code`` None: a success.
REST_CASES: list[tuple[str, str, Path, Body, dict[str, tuple[int, str | None]]]] = [
    ("chat channel list", "GET", lambda w: "/api/v1/chat/channels", None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("history of my DM", "GET", _channel("dm"), None,
     {"player_token": (200, None), "staff_session": (404, "unknown_channel")}),
    ("history of others' DM", "GET", _channel("foreign_dm"), None,
     {"player_token": (404, "unknown_channel"), "staff_session": (404, "unknown_channel")}),
    ("history of another title's match", "GET", _channel("kaiju_match"), None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("send in a lobby", "POST", _channel("starfall_lobby"), lambda w: {"body": "hi"},
     {"player_token": (201, None), "staff_session": (201, None)}),
    ("send in announcements", "POST", _channel("starfall_news"), lambda w: {"body": "hi"},
     {"player_token": (403, "forbidden"), "staff_session": (403, "forbidden")}),
    ("read marker of my DM", "POST", _channel("dm", "read"), lambda w: {"seq": 1},
     {"player_token": (200, None), "staff_session": (404, "unknown_channel")}),
    ("search a lobby", "GET", lambda w: _channel("starfall_lobby", "search")(w) + "?q=hello", None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("open a DM", "POST", lambda w: "/api/v1/chat/direct-channels",
     lambda w: {"player_id": w.carol.id},
     {"player_token": (201, None), "staff_session": (201, None)}),
    ("chat token for my title's player", "POST", lambda w: "/api/v1/chat/tokens",
     lambda w: {"player_id": w.alice.id},
     {"title_key[chat:tokens]": (201, None), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("chat token for another title's player", "POST", lambda w: "/api/v1/chat/tokens",
     lambda w: {"player_id": w.carol.id},
     {"title_key[chat:tokens]": (404, "unknown_player"), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("chat token for no player", "POST", lambda w: "/api/v1/chat/tokens",
     lambda w: {"player_id": w.carol.id + 1000},
     {"title_key[chat:tokens]": (404, "unknown_player"), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("announcement", "POST", lambda w: "/api/v1/chat/announcements",
     lambda w: {"body": "Server restart"},
     {"title_key[chat:announce]": (201, None), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("my profile", "GET", lambda w: "/api/v1/me", None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("edit my profile", "PATCH", lambda w: "/api/v1/me", lambda w: {"bio": "changed"},
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("a player's profile", "GET", lambda w: f"/api/v1/players/{w.bob.id}", None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("friend request", "POST", lambda w: "/api/v1/friends/requests/new",
     lambda w: {"player_id": w.carol.id},
     {"player_token": (201, None), "staff_session": (201, None)}),
    ("block", "POST", lambda w: "/api/v1/blocks/new", lambda w: {"player_id": w.carol.id},
     {"player_token": (204, None), "staff_session": (204, None)}),
    ("notifications", "GET", lambda w: "/api/v1/notifications", None,
     {"player_token": (200, None), "staff_session": (200, None)}),
    ("resolve an identity", "POST", lambda w: "/api/v1/identities/resolve",
     lambda w: {"provider": "steam", "external_id": "7656-new", "display_name_hint": "Nova"},
     {"title_key[identities:write]": (200, None), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("look up my title's player", "GET",
     lambda w: f"/api/v1/identities/lookup?provider=steam&external_id=7656-{w.alice.id}", None,
     {"title_key[players:read]": (200, None), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("claim code for another title's identity", "POST", lambda w: "/api/v1/identities/claim-codes",
     lambda w: {"provider": "steam", "external_id": f"7656-{w.carol.id}"},
     {"title_key[identities:write]": (404, "identity_not_known_to_title"),
      "player_token": NOT_FOR_TITLE_KEYS, "staff_session": NOT_FOR_TITLE_KEYS}),
    ("which title am I", "GET", lambda w: "/api/v1/title-client/me", None,
     {**dict.fromkeys(TITLE_KEYS, (200, None)), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
    ("rotate my key", "POST", lambda w: "/api/v1/title-client/credentials/rotate", lambda w: {},
     {"title_key[credentials:rotate]": (201, None), "player_token": NOT_FOR_TITLE_KEYS,
      "staff_session": NOT_FOR_TITLE_KEYS}),
]  # fmt: skip


def _rest_client(world: World, credential: str) -> APIClient:
    client = APIClient()
    if credential == "staff_session":
        client.force_login(world.mod.user)  # a real session cookie, as the portal has
        return client
    secret = None
    if credential == "player_token":
        secret = api_token_create(user=world.alice.user, name="game").secret
    elif credential.startswith("chat_token"):
        title = world.starfall if credential == "chat_token[starfall]" else world.kaiju
        secret = chat_token_issue(title=title, player=world.alice).token
    elif credential in TITLE_KEYS:
        scope_list = [TITLE_KEYS[credential]]
        secret = title_credential_create(title=world.starfall, name="s", scopes=scope_list).key
    if secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _expected(credential: str, allowed: dict[str, tuple[int, str | None]]) -> tuple:
    if credential in allowed:
        return allowed[credential]
    return NOT_FOR_TITLE_KEYS if credential in TITLE_KEYS else UNAUTHENTICATED


def _rest_outcome(response: Any) -> tuple[int, str | None]:
    if response.status_code < 400:
        return response.status_code, None
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.django_db
@pytest.mark.parametrize("case", REST_CASES, ids=[case[0] for case in REST_CASES])
def test_rest(case) -> None:  # type: ignore[no-untyped-def]
    """One operation with every credential; each call runs in a savepoint rolled back after
    it, so every credential meets the same world."""
    _name, method, path, body, allowed = case
    world = world_build()
    mismatches = []

    for credential in REST_CREDENTIALS:
        with transaction.atomic():
            client = _rest_client(world, credential)
            before = state_snapshot()
            call = getattr(client, method.lower())
            response = call(path(world), body(world), format="json") if body else call(path(world))
            expected, got = _expected(credential, allowed), _rest_outcome(response)
            if got != expected:
                mismatches.append((credential, expected, got))
            elif got[0] >= 400 and state_snapshot() != before:
                mismatches.append((credential, "nothing changed", "state changed"))
            transaction.set_rollback(True)

    assert mismatches == []


# --- websocket ----------------------------------------------------------------------------

ALL_OF_ALICES = {"starfall_lobby", "starfall_match", "starfall_news", "kaiju_lobby",
                 "kaiju_match", "dm"}  # fmt: skip
# What each credential of alice's reaches; ``foreign_dm`` (bob and carol's) never.
REACHES = {
    "player_token": ALL_OF_ALICES,
    "chat_token[starfall]": {"starfall_lobby", "starfall_match", "starfall_news", "dm"},
    "chat_token[kaiju]": {"kaiju_lobby", "kaiju_match", "dm"},
}
CHANNELS = [*sorted(ALL_OF_ALICES), "foreign_dm"]
# Frame → (builder, the refusal for a channel out of reach).
FRAMES: dict[str, tuple[Callable[[World, str], dict[str, Any]], str]] = {
    "subscribe": (lambda w, c: {"type": "subscribe",
                                "channels": [{"channel_id": w.channels[c].id}]},
                  "unknown_channel"),
    "history": (lambda w, c: {"type": "history", "channel_id": w.channels[c].id},
                "unknown_channel"),
    "send": (lambda w, c: {"type": "send", "channel_id": w.channels[c].id, "body": "matrix"},
             "unknown_channel"),
    "typing": (lambda w, c: {"type": "typing", "channel_id": w.channels[c].id}, "unknown_channel"),
    "read": (lambda w, c: {"type": "read", "channel_id": w.channels[c].id, "seq": 1},
             "unknown_channel"),
    "react": (lambda w, c: {"type": "react", "message_id": w.bobs[c].id, "emoji": "👍"},
              "unknown_message"),
    "unreact": (lambda w, c: {"type": "unreact", "message_id": w.bobs[c].id, "emoji": "👍"},
                "unknown_message"),
    "edit": (lambda w, c: {"type": "edit", "message_id": w.alices[c].id, "body": "edited"},
             "unknown_message"),
    "delete": (lambda w, c: {"type": "delete", "message_id": w.bobs[c].id}, "unknown_message"),
}  # fmt: skip
# Refusals inside reach, whatever the credential: the kind's and the message's own rules.
WITHIN_REACH = {
    ("send", "starfall_news"): "forbidden",  # announcements: game servers post, not players
    ("typing", "starfall_news"): "forbidden",
    ("react", "starfall_news"): "forbidden",
    ("delete", "*"): "forbidden",  # bob's message: alice is not its author, nor staff
}


def _websocket_cases() -> list[tuple[str, str, str]]:
    """(frame, channel, expected) for every frame on every channel (no own message to edit in
    announcements or in others' DM)."""
    cases = []
    for frame in FRAMES:
        for channel in CHANNELS:
            if frame == "edit" and channel in ("starfall_news", "foreign_dm"):
                continue
            cases.append((frame, channel))
    return cases  # type: ignore[return-value]


def _outcome(reply: dict[str, Any]) -> str:
    if reply["type"] == "error":
        return str(reply["code"])
    if reply["type"] == "subscribed" and reply["errors"]:
        return str(reply["errors"][0]["code"])
    return "ok"


async def _socket_with_token(token: str) -> ChatSocket:
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    socket = ChatSocket(communicator)
    socket.welcome = await socket.call({"type": "hello", "version": 1})
    return socket


async def _socket_with_session(user: Any) -> ChatSocket:
    """The portal's way: the session cookie, with this site's Origin."""
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"origin", b"http://localhost"), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    socket = ChatSocket(communicator)
    socket.welcome = await socket.call({"type": "hello", "version": 1})
    return socket


def _alice_token(world: World, credential: str) -> str:
    if credential == "player_token":
        return api_token_create(user=world.alice.user, name="game").secret
    title = world.starfall if credential == "chat_token[starfall]" else world.kaiju
    return chat_token_issue(title=title, player=world.alice).token


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("credential", sorted(REACHES))
async def test_websocket_frames_reach_what_the_credential_reaches(credential) -> None:  # type: ignore[no-untyped-def]
    world = await database_sync_to_async(world_build)()
    socket = await _socket_with_token(await database_sync_to_async(_alice_token)(world, credential))
    mismatches = []

    for frame, channel in _websocket_cases():
        builder, refusal = FRAMES[frame]
        if channel in REACHES[credential]:
            expected = WITHIN_REACH.get((frame, channel)) or WITHIN_REACH.get((frame, "*"), "ok")
        else:
            expected = refusal
        before = await database_sync_to_async(state_snapshot)()
        got = _outcome(await socket.call(builder(world, channel)))
        after = await database_sync_to_async(state_snapshot)()
        if got != expected:
            mismatches.append((frame, channel, expected, got))
        elif got != "ok" and after != before:
            mismatches.append((frame, channel, "nothing changed", "state changed"))

    assert socket.welcome["player_id"] == world.alice.id
    assert mismatches == []
    await socket.close()


async def _frames_until_quiet(socket: ChatSocket) -> list[dict[str, Any]]:
    """Every chat frame that arrives until the socket is quiet for a moment."""
    frames = []
    while not await socket.communicator.receive_nothing(timeout=0.5):
        frames.append(await socket.communicator.receive_json_from(timeout=TIMEOUT))
    return [frame for frame in frames if frame["type"] not in ("presence", "notification")]


@pytest.mark.django_db(transaction=True)
async def test_a_chat_token_socket_gets_no_frames_about_another_titles_channels() -> None:
    world = await database_sync_to_async(world_build)()
    kaiju = await _socket_with_token(
        await database_sync_to_async(_alice_token)(world, "chat_token[kaiju]")
    )
    everywhere = await _socket_with_token(
        await database_sync_to_async(_alice_token)(world, "player_token")
    )

    def act() -> None:
        from apps.chat.actions import read_marker_set
        from apps.chat.channels import match_channel_close, match_channel_open
        from apps.chat.services import message_send

        match_channel_open(title=world.starfall, match_id="m9", player_ids=[world.alice.id])
        match_channel_close(title=world.starfall, match_id="m9")
        for name in ("starfall_lobby", "kaiju_lobby"):  # alice reads bob's newest message
            channel = world.channels[name]
            newest = message_send(channel=channel, author=world.bob, body="new").message
            channel.refresh_from_db()
            read_marker_set(channel=channel, player=world.alice, seq=newest.seq)

    await database_sync_to_async(act)()
    seen = {frame["type"] for frame in await _frames_until_quiet(everywhere)}
    kaiju_frames = [
        (frame["type"], frame.get("channel_id")) for frame in await _frames_until_quiet(kaiju)
    ]

    assert {"channel_joined", "channel_left", "read"} <= seen
    assert kaiju_frames == [("read", world.channels["kaiju_lobby"].id)]
    await kaiju.close()
    await everywhere.close()


# Staff powers: deleting bob's lobby message. Only the staff login's own session or API token
# carries them; a chat token minted for the same login never does.
STAFF_CASES = [
    ("staff_session", "ok"),
    ("staff_api_token", "ok"),
    ("staff_chat_token[starfall]", "forbidden"),
    ("player_token", "forbidden"),
]


async def _staff_socket(world: World, credential: str) -> ChatSocket:
    if credential == "staff_session":
        return await _socket_with_session(world.mod.user)
    if credential == "staff_api_token":
        token = await database_sync_to_async(api_token_create)(user=world.mod.user, name="tool")
        return await _socket_with_token(token.secret)
    if credential == "staff_chat_token[starfall]":
        issued = await database_sync_to_async(chat_token_issue)(
            title=world.starfall, player=world.mod
        )
        return await _socket_with_token(issued.token)
    return await _socket_with_token(await database_sync_to_async(_alice_token)(world, credential))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("credential", "expected"), STAFF_CASES)
async def test_staff_powers_come_only_with_the_staff_login_itself(credential, expected) -> None:  # type: ignore[no-untyped-def]
    world = await database_sync_to_async(world_build)()
    socket = await _staff_socket(world, credential)
    target = world.bobs["starfall_lobby"]
    before = await database_sync_to_async(state_snapshot)()

    reply = await socket.call({"type": "delete", "message_id": target.id})

    assert _outcome(reply) == expected
    await database_sync_to_async(target.refresh_from_db)()
    assert target.is_deleted is (expected == "ok")
    if expected != "ok":
        assert await database_sync_to_async(state_snapshot)() == before
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_sockets_and_title_keys_reach_nothing() -> None:
    world = await database_sync_to_async(world_build)()
    key = await database_sync_to_async(title_credential_create)(
        title=world.starfall, name="s", scopes=[scopes.CHAT_TOKENS, scopes.CHAT_ANNOUNCE]
    )
    keyed = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{key.key}"]
    )
    keyed_connected, _ = await keyed.connect(timeout=TIMEOUT)
    anonymous = WebsocketCommunicator(application, "/ws/")
    await anonymous.connect(timeout=TIMEOUT)
    socket = ChatSocket(anonymous)
    before = await database_sync_to_async(state_snapshot)()

    outcomes = {
        _outcome(await socket.call(builder(world, "starfall_lobby")))
        for frame, (builder, _refusal) in FRAMES.items()
        if frame != "edit"
    }

    assert keyed_connected is False  # a title key is refused at the handshake
    assert outcomes == {"not_authenticated"}
    assert await database_sync_to_async(state_snapshot)() == before
    await keyed.disconnect()
    await socket.close()
