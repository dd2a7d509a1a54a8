"""A batch's match channels open and close in a few queries for the whole batch, and a bad
event in a batch is found and failed on its own without rerunning the batch one event at a
time: every other event applied exactly once, the bad one ``failed`` with its reason."""

import math

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat.models import Channel, Membership
from apps.game_events.envelope import envelope_validate, rfc3339_parse
from apps.game_events.models import Channel as IngestChannel
from apps.game_events.models import InboxEvent, InboxState
from apps.game_events.services import events_apply_pending, events_ingest
from apps.players.models import ActivityEntry, Player, PlayerTitleStats
from apps.players.presence import presence_states
from apps.realtime.groups import user_group
from apps.titles.models import Title
from apps.ugc.models import Item, TitleSettings
from tests.game_events.events import cloud_event, linked_player, player_ref

pytestmark = pytest.mark.django_db


def _ingest(events: list[dict]) -> None:
    events_ingest(events=[envelope_validate(e) for e in events], channel=IngestChannel.HTTP)


def _at(second: int) -> str:
    return f"2026-11-25T06:{second // 60:02}:{second % 60:02}Z"


def _started(event_id: str, second: int, match_id: str, *names: str) -> dict:
    data = {"match_id": match_id, "mode": "ranked",
            "players": [{"player": player_ref(name)} for name in names]}  # fmt: skip
    return cloud_event("match.started", event_id=event_id, data=data, time=_at(second))


def _completed(event_id: str, second: int, match_id: str, *names: str) -> dict:
    data = {"match_id": match_id, "mode": "ranked", "duration_seconds": 60,
            "players": [{"player": player_ref(name), "outcome": "win", "score": 10}
                        for name in names]}  # fmt: skip
    return cloud_event("match.completed", event_id=event_id, data=data, time=_at(second))


def _channels() -> dict[str, tuple[bool, list[str]]]:
    """match id -> (closed, members' game account ids)."""
    found = {}
    for channel in Channel.objects.filter(kind="match"):
        names = Membership.objects.filter(channel=channel).values_list(
            "player__identities__external_id", flat=True
        )
        found[channel.key.rsplit(":", 1)[1]] = (
            channel.is_closed,
            sorted(name.removeprefix("ext-") for name in names),
        )
    return found


def _chat_queries(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries if "chat_channel" in q["sql"] or "chat_membership" in q["sql"]
    ]


class _UserFrames:
    """What reaches one user's sockets: a channel of the real channel layer in their group."""

    def __init__(self, user_id: int) -> None:
        self.layer = get_channel_layer()
        self.name = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(user_group(user_id), self.name)

    def chat_events(self, count: int) -> list[tuple[str, int, bool | None]]:
        """The next ``count`` chat events: (name, channel id, is_closed when joined)."""

        async def receive() -> list[dict]:  # one event loop for all (channels_redis' pools)
            found: list[dict] = []
            while len(found) < count:
                message = await self.layer.receive(self.name)
                if message.get("name", "").startswith("chat.channel_"):
                    found.append(message)
            return found

        return [
            (
                message["name"],
                message["payload"].get("channel_id") or message["payload"]["channel"]["id"],
                (message["payload"].get("channel") or {}).get("is_closed"),
            )
            for message in async_to_sync(receive)()
        ]


