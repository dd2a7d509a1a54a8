"""Chat on the one websocket: its commands, per-socket session and fan-out source, registered
with ``apps.realtime`` in ``ChatConfig.ready()``. Frames are documented in
docs/websocket-protocol.md. Handlers are thin: validate the frame, call one service or
selector off the event loop (which re-checks the player's rights), reply."""

import asyncio
import contextvars
import logging
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from apps.chat import events, selectors
from apps.chat.attachments import MAX_ATTACHMENTS
from apps.chat.exceptions import NoPlayer
from apps.chat.limits import socket_acquire, socket_release, sockets_refresh
from apps.chat.reach import EVERY_CHANNEL, ChatReach, chat_reach_of
from apps.chat.relations import player_for_user
from apps.common.exceptions import ApplicationError
from apps.players.models import Player
from apps.realtime.auth import credential_of
from apps.realtime.fanout import Subscription, TopicSource, hub
from apps.realtime.loops import PerLoop
from apps.realtime.outage import OUTAGE_ERRORS
from apps.realtime.publish import encode_frame
from apps.realtime.registry import SessionSetup, SocketRefused

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_SOCKETS = 4029
SESSION = "chat"


@dataclass(slots=True)  # one per socket: no __dict__
class ChatSession:
    player: Player
    # What the socket's credential reaches (a chat token: its title's channels and the
    # player's DMs), and whether it carries the login's staff powers (a chat token never).
    reach: ChatReach = EVERY_CHANNEL
    carries_staff_powers: bool = False
    subscriptions: dict[int, Subscription] = field(default_factory=dict)


def session_of(consumer: Any) -> ChatSession:
    session = consumer.sessions.get(SESSION)
    if session is None:
        raise NoPlayer()
    return session


# --- session lifecycle ------------------------------------------------------------------------


class SlotKeeper:
    """This event loop's sockets' slots (the per-player socket cap), all refreshed every
    third of their TTL in one Redis round trip, off the ORM thread — not by a task per
    socket (what an idle socket costs) each making its own call."""

    def __init__(self) -> None:
        self.slots: dict[str, int] = {}  # connection id → user id
        self.task: asyncio.Task | None = None

    def add(self, *, user_id: int, connection_id: str) -> None:
        self.slots[connection_id] = user_id
        if self.task is None:
            # A fresh context: the caller's carries its socket's log id.
            self.task = asyncio.get_running_loop().create_task(
                self._refresh_forever(), context=contextvars.Context()
            )

    def remove(self, connection_id: str) -> None:
        self.slots.pop(connection_id, None)

    async def _refresh_forever(self) -> None:
        ttl = settings.CHAT_SOCKET_SLOT_TTL_SECONDS
        while True:
            await asyncio.sleep(ttl / 3)
            slots = [(user_id, connection_id) for connection_id, user_id in self.slots.items()]
            if not slots:
                continue
            try:
                await database_sync_to_async(sockets_refresh, thread_sensitive=False)(
                    slots=slots, limit=settings.CHAT_SOCKETS_PER_PLAYER, ttl=ttl
                )
            except OUTAGE_ERRORS:
                continue  # Redis is down: the slots are taken again on the next round after it
            except Exception:
                logger.exception("socket slot refresh failed", extra={"sockets": len(slots)})


_keepers = PerLoop(SlotKeeper)


def slot_keeper() -> SlotKeeper:
    """This event loop's keeper (Daphne runs one loop per process; tests one per test)."""
    return _keepers.get()


def _prepare_session(consumer: Any) -> Player | None:
    """Off the loop (``SessionSetup``): the player, and their socket slot taken."""
    player = player_for_user(consumer.scope["user"])
    # A banned or suspended player never gets here: moderation's setup refused the socket.
    if player is None:
        return None  # a login without a player profile: chat commands answer ``no_player``
    acquired = socket_acquire(
        user_id=consumer.scope["user"].id, connection_id=consumer.connection_id,
        limit=settings.CHAT_SOCKETS_PER_PLAYER, ttl=settings.CHAT_SOCKET_SLOT_TTL_SECONDS,
    )  # fmt: skip
    if not acquired:
        raise SocketRefused(code="too_many_sockets", message=_("Too many open sockets."),
                            close_code=CLOSE_TOO_MANY_SOCKETS)  # fmt: skip
    return player


async def _start_session(consumer: Any, player: Player | None) -> None:
    if player is None:
        return
    credential = credential_of(consumer.scope)
    session = ChatSession(player=player, reach=chat_reach_of(credential),
                          carries_staff_powers=credential.carries_staff_powers)  # fmt: skip
    slot_keeper().add(user_id=consumer.scope["user"].id, connection_id=consumer.connection_id)
    consumer.sessions[SESSION] = session


session_setup = SessionSetup(prepare=_prepare_session, finish=_start_session)


async def on_closed(consumer: Any) -> None:
    session = consumer.sessions.pop(SESSION, None)
    if session is None:
        return
    slot_keeper().remove(consumer.connection_id)
    for subscription in session.subscriptions.values():
        await hub().unsubscribe(subscription)
    await database_sync_to_async(socket_release)(
        user_id=consumer.scope["user"].id, connection_id=consumer.connection_id
    )


