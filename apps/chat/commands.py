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
from apps.chat.commit import store_async
from apps.chat.exceptions import UnknownChannel
from apps.chat.models import Channel
from apps.chat.reach import ChatReach
from apps.chat.reactions import reaction_emoji_for_titles
from apps.chat.realtime import (
    ChatSession,
    InvalidFrame,
    call,
    client_msg_id_field,
    error_entry,
    int_field,
    reply,
    session_of,
    stop_subscription,
)
from apps.chat.resume import missed_get
from apps.common.exceptions import ApplicationError
from apps.players.models import Player
from apps.realtime.fanout import Subscription, hub


def _subscribe_requests(frame: dict[str, Any]) -> dict[int, tuple[int | None, int | None]]:
    """channel id → (last_seq, last_change_seq) as the client gave them."""
    entries = frame.get("channels")
    if not isinstance(entries, list) or not entries:
        raise InvalidFrame("channels must be a non-empty list.", details={"field": "channels"})
    requests = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise InvalidFrame("Each channel is an object.", details={"field": "channels"})
        requests[int_field(entry, "channel_id")] = (
            int_field(entry, "last_seq", required=False),
            int_field(entry, "last_change_seq", required=False),
        )
    return requests


def _authorize(
    *, player: Player, channel_ids: list[int], reach: ChatReach
) -> tuple[list[Channel], list[dict], dict[int | None, list[str]]]:
    """The channels ``player`` may read (within ``reach``), refusals per channel, and the
    reaction set of each allowed channel's title."""
    allowed, errors = [], []
    for channel_id in channel_ids:
        try:
            channel = selectors.channel_get_for_player(
                channel_id=channel_id, player=player, reach=reach
            )
        except ApplicationError as error:
            errors.append(error_entry(channel_id, error))
            continue
        services.membership_ensure(channel=channel, player=player)
        allowed.append(channel)
    return allowed, errors, reaction_emoji_for_titles(channel.title_id for channel in allowed)


async def _start(  # type: ignore[no-untyped-def]
    consumer: Any,
    session: ChatSession,
    channel: Channel,
    last_seq: int | None,
    last_change_seq: int | None,
):
    """Subscribe in replay mode first, then read what was missed (``apps.chat.resume``): a
    message committed in between is both buffered and replayed, and sent once."""
    await stop_subscription(session, channel.id)
    subscription = Subscription(topic=events.channel_topic(channel.id), write=consumer.send_text)
    session.subscriptions[channel.id] = subscription
    await hub().subscribe(subscription)
    missed = await call(missed_get, channel_id=channel.id, last_seq=last_seq,
                        last_change_seq=last_change_seq)  # fmt: skip
    for _seq, text in missed.frames:
        await consumer.send_text(text)
    for text in missed.change_frames:
        await consumer.send_text(text)
    replayed_to = missed.frames[-1][0] if missed.frames else (last_seq or 0)
    await subscription.go_live(last_seq=max(replayed_to, missed.head_seq))
    return {"channel_id": channel.id, "resume": missed.resume, "head_seq": missed.head_seq,
            "replayed": len(missed.frames), "change_resume": missed.change_resume,
            "head_change_seq": missed.head_change_seq,
            "changes_replayed": len(missed.change_frames)}  # fmt: skip


