"""Reads, always scoped to the asking player: a channel they may not read is ``NotFound``
(``unknown_channel`` on the websocket), never a hint that it exists."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery

from apps.chat.exceptions import UnknownChannel, UnknownMessage
from apps.chat.kinds import KindRules, kind_registry, membership_known
from apps.chat.models import (
    Channel,
    ChannelKind,
    Membership,
    Message,
    MessageEdit,
    Reaction,
    TitleChatSettings,
)
from apps.chat.reach import EVERY_CHANNEL, ChatReach
from apps.chat.reactions import default_reaction_emoji
from apps.chat.relations import direct_message_recipients
from apps.common.compiled_query import CompiledQuery
from apps.players.models import Player

_LARGEST_ID = 2**63 - 1  # a bigint: past it no row can match (and SQLite cannot bind it)


def _readable(channel: Channel, player: Player, reach: ChatReach) -> bool:
    return reach.allows(channel) and kind_registry.for_channel(channel).can_read(channel, player)


def channel_get_for_player(
    *, channel_id: object, player: Player, reach: ChatReach = EVERY_CHANNEL
) -> Channel:
    """The channel if ``player`` may read it and the caller's credential reaches it
    (``apps.chat.reach``; REST callers are sessions and player tokens, which reach every
    channel); raises ``UnknownChannel`` otherwise."""
    if not isinstance(channel_id, int) or isinstance(channel_id, bool):
        raise UnknownChannel()
    channel = Channel.objects.select_related("title").filter(id=channel_id).first()
    if channel is None or not _readable(channel, player, reach):
        raise UnknownChannel()
    return channel


@dataclass(frozen=True)
class SubscribedChannel:
    channel: Channel
    is_member: bool  # whether the player was a member when the channel was read
    reaction_emoji: list[str]  # its title's reaction set


def _channel_for_subscriber_query(*, channel_id: int, player_id: int) -> QuerySet[Channel]:
    memberships = Membership.objects.filter(channel_id=OuterRef("pk"), player_id=player_id)
    title_settings = TitleChatSettings.objects.filter(title_id=OuterRef("title_id"))
    return (
        Channel.objects.select_related("title")
        .filter(id=channel_id)
        .annotate(
            subscriber_is_member=Exists(memberships),
            title_reaction_emoji=Subquery(title_settings.values("reaction_emoji")[:1]),
        )
    )


# Compiled once per thread: ``subscribe`` runs it for every channel of every reconnect, and
# the ORM's compiling cost several times what PostgreSQL spends on the row.
_channel_for_subscriber = CompiledQuery(
    _channel_for_subscriber_query,
    channel_id=Channel._meta.get_field("id"),
    player_id=Membership._meta.get_field("player"),
)


def channel_get_for_subscriber(
    *, channel_id: object, player: Player, reach: ChatReach
) -> SubscribedChannel:
    """``channel_get_for_player`` for ``subscribe``, in one query that also reads whether
    ``player`` is a member (the kind's rule then does not ask again, nor does
    ``membership_ensure`` for a member) and the reaction set of the channel's title."""
    if not isinstance(channel_id, int) or isinstance(channel_id, bool):
        raise UnknownChannel()
    if not 0 < channel_id <= _LARGEST_ID:
        raise UnknownChannel()
    channel = _channel_for_subscriber.first(channel_id=channel_id, player_id=player.id)
    if channel is None:
        raise UnknownChannel()
    is_member = bool(channel.subscriber_is_member)  # type: ignore[attr-defined]
    membership_known(channel, player_id=player.id, is_member=is_member)
    if not _readable(channel, player, reach):
        raise UnknownChannel()
    configured = channel.title_reaction_emoji  # type: ignore[attr-defined]
    return SubscribedChannel(
        channel=channel, is_member=is_member,
        reaction_emoji=list(configured or default_reaction_emoji()),
    )  # fmt: skip


def message_get_for_player(
    *, message_id: object, player: Player, reach: ChatReach = EVERY_CHANNEL
) -> Message:
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise UnknownMessage()
    message = Message.objects.select_related("channel", "author").filter(id=message_id).first()
    if message is None or not _readable(message.channel, player, reach):
        raise UnknownMessage()
    return message


