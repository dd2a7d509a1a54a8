"""Match channels, opened and closed by game events: a whole applier batch's matches at once.

A match channel's key is ``match:<title id>:<match id>`` (unique), so opening is idempotent;
closing makes it read-only for good (an open of a closed match adds members who cannot send).
``match_channels_apply`` takes the batch's opens and closes in event-time order and folds them
in memory over the channels and members loaded up front: a fixed number of queries per batch
(load, create the missing channels, load members, add members, close), whatever the number of
matches. Frames (``channel_joined``, ``channel_left``) are sent after commit, in that order.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.chat import events
from apps.chat.models import Channel, ChannelKind, Membership
from apps.chat.reactions import reaction_emoji_for_titles
from apps.chat.selectors import channels_writable
from apps.players.models import Player
from apps.titles.models import Title

CLOSED_REASON = "match_closed"


@dataclass(frozen=True)
class MatchChannelChange:
    """Open (``players``: the members to add) or close (``players`` None) one match's channel."""

    title: Title
    match_id: str
    players: list[Player] | None = None


def _key(change: MatchChannelChange) -> str:
    return f"match:{change.title.id}:{change.match_id}"


def _channels(changes: list[MatchChannelChange]) -> dict[str, Channel]:
    """Every channel the changes name (locked), creating those an open needs; no query per
    match. Ignoring conflicts keeps creation idempotent under a concurrent open."""
    titles = {_key(change): change.title for change in changes}
    found = {
        channel.key: channel
        for channel in Channel.objects.select_for_update(of=("self",))
        .filter(key__in=titles)
        .order_by("id")
    }
    missing = {_key(c): c for c in changes if c.players is not None and _key(c) not in found}
    if missing:
        Channel.objects.bulk_create(
            [
                Channel(key=key, kind=ChannelKind.MATCH, title=change.title,
                        name=f"{change.title.name} · match {change.match_id}"[:120])
                for key, change in missing.items()
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        found |= {c.key: c for c in Channel.objects.filter(key__in=missing)}
    for key, channel in found.items():
        channel.title = titles[key]  # no query per frame for the title
    return found


def _members(channels: list[Channel]) -> dict[int, dict[int, int | None]]:
    """channel id -> {player id: user id} of the channels' current members, in one query."""
    members: dict[int, dict[int, int | None]] = {channel.id: {} for channel in channels}
    rows = Membership.objects.filter(channel__in=channels).values_list(
        "channel_id", "player_id", "player__user_id"
    )
    for channel_id, player_id, user_id in rows:
        members[channel_id][player_id] = user_id
    return members


@dataclass
class _Fold:
    """The effect of the changes so far: memberships to add, channels to close."""

    members: dict[int, dict[int, int | None]]
    reactions: dict[int | None, list[str]]
    added: list[Membership]
    closed: set[int]

    def open(self, channel: Channel, players: list[Player]) -> None:
        members, joined = self.members[channel.id], []
        for player in sorted({p.id: p for p in players}.values(), key=lambda p: p.id):
            if player.id in members:
                continue
            members[player.id] = player.user_id
            self.added.append(Membership(channel=channel, player=player, last_read_seq=0))
            if player.user_id is not None:
                writable = channel.id in channels_writable(player=player, channels=[channel])
                joined.append((player.user_id, writable))
        events.channel_joined_on_commit(
            joined=joined, channel=channel, reactions=self.reactions[channel.title_id]
        )

    def close(self, channel: Channel) -> None:
        if channel.is_closed:
            return  # closed already (game events may repeat): nothing changes, no frame
        channel.closed_at = timezone.now()
        self.closed.add(channel.id)
        for user_id in self.members[channel.id].values():
            if user_id is not None:
                events.channel_left_on_commit(
                    user_id=user_id, channel=channel, reason=CLOSED_REASON
                )


def match_channels_apply(*, changes: list[MatchChannelChange]) -> dict[str, Channel]:
    """Apply the opens and closes in order (event-time order); returns the channels by key.

    Idempotent: an open adds only missing members (existing ones get no frame), a close of an
    unknown or closed match does nothing. Locks the named channel rows (``FOR UPDATE``)."""
    if not changes:
        return {}
    with transaction.atomic():
        channels = _channels(changes)
        fold = _Fold(
            members=_members(list(channels.values())),
            reactions=reaction_emoji_for_titles({c.title.id for c in changes}),
            added=[],
            closed=set(),
        )
        for change in changes:
            channel = channels.get(_key(change))
            if channel is None:
                continue  # a close of a match never opened
            if change.players is None:
                fold.close(channel)
            else:
                fold.open(channel, change.players)
        # Conflicts: made meanwhile by a concurrent subscribe, a member either way.
        Membership.objects.bulk_create(fold.added, ignore_conflicts=True)
        if fold.closed:
            now = timezone.now()
            Channel.objects.filter(id__in=fold.closed, closed_at__isnull=True).update(
                closed_at=now, updated_at=now
            )
    return channels
