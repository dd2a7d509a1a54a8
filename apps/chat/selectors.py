"""Reads, always scoped to the asking player: a channel they may not read is ``NotFound``
(``unknown_channel`` on the websocket), never a hint that it exists."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, Prefetch, QuerySet

from apps.chat.exceptions import UnknownChannel
from apps.chat.kinds import kind_registry
from apps.chat.models import Channel, Membership, Message, Reaction
from apps.chat.reach import EVERY_CHANNEL, ChatReach
from apps.players.models import Player


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


def message_get_for_player(
    *, message_id: object, player: Player, reach: ChatReach = EVERY_CHANNEL
) -> Message:
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise UnknownChannel(code="unknown_message", message="No such message.")
    message = Message.objects.select_related("channel", "author").filter(id=message_id).first()
    if message is None or not _readable(message.channel, player, reach):
        raise UnknownChannel(code="unknown_message", message="No such message.")
    return message


def _with_details(messages: QuerySet[Message]) -> QuerySet[Message]:
    return messages.select_related("author").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("id"))
    )


def messages_after(*, channel: Channel, after_seq: int, limit: int) -> list[Message]:
    """Messages with ``seq > after_seq`` in sequence order, at most ``limit``."""
    messages = channel.messages.filter(seq__gt=after_seq).order_by("seq")[:limit]
    return list(_with_details(messages))


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


def channel_head_seq(*, channel_id: int) -> int:
    return Channel.objects.filter(id=channel_id).values_list("last_seq", flat=True).first() or 0


def channel_member_player_ids(*, channel_id: int) -> list[int]:
    return list(
        Membership.objects.filter(channel_id=channel_id).values_list("player_id", flat=True)
    )
