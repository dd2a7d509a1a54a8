"""Sending realtime events to sockets, after the database transaction commits.

An event is a JSON-safe dict with a ``type`` (``<app>.<past_tense>`` inside the server, sent to
clients under the frame ``type`` the protocol documents). Sockets are a lossy path: clients
recover anything missed through resume or REST, never by trusting the socket alone.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import user_group

# The consumer forwards layer messages of this type to the client as ``message["frame"]``.
FRAME_EVENT = "frame.send"


def _group_send_now(group: str, frame: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": FRAME_EVENT, "frame": frame})


def frame_send_to_user_on_commit(*, user_id: int, frame: dict[str, Any]) -> None:
    """Push ``frame`` to every open socket of ``user_id`` once the current transaction commits
    (at once when there is none)."""
    transaction.on_commit(lambda: _group_send_now(user_group(user_id), frame))
