"""Demo guilds for `make run`: two guilds in each demo title with the demo players, so the
simulator's matches (which use their linked identities) fill guild stats and feeds.

Idempotent: a guild is created only when its name is free. Runs after the players demo
(INSTALLED_APPS order)."""

from apps.common.exceptions import ApplicationError
from apps.guilds.membership import guild_join
from apps.guilds.models import Guild, GuildMembership, JoinPolicy
from apps.guilds.services import guild_create
from apps.players.models import Player
from apps.titles.models import Title

# title → guilds: name, tag, join policy, leader, members (usernames)
DEMO_GUILDS = {
    "starfall-arena": [
        ("Orbital Vanguard", "VAN", JoinPolicy.OPEN, "alice", ["bob", "carol"]),
        ("Night Owls", "OWL", JoinPolicy.APPROVAL, "daisuke", ["emi"]),
    ],
    "kaiju-kingdoms": [
        ("怪獣同盟", "KJU", JoinPolicy.OPEN, "daisuke", ["emi", "carol"]),
        ("City Wardens", "CWD", JoinPolicy.INVITE_ONLY, "alice", ["bob"]),
    ],
    "tiny-racers": [
        ("Pit Crew", "PIT", JoinPolicy.OPEN, "emi", ["alice", "bob"]),
        ("Drift Club", "DRC", JoinPolicy.APPROVAL, "carol", ["daisuke"]),
    ],
}


def seed() -> list[str]:
    players = {
        player.user.username: player
        for player in Player.objects.filter(
            user__username__in=["alice", "bob", "carol", "daisuke", "emi"]
        ).select_related("user")
        if player.user
    }
    created = 0
    for title in Title.objects.filter(slug__in=DEMO_GUILDS):
        for name, tag, policy, leader, members in DEMO_GUILDS[title.slug]:
            if leader not in players or Guild.objects.filter(name=name).exists():
                continue
            try:
                guild = guild_create(
                    founder=players[leader], title=title, name=name, tag=tag,
                    description="Demo guild.",
                )  # fmt: skip
                for username in members:
                    if username in players:
                        guild_join(player=players[username], guild=guild)
            except ApplicationError:
                continue  # a name rule or a player's guild limit: skip this one
            Guild.objects.filter(id=guild.id).update(join_policy=policy)
            created += 1
    return [
        f"Guilds: {created} demo guilds created ({Guild.objects.filter(disbanded_at=None).count()}"
        f" live, {GuildMembership.objects.count()} memberships); the simulator's matches feed"
        " their stats and feeds"
    ]
