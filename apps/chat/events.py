"""Chat's realtime frames: one builder per frame type (JSON-safe), published after commit.

Channel-wide frames go through the node-local fan-out (``apps.realtime.fanout``) on topic
``chat.<channel id>``; ``message`` frames carry the channel sequence, so the hub keeps them in
order and fills holes from the database. Per-player frames (``channel_joined``, ``read``,
``sanction``) go to the player's own sockets; those about one channel travel as events with
the channel's ``reach_scope``, so a socket whose credential does not reach it (a chat token
of another title) drops them.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from django.db import transaction

from apps.chat.models import Channel, Message
from apps.chat.naming import channel_display_name, channel_display_names
from apps.chat.reactions import reaction_emoji_for_channel
from apps.realtime.broadcast import event_send_to_user_on_commit, frame_send_to_user_on_commit
from apps.realtime.publish import encode_frame, topic_publish_from_sync

TOPIC_PREFIX = "chat"


def channel_topic(channel_id: int) -> str:
    return f"{TOPIC_PREFIX}.{channel_id}"


def _time(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class _AuthorFields(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def display_name(self) -> str: ...


class MessageFields(Protocol):
    """What a message frame shows of a message: a ``Message``, or the row a resume read
    (``apps.chat.selectors.ReplayedMessage``)."""

    @property
    def id(self) -> int: ...
    @property
    def channel_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def author(self) -> _AuthorFields | None: ...
    @property
    def body(self) -> str: ...
    @property
    def body_translations(self) -> dict[str, str]: ...
    @property
    def client_msg_id(self) -> str | None: ...
    @property
    def mentioned_player_ids(self) -> list[int]: ...
    @property
    def attachments(self) -> list[Any]: ...
    @property
    def change_seq(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def edited_at(self) -> datetime | None: ...
    @property
    def is_deleted(self) -> bool: ...


def reactions_summary(message: Message) -> list[dict[str, Any]]:
    """``[{"emoji", "count", "player_ids"}]`` in first-reacted order (reactions prefetched)."""
    return reactions_grouped((r.emoji, r.player_id) for r in message.reactions.all())


def reactions_grouped(reactions: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """``(emoji, player id)`` pairs in reaction order as the frames show them."""
    by_emoji: dict[str, list[int]] = {}
    for emoji, player_id in reactions:
        by_emoji.setdefault(emoji, []).append(player_id)
    return [
        {"emoji": emoji, "count": len(player_ids), "player_ids": player_ids}
        for emoji, player_ids in by_emoji.items()
    ]


def message_data(message: Message, *, is_new: bool = False) -> dict[str, Any]:
    """The message as every interface shows it. A deleted message keeps its place in the
    sequence but not its text (kept in the database as evidence for moderators). An
    announcement with texts per language carries them as ``body_translations`` (only then):
    the frame is encoded once for every reader, and each client picks its language's text."""
    reactions = [] if message.is_deleted or is_new else reactions_summary(message)
    return message_fields_data(message, reactions=reactions)


def message_fields_data(
    message: MessageFields, *, reactions: list[dict[str, Any]]
) -> dict[str, Any]:
    """``message_data`` of a message or a row, with its reactions already summarised."""
    author = message.author
    data: dict[str, Any] = {
        "id": message.id,
        "channel_id": message.channel_id,
        "seq": message.seq,
        "author": (
            None if author is None else {"id": author.id, "display_name": author.display_name}
        ),
        "body": "" if message.is_deleted else message.body,
        "client_msg_id": message.client_msg_id,
        "mentions": message.mentioned_player_ids,
        "attachments": [] if message.is_deleted else message.attachments,
        "change_seq": message.change_seq,
        "reactions": reactions,
        "created_at": _time(message.created_at),
        "edited_at": _time(message.edited_at),
        "is_deleted": message.is_deleted,
    }
    if message.body_translations and not message.is_deleted:
        data["body_translations"] = message.body_translations
    return data


def message_frame(message: Message, *, is_new: bool = False) -> dict[str, Any]:
    data = message_data(message, is_new=is_new)
    return {"type": "message", "channel_id": message.channel_id, "message": data}


def message_replay_frame(
    message: MessageFields, reactions: Iterable[tuple[str, int]]
) -> dict[str, Any]:
    """``message_frame`` of a row a resume read, with its ``(emoji, player id)`` reactions."""
    grouped = [] if message.is_deleted else reactions_grouped(reactions)
    data = message_fields_data(message, reactions=grouped)
    return {"type": "message", "channel_id": message.channel_id, "message": data}


