"""A game server in a box: coherent CloudEvents for the demo (``manage.py simulate_game``).

Players log in (session started), get matched in duels or team games (match started), finish
them with scores (match completed), level up, unlock achievements, and log out. Now and then
a cheater is suspended in game (``player.sanctioned``) or a level is shared
(``ugc.published``). The roster starts with the demo players' linked identities
(``apps.players.demo.IDENTITIES``), so their profiles come alive; more players are game-only
identities that become shadow players.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apps.game_events.envelope import source_for_title

MODES = [("duel", 2), ("squad-2v2", 4), ("ranked-3v3", 6), ("ranked-5v5", 10)]
ACHIEVEMENTS = [
    ("first-win", "First Victory"),
    ("hat-trick", "Hat Trick"),
    ("marathon", "Marathon Runner"),
    ("sharpshooter", "Sharpshooter"),
    ("comeback", "Comeback Kid"),
]


def demo_roster() -> list[dict[str, str]]:
    from apps.players.demo import IDENTITIES

    return [
        {"provider": provider, "external_id": external_id, "display_name": username}
        for username, (provider, external_id) in IDENTITIES.items()
    ]


@dataclass
class SimulatedPlayer:
    ref: dict[str, str]
    session_id: str | None = None
    match_id: str | None = None
    level: int = 1
    xp: int = 0
    wins: int = 0
    team: str = ""


@dataclass
class GameSimulator:
    title_slug: str
    roster: list[dict[str, str]]
    rng: random.Random = field(default_factory=random.Random)
    players: list[SimulatedPlayer] = field(init=False)
    matches: dict[str, list[SimulatedPlayer]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.players = [SimulatedPlayer(ref=dict(ref)) for ref in self.roster]

    def event(self, event_type: str, data: dict[str, Any], subject: str = "") -> dict[str, Any]:
        event = {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "source": source_for_title(self.title_slug),
            "type": event_type,
            "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": data,
        }
        if subject:
            event["subject"] = subject
        return event

    def step(self) -> Iterator[dict[str, Any]]:
        """The next few events of the game world (one decision per call)."""
        roll = self.rng.random()
        if roll < 0.02:
            yield from self._rare_event()
        elif roll < 0.35 and self.matches:
            yield from self._complete_match()
        elif roll < 0.65:
            yield from self._start_match()
        else:
            yield from self._log_in_or_out()

    def _log_in_or_out(self) -> Iterator[dict[str, Any]]:
        player = self.rng.choice(self.players)
        if player.match_id:
            return
        if player.session_id is None:
            player.session_id = f"s-{self.rng.getrandbits(40):x}"
            yield self.event("player.session.started", {"player": player.ref,
                             "session_id": player.session_id, "platform": "pc"})  # fmt: skip
        else:
            session_id, player.session_id = player.session_id, None
            yield self.event("player.session.ended", {"player": player.ref,
                             "session_id": session_id, "duration_seconds": 600})  # fmt: skip

    def _start_match(self) -> Iterator[dict[str, Any]]:
        mode, size = self.rng.choice(MODES)
        idle = [p for p in self.players if p.session_id and not p.match_id]
        if len(idle) < size:
            yield from self._log_in_or_out()
            return
        chosen = self.rng.sample(idle, size)
        match_id = f"m-{self.rng.getrandbits(40):x}"
        for index, player in enumerate(chosen):
            player.match_id = match_id
            player.team = "red" if index % 2 == 0 else "blue"
        self.matches[match_id] = chosen
        entries = [{"player": p.ref, "team": p.team} for p in chosen]
        yield self.event("match.started", {"match_id": match_id, "mode": mode,
                         "players": entries}, subject=match_id)  # fmt: skip

    def _complete_match(self) -> Iterator[dict[str, Any]]:
        match_id = self.rng.choice(sorted(self.matches))
        players = self.matches.pop(match_id)
        winner = self.rng.choice(["red", "blue"])
        mode = next(m for m, size in MODES if size == len(players))
        entries = []
        for player in players:
            won = player.team == winner
            kills = self.rng.randint(0, 25)
            entries.append({"player": player.ref, "team": player.team,
                            "outcome": "win" if won else "loss",
                            "score": kills * 100 + self.rng.randint(0, 99),
                            "counters": {"kills": kills}})  # fmt: skip
            player.match_id = None
        data = {"match_id": match_id, "mode": mode,
                "duration_seconds": self.rng.randint(300, 1500), "players": entries,
                "teams": [{"team": "red", "score": 1 if winner == "red" else 0},
                          {"team": "blue", "score": 1 if winner == "blue" else 0}]}  # fmt: skip
        yield self.event("match.completed", data, subject=match_id)
        for player, entry in zip(players, entries, strict=True):
            yield from self._after_match(player, won=entry["outcome"] == "win")

    def _after_match(self, player: SimulatedPlayer, *, won: bool) -> Iterator[dict[str, Any]]:
        player.xp += 250 if won else 100
        player.wins += won
        if player.xp >= player.level * 500:
            player.level += 1
        rank = ["bronze", "silver", "gold", "platinum"][min(3, player.level // 5)]
        yield self.event("player.progressed", {"player": player.ref, "level": player.level,
                         "xp": player.xp, "rank": rank})  # fmt: skip
        if won and self.rng.random() < 0.3:
            key, name = self.rng.choice(ACHIEVEMENTS)
            yield self.event("achievement.unlocked", {"player": player.ref, "key": key,
                             "name": name, "unlocked_at": self.event("x", {})["time"]})  # fmt: skip

    def _rare_event(self) -> Iterator[dict[str, Any]]:
        player = self.rng.choice(self.players)
        kind = self.rng.choice(["sanction", "ugc", "announcement"])
        if kind == "sanction":
            yield self.event("player.sanctioned", {"player": player.ref,
                             "sanction_id": f"ban-{self.rng.getrandbits(32):x}",
                             "kind": "suspension", "reason": "speed hack detected"})  # fmt: skip
        elif kind == "ugc":
            yield self.event("ugc.published", {"player": player.ref,
                             "ugc_id": f"lvl-{self.rng.getrandbits(32):x}", "kind": "level",
                             "name": "Neon Canyon remix"})  # fmt: skip
        else:
            yield self.event("announcement.posted", {"body": "Double XP weekend is live!",
                             "locale": "en"})  # fmt: skip


def roster_for(player_count: int, title_slug: str) -> list[dict[str, str]]:
    """The demo players first, then game-only identities up to ``player_count``."""
    roster = demo_roster()[:player_count]
    for index in range(len(roster), player_count):
        roster.append({"provider": "custom", "external_id": f"{title_slug}-bot-{index}",
                       "display_name": f"Bot {index}"})  # fmt: skip
    return roster
