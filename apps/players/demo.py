"""Demo players for the demo logins (alice…emi): names, friends, identities, stats.

Idempotent: a second run finds everything in place and changes nothing. Runs after the
accounts and titles demos (INSTALLED_APPS order)."""

from datetime import UTC, datetime

from apps.accounts.models import User
from apps.players.friends import friend_request_send
from apps.players.models import Friendship, Player, PlayerIdentity, Privacy
from apps.players.selectors import are_friends
from apps.players.services import (
    achievement_unlock,
    activity_record,
    player_create,
    player_match_record,
    player_progress_update,
)
from apps.titles.models import Title

DEMO_PROFILES = {
    "alice": ("Alice", "Support main. Ask me about Starfall routes.", "GB", Privacy.PUBLIC),
    "bob": ("Bobby", "Tiny Racers speedrunner.", "US", Privacy.PUBLIC),
    "carol": ("Carol", "Kaiju architect.", "CA", Privacy.FRIENDS),
    "daisuke": ("大輔", "東京からプレイしています。", "JP", Privacy.PUBLIC),
    "emi": ("えみ", "のんびりプレイ中", "JP", Privacy.PRIVATE),
}
FRIENDS = [("alice", "bob"), ("alice", "carol"), ("bob", "daisuke"), ("daisuke", "emi")]
PENDING = [("emi", "alice")]
IDENTITIES = {
    "alice": ("steam", "76561198000000101"),
    "bob": ("xbox", "2535400000000102"),
    "daisuke": ("playstation", "psn-daisuke-103"),
    "emi": ("nintendo", "NSW-0000-0104"),
}
STATS = [
    # username, title, matches (won, lost), minutes per match, level, achievement
    ("alice", "starfall-arena", (12, 5), 14, 23, ("first-win", "First Victory")),
    ("bob", "tiny-racers", (30, 18), 4, 41, ("podium-10", "Ten Podiums")),
    ("carol", "kaiju-kingdoms", (4, 2), 35, 9, ("city-builder", "City Builder")),
    ("daisuke", "starfall-arena", (8, 9), 15, 17, ("first-win", "First Victory")),
    ("emi", "tiny-racers", (2, 3), 5, 3, None),
]
SEEDED_AT = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def _players() -> dict[str, Player]:
    players = {}
    for username, (name, bio, country, privacy) in DEMO_PROFILES.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        player = Player.objects.filter(user=user).first() or player_create(
            user=user, display_name=name
        )
        if player.bio == "" and not player.country:
            player.bio, player.country, player.privacy = bio, country, privacy
            player.save(update_fields=["bio", "country", "privacy", "updated_at"])
        players[username] = player
    return players


def _friends(players: dict[str, Player]) -> None:
    for one, other in FRIENDS + PENDING:
        if one not in players or other not in players:
            continue
        if are_friends(player_id=players[one].id, other_player_id=players[other].id):
            continue
        if players[one].friend_requests_sent.filter(to_player=players[other]).exists():
            continue
        friend_request_send(sender=players[one], recipient=players[other])
        if (one, other) in FRIENDS:
            friend_request_send(sender=players[other], recipient=players[one])


def _stats(players: dict[str, Player]) -> None:
    titles = {title.slug: title for title in Title.objects.all()}
    for username, slug, (won, lost), minutes, level, achievement in STATS:
        player, title = players.get(username), titles.get(slug)
        if player is None or title is None or player.title_stats.filter(title=title).exists():
            continue
        for index in range(won + lost):
            player_match_record(
                player=player, title=title, won=index < won, duration_seconds=minutes * 60,
                counters={"kills": 3 + index % 4} if slug == "starfall-arena" else None,
            )  # fmt: skip
        player_progress_update(player=player, title=title, level=level, xp=level * 1000, rank=None)
        activity_record(
            player=player, kind="match_completed", data={"won": True, "title": slug}, title=title
        )
        if achievement is not None:
            key, name = achievement
            achievement_unlock(
                player=player, title=title, key=key, name=name, unlocked_at=SEEDED_AT
            )
            player.achievements.filter(key=key).update(is_showcased=True)


def seed() -> list[str]:
    players = _players()
    _friends(players)
    # Each identity is the one the player's game created, so that title may mint their chat
    # tokens and claim codes (docs/players.md, "Which titles may act for an identity").
    titles = {title.slug: title for title in Title.objects.all()}
    game_of = {username: slug for username, slug, *_rest in STATS}
    for username, (provider, external_id) in IDENTITIES.items():
        if username in players:
            PlayerIdentity.objects.get_or_create(
                provider=provider,
                external_id=external_id,
                defaults={"player": players[username], "is_verified": True,
                          "title": titles.get(game_of.get(username, ""))},
            )  # fmt: skip
    _stats(players)
    return [
        f"Demo players: {', '.join(p.display_name for p in players.values())}; "
        f"{Friendship.objects.count()} friendships"
    ]
