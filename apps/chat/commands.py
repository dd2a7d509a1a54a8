"""Chat's websocket commands (client → server frames), one handler per frame type.

Every handler re-checks the player's rights through the service or selector it calls, so a
socket never keeps access it lost (authorization on every frame), and passes the socket's
``reach`` (a chat token reaches one title's channels and the player's DMs, ``apps.chat.reach``).
Staff powers (a moderator's delete) come only with a session or the person's own API token.
"""

from typing import Any

from django.conf import settings

from apps.chat import actions, events, selectors, services
from apps.chat.admission import Pending
from apps.chat.channels import title_open_channels
from apps.chat.commit import store_async
from apps.chat.exceptions import SendOutcomeUnknown, UnknownPlayer
from apps.chat.frames import client_msg_id_field, int_field, list_field, one_of, text_field
from apps.chat.reach import ChatReach
from apps.chat.reactions import reaction_emoji_for_titles
from apps.chat.realtime import call, reply, session_of
from apps.chat.subscriptions import subscribe, unsubscribe
from apps.common.outage import is_database_outage
from apps.players.models import Player

HISTORY_PAGE_DEFAULT = 50


def _direct_pending(*, player: Player, recipient_id: int, message: dict[str, Any]) -> Pending:
    recipient = Player.objects.filter(id=recipient_id, user__isnull=False).first()
    if recipient is None:
        raise UnknownPlayer()
    return services.direct_message_pending(sender=player, recipient=recipient, **message)


def _message_fields(frame: dict[str, Any]) -> dict[str, Any]:
    """``send``'s message: ``body`` is a string (empty allowed with attachments)."""
    return {
        "body": text_field(frame, "body"),
        "client_msg_id": client_msg_id_field(frame),
        "attachments": list_field(frame, "attachments", required=False),
    }


async def send(consumer: Any, frame: dict[str, Any]) -> None:
    """Hand the message to the group committer, which admits and stores it with the others
    waiting (``apps.chat.commit``). The socket's next frame is read while this one waits for
    its commit: a socket's messages are queued, so stored, in the order they were sent."""
    session = session_of(consumer)
    one_of(frame, "channel_id", "to_player_id")
    if frame.get("to_player_id") is not None:  # a DM may create its channel: off the loop
        recipient_id = int_field(frame, "to_player_id")
        message = _message_fields(frame)
        pending = await call(_direct_pending, player=session.player, recipient_id=recipient_id,
                             message=message)  # fmt: skip
    else:
        channel_id = int_field(frame, "channel_id")
        pending = services.message_pending(
            channel_id=channel_id,
            author=session.player,
            reach=session.reach,
            **_message_fields(frame),
        )
    if settings.CHAT_GROUP_COMMIT:
        consumer.finish_later(frame, _reply_when_stored(consumer, frame, store_async(pending)))
    else:
        try:
            stored = await call(services.message_store, parallel=True, pending=pending)
        except Exception as error:
            if is_database_outage(error):  # the commit may or may not have happened
                raise SendOutcomeUnknown.now() from error
            raise
        await reply(consumer, frame, await call(_sent, result=stored))


async def _reply_when_stored(consumer: Any, frame: dict[str, Any], storing: Any) -> None:
    result = await storing
    # A retry's answer shows the stored message with its reactions (a query: off the loop).
    body = await call(_sent, result=result) if result.is_duplicate else _sent(result=result)
    await reply(consumer, frame, body)


def _sent(*, result: services.SendResult) -> dict[str, Any]:
    return {"type": "sent", "channel_id": result.message.channel_id,
            "message": events.message_data(result.message, is_new=not result.is_duplicate),
            "duplicate": result.is_duplicate}  # fmt: skip


def _change_fields(frame: dict[str, Any], action: str) -> dict[str, Any]:
    """The fields of ``edit``, ``delete``, ``react`` and ``unreact``, checked."""
    fields: dict[str, Any] = {"message_id": int_field(frame, "message_id")}
    if action == "edit":
        fields["body"] = text_field(frame, "body")
        attachments = list_field(frame, "attachments", required=False)
        fields["attachments"] = actions.KEEP if attachments is None else attachments
    elif action in {"react", "unreact"}:
        fields["emoji"] = text_field(frame, "emoji")
    return fields


def _on_message(
    *, player: Player, user: Any, fields: dict[str, Any], action: str, reach: ChatReach
) -> None:
    """``user``: the login when the socket carries its staff powers, else None."""
    message = selectors.message_get_for_player(
        message_id=fields["message_id"], player=player, reach=reach
    )
    if action == "edit":
        actions.message_edit(message=message, player=player, body=fields["body"],
                             attachments=fields["attachments"])  # fmt: skip
    elif action == "delete":
        moderator = user if user is not None and user.is_staff else None
        actions.message_delete(message=message, player=player, moderator=moderator)
    elif action == "react":
        actions.reaction_add(message=message, player=player, emoji=fields["emoji"])
    else:
        actions.reaction_remove(message=message, player=player, emoji=fields["emoji"])