def _with_details(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related("author").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("id"))
    )


@dataclass(frozen=True, slots=True)
class AuthorBrief:
    id: int
    display_name: str


@dataclass(slots=True)
class ReplayedMessage:
    """A message as a resume replays it (``events.message_replay_frame``), read as a row: a
    reconnect storm reads these for every socket, and building model instances (with their
    author and a prefetched reaction queryset each) cost more than the query."""

    id: int
    channel_id: int
    seq: int
    author: AuthorBrief | None
    body: str
    body_translations: dict[str, str]
    client_msg_id: str | None
    mentioned_player_ids: list[int]
    attachments: list[Any]
    change_seq: int
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    reactions: list[tuple[str, int]]  # (emoji, player id), in reaction order

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_REPLAYED_FIELDS = ("id", "channel_id", "seq", "body", "body_translations", "client_msg_id",
                    "mentioned_player_ids", "attachments", "change_seq", "created_at",
                    "edited_at", "deleted_at")  # fmt: skip


def _replayed(row: dict[str, Any]) -> ReplayedMessage:
    author_id = row["author_id"]
    author = None if author_id is None else AuthorBrief(author_id, row["author__display_name"])
    return ReplayedMessage(author=author, reactions=[],
                           **{name: row[name] for name in _REPLAYED_FIELDS})  # fmt: skip


def messages_after(*, channel: Channel, after_seq: int, limit: int) -> list[ReplayedMessage]:
    """Messages with ``seq > after_seq`` in sequence order, at most ``limit``, with their
    authors and reactions (what a resume replays on every reconnect: two compiled queries,
    read as rows)."""
    messages = [
        _replayed(row)
        for row in _messages_after(limit).all(channel_id=channel.id, after_seq=after_seq)
    ]
    if messages:
        by_id = {message.id: message for message in messages}
        reactions = _reactions_between.all(
            channel_id=channel.id, after_seq=after_seq, up_to_seq=messages[-1].seq
        )
        for reaction in reactions:
            by_id[reaction["message_id"]].reactions.append(
                (reaction["emoji"], reaction["player_id"])
            )
    return messages


_messages_after_by_limit: dict[int, CompiledQuery[Any]] = {}


def _messages_after(limit: int) -> CompiledQuery[Any]:
    """One compiled query per page size (a ``LIMIT`` is part of the SQL, not a parameter)."""
    compiled = _messages_after_by_limit.get(limit)
    if compiled is None:

        def build(*, channel_id: int, after_seq: int) -> QuerySet[Message, dict[str, Any]]:
            messages = Message.objects.filter(channel_id=channel_id, seq__gt=after_seq)
            fields = (*_REPLAYED_FIELDS, "author_id", "author__display_name")
            return messages.order_by("seq").values(*fields)[:limit]

        compiled = _messages_after_by_limit.setdefault(
            limit,
            CompiledQuery(
                build,
                channel_id=Message._meta.get_field("channel"),
                after_seq=Message._meta.get_field("seq"),
            ),
        )
    return compiled


def _reactions_between_query(*, channel_id: int, after_seq: int, up_to_seq: int) -> QuerySet:
    return (
        Reaction.objects.filter(
            message__channel_id=channel_id, message__seq__gt=after_seq, message__seq__lte=up_to_seq
        )
        .order_by("id")
        .values("message_id", "emoji", "player_id")
    )


_reactions_between: CompiledQuery[Any] = CompiledQuery(
    _reactions_between_query,
    channel_id=Message._meta.get_field("channel"),
    after_seq=Message._meta.get_field("seq"),
    up_to_seq=Message._meta.get_field("seq"),
)


def messages_between(*, channel_id: int, after_seq: int, before_seq: int) -> list[Message]:
    messages = Message.objects.filter(
        channel_id=channel_id, seq__gt=after_seq, seq__lt=before_seq
    ).order_by("seq")
    return list(_with_details(messages))


