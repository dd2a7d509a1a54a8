"""Websocket frames this app pushes (documented in docs/players.md, "Websocket frames"),
and the connection hooks that feed presence. Builders return JSON-safe dicts."""

from typing import TYPE_CHECKING, Any

from apps.realtime.hooks import connection_hooks

if TYPE_CHECKING:
    from apps.players.models import Notification, Player
    from apps.players.presence import PresenceState


def player_brief(player: "Player | None") -> dict[str, Any] | None:
    if player is None:
        return None
    return {"id": player.id, "display_name": player.display_name}


def notification_payload(notification: "Notification") -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "data": notification.data,
        "actor": player_brief(notification.actor),
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }


def notification_frame(notification: "Notification", *, unread_count: int) -> dict[str, Any]:
    return {
        "type": "notification",
        "notification": notification_payload(notification),
        "unread_count": unread_count,
    }


def notification_read_frame(*, unread_count: int) -> dict[str, Any]:
    """Sent to the reader's other sockets so every open badge agrees."""
    return {"type": "notification", "notification": None, "unread_count": unread_count}


def presence_frame(player: "Player", state: "PresenceState") -> dict[str, Any]:
    """One frame for friends of every language: ``title_name`` in the default language and,
    when the title has them, its other names (``title_name_translations``) for the client to
    pick by its own language."""
    frame = {"type": "presence", "player": player_brief(player), **state.as_dict()}
    if state.title_name_translations:
        frame["title_name_translations"] = dict(state.title_name_translations)
    return frame


def register_connection_hooks() -> None:
    from apps.players import presence

    for hooks, hook in (
        (connection_hooks.on_connect, presence.on_connection_open),
        (connection_hooks.on_heartbeat, presence.on_connection_heartbeat),
        (connection_hooks.on_disconnect, presence.on_connection_close),
    ):
        if hook not in hooks:
            hooks.append(hook)