def welcome_limits(consumer: Any) -> dict[str, Any]:
    session = consumer.sessions.get(SESSION)
    return {
        "player_id": session.player.id if session else None,
        "limits": {
            "max_message_length": settings.CHAT_MESSAGE_MAX_LENGTH,
            "max_frame_bytes": settings.WEBSOCKET_MAX_MESSAGE_BYTES,
            "max_subscriptions": settings.CHAT_SUBSCRIPTIONS_PER_SOCKET,
            "max_sockets": settings.CHAT_SOCKETS_PER_PLAYER,
            "rate_player": {
                "burst": settings.CHAT_RATE_PLAYER_CAPACITY,
                "per_second": settings.CHAT_RATE_PLAYER_PER_SECOND,
            },
            "rate_channel": {
                "burst": settings.CHAT_RATE_CHANNEL_CAPACITY,
                "per_second": settings.CHAT_RATE_CHANNEL_PER_SECOND,
            },
            "typing": {
                "burst": settings.CHAT_TYPING_BURST,
                "per_second": settings.CHAT_TYPING_PER_SECOND,
            },
            "resume_max_messages": settings.CHAT_RESUME_MAX_MESSAGES,
            "history_page_max": settings.CHAT_HISTORY_PAGE_MAX,
            "heartbeat_seconds": settings.CHAT_HEARTBEAT_SECONDS,
            "auth_timeout_seconds": settings.WEBSOCKET_AUTH_TIMEOUT_SECONDS,
            "reactions": settings.CHAT_REACTION_EMOJI,
            "max_attachments": MAX_ATTACHMENTS,
        },
    }


# --- fan-out source: the hub fills holes in a channel's sequence from the database -----------


def _topic_channel_id(topic: str) -> int:
    return int(topic.partition(".")[2])


def _encoded_between(channel_id: int, after_seq: int, before_seq: int) -> list[tuple[int, str]]:
    messages = selectors.messages_between(
        channel_id=channel_id, after_seq=after_seq, before_seq=before_seq
    )
    return [(message.seq, encode_frame(events.message_frame(message))) for message in messages]


async def _backfill(topic: str, after_seq: int, before_seq: int) -> list[tuple[int, str]]:
    return await database_sync_to_async(_encoded_between)(
        _topic_channel_id(topic), after_seq, before_seq
    )


async def _head(topic: str) -> int:
    return await database_sync_to_async(selectors.channel_head_seq)(
        channel_id=_topic_channel_id(topic)
    )


fanout_source = TopicSource(backfill=_backfill, head=_head)


def _out_of_reach(consumer: Any, payload: dict[str, Any]) -> bool:
    """Whether a per-player frame is about a channel this socket's credential does not reach
    (``payload["scope"]``: the channel's kind and title); such frames are not sent."""
    session = consumer.sessions.get(SESSION)
    scope = payload.get("scope")
    if session is None or scope is None:
        return False
    return not session.reach.allows_kind(kind=scope["kind"], title_id=scope["title_id"])


async def channel_joined(consumer: Any, payload: dict[str, Any]) -> None:
    """Joined a channel: named in this socket's language (the event carries every
    language's name, ``apps.chat.naming``)."""
    if not _out_of_reach(consumer, payload):
        channel = payload["channel"]
        if name := payload.get("names", {}).get(consumer.language):
            channel = channel | {"name": name}
        await consumer.send_json({"type": "channel_joined", "channel": channel})


async def channel_left(consumer: Any, payload: dict[str, Any]) -> None:
    """Removed from a channel (match over, kicked from a guild): stop its live frames."""
    session = consumer.sessions.get(SESSION)
    if session is not None:
        subscription = session.subscriptions.pop(payload["channel_id"], None)
        if subscription is not None:
            await hub().unsubscribe(subscription)
    if not _out_of_reach(consumer, payload):
        frame = {key: value for key, value in payload.items() if key != "scope"}
        await consumer.send_json({"type": "channel_left", **frame})


async def read_moved(consumer: Any, payload: dict[str, Any]) -> None:
    """The player's read marker moved (on another of their sockets, or over REST)."""
    if not _out_of_reach(consumer, payload):
        await consumer.send_json(
            {"type": "read", "channel_id": payload["channel_id"], "seq": payload["seq"]}
        )


def error_entry(channel_id: Any, error: ApplicationError) -> dict[str, Any]:
    return {"channel_id": channel_id, "code": error.code, "message": error.message}


async def reply(consumer: Any, frame: dict[str, Any], body: dict[str, Any]) -> None:
    await consumer.send_json({"id": frame.get("id"), **body})


async def call(function: Any, /, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Run a service or selector off the event loop. ``parallel`` runs it on a pool thread
    with its own database connection instead of the process's one ORM thread, so sends
    from many sockets store concurrently (the channel row lock still orders each channel)."""
    return await database_sync_to_async(function, thread_sensitive=not parallel)(**kwargs)


async def stop_subscription(session: ChatSession, channel_id: int) -> None:
    subscription = session.subscriptions.pop(channel_id, None)
    if subscription is not None:
        await hub().unsubscribe(subscription)