def messages_changed_since(
    *, channel: Channel, after_change_seq: int, up_to_seq: int, limit: int
) -> list[Message]:
    """Messages with ``seq <= up_to_seq`` changed after ``after_change_seq``, in change
    order, at most ``limit``: each appears once, as it is now."""
    messages = channel.messages.filter(
        change_seq__gt=after_change_seq, seq__lte=up_to_seq
    ).order_by("change_seq")[:limit]
    return list(_with_details(messages))


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]  # ascending seq
    has_more: bool


def messages_page(
    *, channel: Channel, before_seq: int | None = None, after_seq: int | None = None, limit: int
) -> MessagePage:
    """A page of history: the newest ``limit`` before ``before_seq`` (scrolling back), or the
    oldest ``limit`` after ``after_seq`` (catching up). ``has_more`` says if the next page in
    the same direction has anything."""
    limit = max(1, min(limit, settings.CHAT_HISTORY_PAGE_MAX))
    messages = channel.messages.all()
    if after_seq is not None:
        rows = list(_with_details(messages.filter(seq__gt=after_seq).order_by("seq")[: limit + 1]))
        return MessagePage(messages=rows[:limit], has_more=len(rows) > limit)
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    rows = list(_with_details(messages.order_by("-seq")[: limit + 1]))
    return MessagePage(messages=rows[:limit][::-1], has_more=len(rows) > limit)


def messages_search(*, channel: Channel, query: str, limit: int) -> list[Message]:
    """Full-text search on PostgreSQL (the ``simple`` configuration: no stemming, so it works
    for every language's words); substring match on SQLite. Deleted messages are excluded."""
    messages = channel.messages.filter(deleted_at__isnull=True)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        messages = messages.annotate(search=SearchVector("body", config="simple")).filter(
            search=SearchQuery(query, config="simple", search_type="websearch")
        )
    else:
        messages = messages.filter(body__icontains=query)
    limit = max(1, min(limit, settings.CHAT_HISTORY_PAGE_MAX))
    return list(_with_details(messages.order_by("-seq")[:limit]))


@dataclass(frozen=True)
class ChannelEntry:
    channel: Channel
    last_read_seq: int
    unread_count: int


def channel_list_for_player(*, player: Player) -> list[ChannelEntry]:
    """The player's channels (memberships) with unread counts, most recently active first.
    One query: unread is ``last_seq - last_read_seq``, no COUNT over messages."""
    memberships = (
        Membership.objects.filter(player=player)
        .select_related("channel", "channel__title")
        .annotate(unread=F("channel__last_seq") - F("last_read_seq"))
        .order_by("-channel__updated_at", "channel_id")
    )
    return [
        ChannelEntry(
            channel=membership.channel,
            last_read_seq=membership.last_read_seq,
            unread_count=max(0, membership.unread),
        )
        for membership in memberships
    ]


def channel_entry_for_player(*, channel: Channel, player: Player) -> ChannelEntry:
    """``channel`` with ``player``'s read marker (a member's; 0 read for anyone else)."""
    last_read = (
        Membership.objects.filter(channel=channel, player=player)
        .values_list("last_read_seq", flat=True)
        .first()
    ) or 0
    return ChannelEntry(
        channel=channel,
        last_read_seq=last_read,
        unread_count=max(0, channel.last_seq - last_read),
    )


def channels_writable(*, player: Player, channels: list[Channel]) -> set[int]:
    """The ids of ``channels`` (ones ``player`` reads) whose rules let ``player`` send now:
    not closed, a kind players write in, and for a direct message, one the other player
    accepts (blocks and privacy: a DM can be one-way). A mute or a rate limit is not counted
    (``send`` answers ``muted``, ``rate_limited``). No query without direct messages; three
    more with any number of them."""
    writable = {
        channel.id
        for channel in channels
        if kind_registry.for_channel(channel).is_player_writable and not channel.is_closed
    }
    direct_ids = [c.id for c in channels if c.kind == ChannelKind.DIRECT and c.id in writable]
    if not direct_ids:
        return writable
    others = dict(
        Membership.objects.filter(channel_id__in=direct_ids)
        .exclude(player_id=player.id)
        .values_list("channel_id", "player_id")
    )
    accepting = direct_message_recipients(player, set(others.values()))
    return {
        channel_id
        for channel_id in writable
        if channel_id not in direct_ids or others.get(channel_id) in accepting
    }


