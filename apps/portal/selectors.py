"""What the home page shows: reads over the players, chat and titles apps' own selectors."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.chat.selectors import ChannelEntry, channel_list_for_player
from apps.players import selectors as players
from apps.players.models import ActivityEntry, ActivityKind, GameSession, Player, PlayerTitleStats
from apps.players.play_time import played_seconds_by_title
from apps.players.presence import OFFLINE, presence_visible_to
from apps.titles.models import Title

FEED_SIZE = 15
UNREAD_CHANNELS_SHOWN = 5


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    is_done: bool


@dataclass(frozen=True)
class PlayerHome:
    feed: list[ActivityEntry]
    online_friends: list[tuple[Player, Any]]
    stats: list[PlayerTitleStats]
    unread_channels: list[ChannelEntry]
    unread_messages: int
    checklist: list[ChecklistStep]

    @property
    def is_new(self) -> bool:
        return not all(step.is_done for step in self.checklist)


@dataclass(frozen=True)
class PublicNumbers:
    players: int
    playing_now: int
    titles: int
    matches_today: int


def home_for_player(*, player: Player) -> PlayerHome:
    friends = players.friends_of(player=player)
    presence = presence_visible_to(viewer=player, players=friends)
    online = [(friend, presence[friend.id]) for friend in friends]
    online = [(friend, state) for friend, state in online if state.status != OFFLINE]
    unread = [entry for entry in channel_list_for_player(player=player) if entry.unread_count]
    stats = list(
        PlayerTitleStats.objects.filter(player=player)
        .select_related("title")
        .order_by("-updated_at")
    )
    played = played_seconds_by_title(player=player)
    for row in stats:
        row.played_seconds = played.get(row.title_id, 0)  # type: ignore[attr-defined]
    return PlayerHome(
        feed=list(players.activity_feed(viewer=player)[:FEED_SIZE]),
        online_friends=online,
        stats=stats,
        unread_channels=unread[:UNREAD_CHANNELS_SHOWN],
        unread_messages=sum(entry.unread_count for entry in unread),
        checklist=first_run_checklist(player=player, friend_count=len(friends)),
    )


def first_run_checklist(*, player: Player, friend_count: int) -> list[ChecklistStep]:
    """The newcomer's steps, each done once the profile shows it (nothing stored)."""
    return [
        ChecklistStep("name", bool(player.display_name)),
        ChecklistStep("avatar", bool(player.avatar_small)),
        ChecklistStep("game_account", players.identities_of(player=player).exists()),
        ChecklistStep("friend", friend_count > 0),
    ]


def public_numbers() -> PublicNumbers:
    """Live numbers for visitors: counts only, nothing about any one player."""
    since = timezone.now() - timedelta(days=1)
    return PublicNumbers(
        players=Player.objects.filter(user__isnull=False, deleted_at__isnull=True).count(),
        playing_now=GameSession.objects.filter(ended_at__isnull=True)
        .values("player_id")
        .distinct()
        .count(),
        titles=Title.objects.count(),
        matches_today=ActivityEntry.objects.filter(
            kind=ActivityKind.MATCH_COMPLETED, created_at__gte=since
        ).count(),
    )