def test_a_batch_opens_and_closes_its_match_channels_in_a_few_queries(
    title, django_capture_on_commit_callbacks
):
    alice = linked_player(username="alice", title=title, provider="custom", external_id="ext-alice")
    frames = _UserFrames(alice.user_id)
    names = [f"p{i}" for i in range(24)]
    events = []
    for match in range(12):  # 12 matches started, the first 8 ended, all in one batch
        members = (
            ["alice", *names[2 * match : 2 * match + 2]]
            if match == 0
            else names[2 * match : 2 * match + 2]
        )
        events.append(_started(f"s{match}", match, f"m{match}", *members))
    events += [_completed(f"c{match}", 100 + match, f"m{match}", "p0") for match in range(8)]
    _ingest(events)

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert events_apply_pending() == 20

    # Load, create the missing, load again, members, add members, reactions, close: not a
    # get-or-create and a close per match (about 80 queries here before).
    assert len(_chat_queries(queries)) <= 7, _chat_queries(queries)
    channels = _channels()
    assert {match: closed for match, (closed, _) in channels.items()} == {
        f"m{match}": match < 8 for match in range(12)
    }
    assert channels["m0"][1] == ["alice", "p0", "p1"]
    assert channels["m11"][1] == ["p22", "p23"]
    m0 = Channel.objects.get(key=f"match:{title.id}:m0").id
    # Opened, then closed, in event order, each frame after the commit.
    assert frames.chat_events(2) == [
        ("chat.channel_joined", m0, False),
        ("chat.channel_left", m0, None),
    ]

    # Redelivered under new ids (a game server's retry), and a late start of a closed match:
    # no channel, member or frame more, and the closed match stays closed.
    _ingest([
        _started("s0-again", 0, "m0", "alice", "p0", "p1", "p9"),
        _completed("c0-again", 100, "m0", "p0"),
        _started("s9-again", 9, "m9", "p18"),
    ])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert events_apply_pending() == 3

    again = _channels()
    assert again["m0"] == (True, ["alice", "p0", "p1", "p9"])  # p9 added, read-only
    assert {match: value for match, value in again.items() if match != "m0"} == {
        match: value for match, value in channels.items() if match != "m0"
    }
    assert Channel.objects.filter(kind="match").count() == 12


def _progressed(event_id: str, second: int, name: str, level: int) -> dict:
    data = {"player": player_ref(name), "level": level, "xp": level * 10}
    return cloud_event(event_id=event_id, data=data, time=_at(second))


def _mixed_batch(prefix: str, *, bad: dict | None = None, bad_at: int = 0) -> list[dict]:
    """40 events: matches (stats add up: applying one twice would show), progress, and
    ``bad`` (if any) at position ``bad_at``."""
    events = []
    for index in range(40):
        name, event_id = f"p{index % 6}", f"{prefix}{index}"
        if index % 2:
            events.append(_completed(event_id, index, f"m-{event_id}", name, "p9"))
        else:
            events.append(_progressed(event_id, index, name, index))
    if bad is not None:
        events[bad_at] = bad
    return events


