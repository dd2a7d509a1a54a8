"""Channel creation and membership. Every creator is idempotent on the channel's ``key``
(a unique column): concurrent callers get the same channel, never two."""

from collections import defaultdict

from django.db import IntegrityError, transaction

from apps.chat import events
from apps.chat.exceptions import Blocked, SelfDirectMessage, UnknownTitle
from apps.chat.match_channels import MatchChannelChange, match_channels_apply
from apps.chat.models import Channel, ChannelKind, Membership
from apps.chat.relations import may_direct_message
from apps.chat.selectors import channels_writable
from apps.moderation.enforcement import Action, sanction_check
from apps.players.models import Player
from apps.titles.models import Title


def _get_or_create(*, key: str, defaults: dict) -> tuple[Channel, bool]:
    channel = Channel.objects.select_related("title").filter(key=key).first()
    if channel is not None:
        return channel, False
    try:
        with transaction.atomic():
            return Channel.objects.create(key=key, **defaults), True
    except IntegrityError:
        return Channel.objects.select_related("title").get(key=key), False


def lobby_channel_get_or_create(*, title: Title, locale: str | None = None) -> Channel:
    """The title's lobby, one per locale when ``locale`` is given (open to every player)."""
    locale = locale or ""
    name = f"{title.name} ({locale})" if locale else title.name
    channel, _created = _get_or_create(
        key=f"lobby:{title.id}:{locale}",
        defaults={"kind": ChannelKind.LOBBY, "title": title, "locale": locale, "name": name},
    )
    return channel


def title_open_channels(*, title_slug: str | None = None) -> list[Channel]:
    """The open channels — lobbies and announcement channels, which every player reads — of
    the active titles, or of the one with ``title_slug`` (``unknown_title`` if none is active
    under it): how a client finds its title's lobby. A title's lobby (default locale) is made
    if it has none yet; other locales' lobbies and announcement channels are listed once they
    exist. Ordered by title, then lobbies before announcements, then locale."""
    titles = list(Title.objects.filter(is_active=True).order_by("name", "id"))
    if title_slug is not None:
        titles = [title for title in titles if title.slug == title_slug]
        if not titles:
            raise UnknownTitle()
    kinds = [ChannelKind.LOBBY, ChannelKind.ANNOUNCEMENT]
    by_title: dict[int | None, list[Channel]] = defaultdict(list)
    for channel in Channel.objects.filter(title__in=titles, kind__in=kinds):
        by_title[channel.title_id].append(channel)
    found = []
    for title in titles:
        channels = by_title[title.id]
        if not any(c.kind == ChannelKind.LOBBY and not c.locale for c in channels):
            channels.append(lobby_channel_get_or_create(title=title))
        for channel in channels:
            channel.title = title  # no query per channel for its slug
        found += sorted(channels, key=lambda c: (c.kind != ChannelKind.LOBBY, c.locale, c.id))
    return found


def announcement_channel_get_or_create(*, title: Title, locale: str | None = None) -> Channel:
    locale = locale or ""
    channel, _created = _get_or_create(
        key=f"announcement:{title.id}:{locale}",
        defaults={
            "kind": ChannelKind.ANNOUNCEMENT,
            "title": title,
            "locale": locale,
            "name": f"{title.name} · announcements",
        },
    )
    return channel


def membership_ensure(*, channel: Channel, player: Player) -> tuple[Membership, bool]:
    """Make ``player`` a member (read marker at the channel's current head when new)."""
    membership = Membership.objects.filter(channel=channel, player=player).first()
    if membership is not None:
        return membership, False
    try:
        with transaction.atomic():
            membership = Membership.objects.create(channel=channel, player=player, last_read_seq=0)
            return membership, True
    except IntegrityError:
        return Membership.objects.get(channel=channel, player=player), False


def _members_add(channel: Channel, players: list[Player]) -> None:
    """Make ``players`` members (one query for who is one already, one insert for the rest);
    the new members' sockets get ``channel_joined``."""
    existing = set(
        Membership.objects.filter(channel=channel, player__in=players).values_list(
            "player_id", flat=True
        )
    )
    added = [player for player in players if player.id not in existing]
    Membership.objects.bulk_create(
        [Membership(channel=channel, player=player, last_read_seq=0) for player in added],
        ignore_conflicts=True,  # made meanwhile by a concurrent subscribe: a member either way
    )
    joined = [
        (player.user_id, channel.id in channels_writable(player=player, channels=[channel]))
        for player in added
        if player.user_id is not None
    ]
    events.channel_joined_on_commit(joined=joined, channel=channel)


def _direct_get_or_create(first: Player, second: Player) -> tuple[Channel, bool]:
    low, high = sorted([first, second], key=lambda player: player.id)
    with transaction.atomic():
        channel, created = _get_or_create(
            key=f"direct:{low.id}:{high.id}",
            defaults={
                "kind": ChannelKind.DIRECT,
                "name": f"{low.display_name} · {high.display_name}",
            },
        )
        _members_add(channel, [low, high])
    return channel, created


def direct_channel_get_or_create(*, first: Player, second: Player) -> Channel:
    """The 1:1 channel of two players; callers check ``can_direct_message`` first."""
    return _direct_get_or_create(first, second)[0]


def direct_channel_start(*, sender: Player, recipient: Player) -> tuple[Channel, bool]:
    """Open (or find) the DM channel of ``sender`` and ``recipient`` before any message, and
    whether it was created (both members then get ``channel_joined``). Refused with
    ``self_direct_message``, or ``blocked`` when blocks or the recipient's privacy forbid it
    (checked every time: an existing channel is not handed out past a new block), or by the
    sender's sanctions (``dm_restricted``, ``muted``…)."""
    if sender.id == recipient.id:
        raise SelfDirectMessage()
    sanction_check(player=sender, action=Action.DM_SEND)
    if not may_direct_message(sender, recipient):
        raise Blocked()
    return _direct_get_or_create(sender, recipient)


def match_channel_open(*, title: Title, match_id: str, player_ids: list[int]) -> Channel:
    """The match's channel (idempotent on title + match id); members are exactly the listed
    players that exist, and their open sockets get ``channel_joined``. One match of
    ``match_channels_apply``, which game events use for a whole batch."""
    players = list(Player.objects.filter(id__in=player_ids))
    change = MatchChannelChange(title=title, match_id=match_id, players=players)
    return match_channels_apply(changes=[change])[f"match:{title.id}:{match_id}"]


def match_channel_close(*, title: Title, match_id: str) -> None:
    """Make the match channel read-only; members' sockets get ``channel_left``. Closing an
    unknown or already closed match does nothing (game events may repeat)."""
    match_channels_apply(changes=[MatchChannelChange(title=title, match_id=match_id)])