def _message_command(action: str):  # type: ignore[no-untyped-def]
    async def handler(consumer: Any, frame: dict[str, Any]) -> None:
        session = session_of(consumer)
        fields = _change_fields(frame, action)
        # Staff powers never come with a chat token (a game server minted it).
        user = consumer.scope["user"] if session.carries_staff_powers else None
        await call(_on_message, player=session.player, user=user, fields=fields,
                   action=action, reach=session.reach)  # fmt: skip
        await reply(consumer, frame, {"type": "ack"})

    return handler


def _typing(*, player: Player, channel_id: int, reach: ChatReach) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(channel_id=channel_id, player=player, reach=reach)
    delivered = actions.typing_notify(channel=channel, player=player)
    return {"type": "ack", "dropped": not delivered}


def _read(*, player: Player, channel_id: int, seq: int, reach: ChatReach) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(channel_id=channel_id, player=player, reach=reach)
    marker = actions.read_marker_set(channel=channel, player=player, seq=seq)
    return {"type": "ack", "channel_id": channel.id, "seq": marker}


async def typing(consumer: Any, frame: dict[str, Any]) -> None:
    """With the database down the player's rights in the channel cannot be checked: the
    indicator is dropped (``dropped: true``), as an excess one is — never an error."""
    session = session_of(consumer)
    channel_id = int_field(frame, "channel_id")
    try:
        body = await call(_typing, player=session.player, channel_id=channel_id,
                          reach=session.reach)  # fmt: skip
    except Exception as error:
        if not is_database_outage(error):
            raise
        body = {"type": "ack", "dropped": True}
    await reply(consumer, frame, body)


async def read(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    channel_id, seq = int_field(frame, "channel_id"), int_field(frame, "seq")
    body = await call(_read, player=session.player, channel_id=channel_id, seq=seq,
                      reach=session.reach)  # fmt: skip
    await reply(consumer, frame, body)


def _history_fields(frame: dict[str, Any]) -> dict[str, Any]:
    one_of(frame, "before", "after")
    return {
        "channel_id": int_field(frame, "channel_id"),
        "before_seq": int_field(frame, "before", required=False),
        "after_seq": int_field(frame, "after", required=False),
        # Above ``CHAT_HISTORY_PAGE_MAX`` the page is clamped (``messages_page``).
        "limit": int_field(frame, "limit", required=False, minimum=1) or HISTORY_PAGE_DEFAULT,
    }


def _history(*, player: Player, fields: dict[str, Any], reach: ChatReach) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(
        channel_id=fields["channel_id"], player=player, reach=reach
    )
    page = selectors.messages_page(
        channel=channel,
        before_seq=fields["before_seq"],
        after_seq=fields["after_seq"],
        limit=fields["limit"],
    )
    return {"type": "history", "channel_id": channel.id, "head_seq": channel.last_seq,
            "messages": [events.message_data(m) for m in page.messages],
            "has_more": page.has_more}  # fmt: skip


async def history(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    fields = _history_fields(frame)
    body = await call(_history, player=session.player, fields=fields, reach=session.reach)
    await reply(consumer, frame, body)


def _slow_mode(
    *, player: Player, user: Any, channel_id: int, seconds: int, reach: ChatReach
) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(channel_id=channel_id, player=player, reach=reach)
    moderator = user if user is not None and user.is_staff else None
    now = actions.channel_slow_mode_set(
        channel=channel, seconds=seconds, player=player, moderator=moderator
    )
    return {"type": "ack", "channel_id": channel.id, "slow_mode_seconds": now}


async def slow_mode(consumer: Any, frame: dict[str, Any]) -> None:
    """Set a channel's slow mode: staff (a session or their own API token, never a chat
    token) or a player who moderates the channel (a guild's ``manage_chat``)."""
    session = session_of(consumer)
    channel_id, seconds = int_field(frame, "channel_id"), int_field(frame, "seconds")
    user = consumer.scope["user"] if session.carries_staff_powers else None
    body = await call(_slow_mode, player=session.player, user=user, channel_id=channel_id,
                      seconds=seconds, reach=session.reach)  # fmt: skip
    await reply(consumer, frame, body)


def _lobbies(*, player: Player, title: str | None, reach: ChatReach) -> dict[str, Any]:
    found = [channel for channel in title_open_channels(title_slug=title) if reach.allows(channel)]
    reactions = reaction_emoji_for_titles(channel.title_id for channel in found)
    writable = selectors.channels_writable(player=player, channels=found)
    return {"type": "lobbies", "channels": [
        events.channel_data(channel, can_send=channel.id in writable,
                            reactions=reactions[channel.title_id])
        for channel in found
    ]}  # fmt: skip


async def lobbies(consumer: Any, frame: dict[str, Any]) -> None:
    """The open channels (lobbies, announcements) of every active title, or of ``title``:
    how a game client finds its lobby's channel id without probing ids. On a chat token's
    socket, only the minting title's (the channels it reaches)."""
    session = session_of(consumer)
    title = text_field(frame, "title", required=False)
    body = await call(_lobbies, player=session.player, title=title, reach=session.reach)
    await reply(consumer, frame, body)


COMMANDS = {
    "lobbies": lobbies,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "send": send,
    "edit": _message_command("edit"),
    "delete": _message_command("delete"),
    "react": _message_command("react"),
    "unreact": _message_command("unreact"),
    "typing": typing,
    "read": read,
    "history": history,
    "slow_mode": slow_mode,
}