def _stats_queries_to_apply(events: list[dict], *, recorded: dict | None = None) -> int:
    """The queries on per-title stats the applier makes for a batch of ``events`` (and
    ``recorded``, an event recorded before validation refused what it holds): a fixed few per
    bulk attempt whatever the number of matches, a few per match for events run one by one."""
    _ingest(events)
    if recorded is not None:
        InboxEvent.objects.create(
            source=recorded["source"], event_id=recorded["id"], event_type=recorded["type"],
            title=Title.objects.get(slug="starfall-arena"), channel=IngestChannel.HTTP,
            occurred_at=rfc3339_parse(recorded["time"]), state=InboxState.RECEIVED,
            payload=recorded,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        assert events_apply_pending() == len(events) + (recorded is not None)
    return sum(1 for query in queries if "players_playertitlestats" in query["sql"])


def _expect_applied_once_but(bad_id: str) -> None:
    states = dict(InboxEvent.objects.values_list("event_id", "state"))
    assert {event_id for event_id, state in states.items() if state != "applied"} == {bad_id}
    matches = InboxEvent.objects.filter(event_type="match.completed", state="applied").count()
    played = dict(
        PlayerTitleStats.objects.values_list("player__identities__external_id", "matches_played")
    )
    assert played["ext-p9"] == matches  # in every applied match, counted once each
    assert ActivityEntry.objects.filter(kind="match_completed").count() == 2 * matches


def test_a_refused_event_fails_alone_without_rerunning_the_batch_one_by_one(title):
    TitleSettings.objects.create(title=title, allowed_kinds=["screenshot"])
    _stats_queries_to_apply(_mixed_batch("w"))  # the players and their stats rows exist now
    clean = _stats_queries_to_apply(_mixed_batch("c"))
    data = {"player": player_ref("newcomer"), "ugc_id": "lvl-1", "kind": "mod", "name": "Maze"}
    refused = cloud_event("ugc.published", event_id="bad", time=_at(20), data=data)

    with_refused = _stats_queries_to_apply(_mixed_batch("b", bad=refused, bad_at=20))

    _expect_applied_once_but("bad")
    bad = InboxEvent.objects.get(event_id="bad")
    assert (bad.state, bad.reason) == (InboxState.FAILED, "kind_not_allowed")
    assert Item.objects.count() == 0
    # Nothing half-written: the refused event's shadow player went with its savepoint.
    assert not Player.objects.filter(identities__external_id="ext-newcomer").exists()
    # Three bulk attempts (the batch, then the events before the culprit and those after it),
    # not the batch again one event at a time (127 queries on stats before, against 4).
    assert with_refused <= 3 * clean


def test_an_event_a_bulk_form_rejects_is_found_by_halving(title):
    _stats_queries_to_apply(_mixed_batch("w"))  # the players and their stats rows exist now
    clean = _stats_queries_to_apply(_mixed_batch("c"))
    # Recorded before the catalog refused a blank account id: players refuse the identity,
    # which the bulk stats form cannot pin on one match.
    broken = _completed("bad", 13, "m-bad", "p1", "p2")
    broken["data"]["players"][1]["player"]["external_id"] = "   "

    with_broken = _stats_queries_to_apply(_mixed_batch("b"), recorded=broken)

    _expect_applied_once_but("bad")
    assert InboxEvent.objects.get(event_id="bad").reason == "handler_error"
    # At most about 2·log2(41) bulk attempts of shrinking size, not the 41 events one at a
    # time (127 queries on stats before, against 4 for a clean batch).
    assert with_broken <= 2 * math.ceil(math.log2(41)) * clean


def _session(kind: str, event_id: str, second: int, name: str) -> dict:
    data = {"player": player_ref(name), "session_id": f"s-{name}"}
    return cloud_event(f"player.session.{kind}", event_id=event_id, data=data, time=_at(second))


def test_a_batchs_presence_changes_take_a_few_queries_and_end_on_the_newest_state(title):
    names = [f"p{i}" for i in range(20)]
    _ingest([_session("started", f"go-{name}", 0, name) for name in names])
    events_apply_pending()  # the players and their sessions exist from here
    events = []
    for match in range(5):  # p0..p3 in m0, p4..p7 in m1, …: started, and all but m4 ended
        players = names[4 * match : 4 * match + 4]
        events.append(_started(f"s{match}", 10 + match, f"m{match}", *players))
        if match < 4:
            events.append(_completed(f"c{match}", 20 + match, f"m{match}", *players))
    events.append(_session("ended", "end-p0", 30, "p0"))
    events.append(_session("started", "late-p0", 5, "p0"))  # older than its end: no effect
    events.append(_session("started", "again-p19", 31, "p19"))  # restarted: out of its match
    _ingest(events)

    with CaptureQueriesContext(connection) as queries:
        assert events_apply_pending() == len(events)

    # Load and lock, insert the new sessions, update the changed ones: not a few per player
    # and event (21 here before).
    sessions = [q["sql"] for q in queries if "players_gamesession" in q["sql"]]
    assert len(sessions) <= 4, sessions
    states = presence_states(players=list(Player.objects.all()))
    status = {
        player.identities.get().external_id.removeprefix("ext-"): states[player.id].status
        for player in Player.objects.prefetch_related("identities")
    }
    assert status == {
        "p0": "offline",
        **dict.fromkeys(names[16:19], "in_match"),
        **dict.fromkeys([*names[1:16], "p19"], "in_game"),
    }
    assert InboxEvent.objects.exclude(state="applied").count() == 0
