"""Sending realtime events to sockets, after the database transaction commits.

An event is a JSON-safe dict with a ``type`` (``<app>.<past_tense>`` inside the server, sent to
clients under the frame ``type`` the protocol documents). Sockets are a lossy path: clients
recover anything missed through resume or REST, never by trusting the socket alone.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import user_group

# Every message to a user's group names the user (``user_id``): each process's hub hands it to
# that user's sockets there (apps.realtime.fanout). The consumer forwards layer messages of
# this type to the client as ``message["frame"]``.
FRAME_EVENT = "frame.send"
# Layer message types the consumer handles (methods ``realtime_event`` and ``realtime_close``).
EVENT_EVENT = "realtime.event"
CLOSE_EVENT = "realtime.close"


def layer_call(send: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``send(layer)`` from sync code: inside Daphne on the server's loop; from a Celery
    task, a thread or a script on a fresh loop. channels_redis keeps one pool per loop and
    flushes it when that loop closes, so no pool outlives its loop (channels_redis#332)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def run() -> None:
        await send(layer)

    async_to_sync(run)()


def _group_send_now(group: str, message: dict[str, Any]) -> None:
    layer_call(lambda layer: layer.group_send(group, message))


def frame_send_to_user_on_commit(*, user_id: int, frame: dict[str, Any]) -> None:
    """Push ``frame`` to every open socket of ``user_id`` once the current transaction commits
    (at once when there is none)."""
    message = {"type": FRAME_EVENT, "user_id": user_id, "frame": frame}
    transaction.on_commit(lambda: _group_send_now(user_group(user_id), message))


def event_send_to_user_on_commit(*, user_id: int, name: str, payload: dict[str, Any]) -> None:
    """Run the registered event handler ``name`` on every open socket of ``user_id``."""
    message = {"type": EVENT_EVENT, "user_id": user_id, "name": name, "payload": payload}
    transaction.on_commit(lambda: _group_send_now(user_group(user_id), message))


def sockets_close_for_user_on_commit(
    *, user_id: int, close_code: int, frame: dict[str, Any] | None = None
) -> None:
    """Close every open socket of ``user_id`` (after sending ``frame``): bans act at once."""
    message = {"type": CLOSE_EVENT, "user_id": user_id, "code": close_code, "frame": frame}
    transaction.on_commit(lambda: _group_send_now(user_group(user_id), message))