def channel_head_seq(*, channel_id: int) -> int:
    return Channel.objects.filter(id=channel_id).values_list("last_seq", flat=True).first() or 0


def channel_member_player_ids(*, channel_id: int) -> list[int]:
    return list(
        Membership.objects.filter(channel_id=channel_id).values_list("player_id", flat=True)
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def player_chat_export(*, player: Player) -> dict[str, Any]:
    """What chat holds about ``player`` (their data export's ``chat`` section): every message
    they wrote — lobbies, DMs, matches, guilds — with its channel, time and body as stored
    (a deleted message's text too: it is kept as evidence), the earlier bodies of edited and
    deleted messages, their reactions and their channels with read markers. Four queries."""
    earlier: dict[int, list[dict[str, Any]]] = defaultdict(list)
    edits = MessageEdit.objects.filter(message__author=player).order_by("id")
    for message_id, body, replaced_at in edits.values_list("message_id", "body", "created_at"):
        earlier[message_id].append({"body": body, "replaced_at": _iso(replaced_at)})
    messages = Message.objects.filter(author=player).order_by("created_at", "id").values(
        "id", "channel_id", "channel__kind", "channel__name", "seq", "body", "client_msg_id",
        "attachments", "created_at", "edited_at", "deleted_at",
    )  # fmt: skip
    reactions = (
        Reaction.objects.filter(player=player)
        .order_by("id")
        .values_list("message_id", "message__channel_id", "emoji", "created_at")
    )
    memberships = (
        Membership.objects.filter(player=player)
        .order_by("id")
        .values_list("channel_id", "channel__kind", "channel__name", "last_read_seq", "created_at")
    )
    return {
        "messages": [
            {"id": row["id"], "seq": row["seq"],
             "channel": {"id": row["channel_id"], "kind": row["channel__kind"],
                         "name": row["channel__name"]},
             "body": row["body"], "client_msg_id": row["client_msg_id"],
             "attachments": row["attachments"], "created_at": _iso(row["created_at"]),
             "edited_at": _iso(row["edited_at"]), "deleted_at": _iso(row["deleted_at"]),
             "earlier_bodies": earlier[row["id"]]}
            for row in messages
        ],
        "reactions": [
            {"message_id": message_id, "channel_id": channel_id, "emoji": emoji,
             "created_at": _iso(created_at)}
            for message_id, channel_id, emoji, created_at in reactions
        ],
        "channels": [
            {"id": channel_id, "kind": kind, "name": name, "last_read_seq": last_read_seq,
             "joined_at": _iso(joined_at)}
            for channel_id, kind, name, last_read_seq, joined_at in memberships
        ],
    }  # fmt: skip


def match_channels_ended_before(*, player: Player, before: datetime) -> list[int]:
    """The ids of ``player``'s match channels closed before ``before`` (the portal stops
    listing them)."""
    return list(
        Membership.objects.filter(
            player=player, channel__kind=ChannelKind.MATCH, channel__closed_at__lt=before
        )
        .order_by("channel_id")
        .values_list("channel_id", flat=True)
    )


def channel_ids_moderated_by(*, player: Player) -> list[int]:
    """The open channels ``player`` is in and moderates as a player
    (``KindRules.can_moderate``: a guild's ``manage_chat``), for the portal to offer the
    controls; asked only of the kinds whose rules can grant it. The commands check again."""
    granting = [
        kind
        for kind, rules in kind_registry.rules.items()
        if type(rules).can_moderate is not KindRules.can_moderate
    ]
    channels = Channel.objects.filter(
        memberships__player=player, kind__in=granting, closed_at__isnull=True
    ).order_by("id")
    return [
        channel.id
        for channel in channels
        if kind_registry.for_channel(channel).can_moderate(channel, player)
    ]