def message_updated_frame(message: Message) -> dict[str, Any]:
    """An edited message (or, replayed on resume, one whose reactions changed), as it is now
    (reactions prefetched)."""
    return {"type": "message_updated", "channel_id": message.channel_id,
            "change_seq": message.change_seq, "message": message_data(message)}  # fmt: skip


def message_deleted_frame(message: Message, *, by_moderator: bool) -> dict[str, Any]:
    return {"type": "message_deleted", "channel_id": message.channel_id,
            "message_id": message.id, "seq": message.seq, "by_moderator": by_moderator,
            "change_seq": message.change_seq}  # fmt: skip


def change_frame(message: Message) -> dict[str, Any]:
    """A changed message's current state, replayed to a resuming client: ``message_deleted``
    or ``message_updated`` (edits and reaction changes alike)."""
    if message.is_deleted:
        author_user_id = message.author.user_id if message.author is not None else None
        by_moderator = message.deleted_by_id is not None and message.deleted_by_id != author_user_id
        return message_deleted_frame(message, by_moderator=by_moderator)
    return message_updated_frame(message)


def message_frame_text(message: Message) -> str:
    """A new message's frame, encoded once for every subscriber."""
    return encode_frame(message_frame(message, is_new=True))


def channel_data(
    channel: Channel, *, can_send: bool, reactions: list[str] | None = None
) -> dict[str, Any]:
    """The channel object as one player sees it (``can_send``: ``selectors.channels_writable``);
    ``reactions`` (its title's reaction set) is looked up unless the caller has it (a list of
    channels looks them up together)."""
    if reactions is None:
        reactions = reaction_emoji_for_channel(channel)
    return {
        "id": channel.id,
        "kind": channel.kind,
        "name": channel_display_name(channel),
        "title": channel.title.slug if channel.title is not None else None,
        "locale": channel.locale,
        "last_seq": channel.last_seq,
        "last_change_seq": channel.last_change_seq,
        "is_closed": channel.is_closed,
        "slow_mode_seconds": channel.slow_mode_seconds,
        "reactions": reactions,
        "can_send": can_send,
    }


def _publish_now(channel_id: int, frame: dict[str, Any], seq: int | None) -> None:
    topic_publish_from_sync(topic=channel_topic(channel_id), text=encode_frame(frame), seq=seq)


def channel_publish_on_commit(
    *, channel_id: int, frame: dict[str, Any], seq: int | None = None
) -> None:
    """Fan ``frame`` out to the channel's subscribers once the transaction commits."""
    transaction.on_commit(lambda: _publish_now(channel_id, frame, seq))


def message_published_on_commit(message: Message) -> None:
    channel_publish_on_commit(
        channel_id=message.channel_id, frame=message_frame(message, is_new=True), seq=message.seq
    )


def reach_scope(channel: Channel) -> dict[str, Any]:
    """What a socket needs to tell whether its credential reaches ``channel`` (per-player
    events carry it: a chat token's socket gets no frame about another title's channel)."""
    return {"kind": channel.kind, "title_id": channel.title_id}


def channel_joined_on_commit(
    *, joined: list[tuple[int, bool]], channel: Channel, reactions: list[str] | None = None
) -> None:
    """Tell each ``(user id, can_send)`` of ``joined`` they joined ``channel`` (as it is now;
    ``reactions``: its title's reaction set, looked up unless given)."""
    if not joined:
        return
    data = channel_data(channel, can_send=False, reactions=reactions)
    scope = reach_scope(channel)
    # Each socket names the channel in its own language (``apps.chat.realtime``).
    names = channel_display_names(channel)
    for user_id, can_send in joined:
        payload = {"channel": data | {"can_send": can_send}, "names": names, "scope": scope}
        event_send_to_user_on_commit(user_id=user_id, name="chat.channel_joined", payload=payload)


def channel_left_on_commit(*, user_id: int, channel: Channel, reason: str) -> None:
    event_send_to_user_on_commit(
        user_id=user_id,
        name="chat.channel_left",
        payload={"channel_id": channel.id, "reason": reason, "scope": reach_scope(channel)},
    )


def read_marker_on_commit(*, user_id: int, channel: Channel, seq: int) -> None:
    """Tell the player's sockets their read marker of ``channel`` moved (``read`` frame)."""
    payload = {"channel_id": channel.id, "seq": seq, "scope": reach_scope(channel)}
    event_send_to_user_on_commit(user_id=user_id, name="chat.read", payload=payload)


def sanction_on_commit(*, user_id: int, kind: str, until: str | None, reason: str) -> None:
    frame_send_to_user_on_commit(
        user_id=user_id,
        frame={"type": "sanction", "kind": kind, "until": until, "reason": reason},
    )