async def subscribe(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    requests = _subscribe_requests(frame)
    new_ids = set(requests) - set(session.subscriptions)
    if len(session.subscriptions) + len(new_ids) > settings.CHAT_SUBSCRIPTIONS_PER_SOCKET:
        raise ApplicationError("Too many subscriptions on this socket.",
                               code="too_many_subscriptions",
                               details={"max": settings.CHAT_SUBSCRIPTIONS_PER_SOCKET})  # fmt: skip
    allowed, errors, reactions = await call(
        _authorize, player=session.player, channel_ids=list(requests), reach=session.reach
    )
    channels = []
    for channel in allowed:
        started = await _start(consumer, session, channel, *requests[channel.id])
        channels.append(started | {"reactions": reactions[channel.title_id]})
    await reply(consumer, frame, {"type": "subscribed", "channels": channels, "errors": errors})


async def unsubscribe(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    channel_ids = frame.get("channels")
    if not isinstance(channel_ids, list) or not all(
        isinstance(channel_id, int) for channel_id in channel_ids
    ):
        raise InvalidFrame("channels must be a list of channel ids.", details={"field": "channels"})
    for channel_id in channel_ids:
        await stop_subscription(session, channel_id)
    await reply(consumer, frame, {"type": "unsubscribed", "channels": channel_ids})


def _direct_pending(*, player: Player, frame: dict[str, Any], body: object) -> Pending:
    recipient_id = int_field(frame, "to_player_id")
    recipient = Player.objects.filter(id=recipient_id, user__isnull=False).first()
    if recipient is None:
        raise UnknownChannel(code="unknown_player", message="No such player.")
    return services.direct_message_pending(
        sender=player, recipient=recipient, body=body, client_msg_id=client_msg_id_field(frame),
        attachments=frame.get("attachments"),
    )  # fmt: skip


async def send(consumer: Any, frame: dict[str, Any]) -> None:
    """Hand the message to the group committer, which admits and stores it with the others
    waiting (``apps.chat.commit``). The socket's next frame is read while this one waits for
    its commit: a socket's messages are queued, so stored, in the order they were sent."""
    session = session_of(consumer)
    if frame.get("to_player_id") is not None:  # a DM may create its channel: off the loop
        pending = await call(_direct_pending, player=session.player, frame=frame,
                             body=frame.get("body"))  # fmt: skip
    else:
        pending = services.message_pending(
            channel_id=int_field(frame, "channel_id"), author=session.player,
            body=frame.get("body"), client_msg_id=client_msg_id_field(frame),
            attachments=frame.get("attachments"), reach=session.reach,
        )  # fmt: skip
    if settings.CHAT_GROUP_COMMIT:
        consumer.finish_later(frame, _reply_when_stored(consumer, frame, store_async(pending)))
    else:
        stored = await call(services.message_store, parallel=True, pending=pending)
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


def _on_message(
    *, player: Player, user: Any, frame: dict[str, Any], action: str, reach: ChatReach
) -> None:
    """``user``: the login when the socket carries its staff powers, else None."""
    message = selectors.message_get_for_player(
        message_id=int_field(frame, "message_id"), player=player, reach=reach
    )
    if action == "edit":
        attachments = frame.get("attachments", actions.KEEP)
        actions.message_edit(
            message=message, player=player, body=frame.get("body"), attachments=attachments
        )
    elif action == "delete":
        moderator = user if user is not None and user.is_staff else None
        actions.message_delete(message=message, player=player, moderator=moderator)
    elif action == "react":
        actions.reaction_add(message=message, player=player, emoji=frame.get("emoji"))
    else:
        actions.reaction_remove(message=message, player=player, emoji=frame.get("emoji"))


def _message_command(action: str):  # type: ignore[no-untyped-def]
    async def handler(consumer: Any, frame: dict[str, Any]) -> None:
        session = session_of(consumer)
        # Staff powers never come with a chat token (a game server minted it).
        user = consumer.scope["user"] if session.carries_staff_powers else None
        await call(_on_message, player=session.player, user=user,
                   frame=frame, action=action, reach=session.reach)  # fmt: skip
        await reply(consumer, frame, {"type": "ack"})

    return handler


def _channel_action(
    *, player: Player, frame: dict[str, Any], action: str, reach: ChatReach
) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(
        channel_id=int_field(frame, "channel_id"), player=player, reach=reach
    )
    if action == "typing":
        delivered = actions.typing_notify(channel=channel, player=player)
        return {"type": "ack", "dropped": not delivered}
    seq = actions.read_marker_set(channel=channel, player=player, seq=frame.get("seq"))
    return {"type": "ack", "channel_id": channel.id, "seq": seq}


async def typing(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    body = await call(_channel_action, player=session.player, frame=frame, action="typing",
                      reach=session.reach)  # fmt: skip
    await reply(consumer, frame, body)


async def read(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    body = await call(_channel_action, player=session.player, frame=frame, action="read",
                      reach=session.reach)  # fmt: skip
    await reply(consumer, frame, body)


def _history(*, player: Player, frame: dict[str, Any], reach: ChatReach) -> dict[str, Any]:
    channel = selectors.channel_get_for_player(
        channel_id=int_field(frame, "channel_id"), player=player, reach=reach
    )
    page = selectors.messages_page(
        channel=channel,
        before_seq=int_field(frame, "before", required=False),
        after_seq=int_field(frame, "after", required=False),
        limit=int_field(frame, "limit", required=False) or 50,
    )
    return {"type": "history", "channel_id": channel.id, "head_seq": channel.last_seq,
            "messages": [events.message_data(m) for m in page.messages],
            "has_more": page.has_more}  # fmt: skip


async def history(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    body = await call(_history, player=session.player, frame=frame, reach=session.reach)
    await reply(consumer, frame, body)


COMMANDS = {
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
}
