"""Guild read paths and guild stats from match events, each beside a baseline measured in the
same run (not collected by pytest).

* ``GET /api/v1/guilds`` (browse, 50 of 300 guilds, sorted by members) and
  ``GET /api/v1/guilds/{id}/members?limit=200`` (a 500-member guild, with presence) through
  DRF in process, with a player API token as game clients send it, against the floor:
  one hand-written SQL query reading the same page of rows,
  encoded with ``json.dumps``. Target: ours at most twice the floor.
* The same two reads as requests: ours under gunicorn (production settings, the project's
  gunicorn hooks, 2 sync workers) against the floor served the same way
  (``bench/rest_floor.py``'s ``/sql/…``: Django with no middleware, the same hand-written
  query, ``json.dumps``), both driven by wrk and interleaved. Time per request is the inverse
  of requests/s at the same concurrency; the workers' CPU per request and wrk's CPU are
  printed beside it (wrk must stay far from a core). Skip with ``--no-http``; needs ``wrk``
  (``make bench-tools``) and Redis (``REDIS_URL``, default database 8).
* ``match.completed`` events (10 guild members each) ingested and applied by the real
  applier, with the guild handler registered and without it, interleaved. Target: the guild
  handler costs at most 25 % of events/s.

Calibration: in process, the "client" is the same process (Django's test client, no
sockets), so it cannot be a separate bottleneck; the process's CPU time beside wall time is
printed for each block, showing whether the run was CPU-bound in this process or waiting on
PostgreSQL. As requests, wrk's CPU is printed beside the workers'.

Run against a scratch PostgreSQL database:
    createdb -h 127.0.0.1 -U postgres community_guilds_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_guilds_bench \
    DJANGO_SETTINGS_MODULE=community.settings.test \
    sh -c '.venv/bin/python manage.py migrate -v0 && .venv/bin/python bench/guilds.py'
Options: ``--events N`` (default 10000), ``--repeats N`` (default 3), ``--reads-only``,
``--no-http``, ``--duration S`` / ``--connections N`` / ``--workers N`` (wrk and gunicorn),
``--base-tree DIR`` (a checkout of an earlier commit served beside ours, its reads as rows of
their own against the same floor: before and after in one interleaved run).
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from apps.accounts.services import api_token_create  # noqa: E402
from apps.common.text_safety import name_key  # noqa: E402
from apps.game_events.applier import events_apply_pending  # noqa: E402
from apps.game_events.envelope import envelope_validate  # noqa: E402
from apps.game_events.models import Channel  # noqa: E402
from apps.game_events.registry import handler_register, handler_unregister  # noqa: E402
from apps.game_events.services import events_ingest  # noqa: E402
from apps.guilds.models import Guild, GuildMembership, GuildRole  # noqa: E402
from apps.guilds.services import guild_create  # noqa: E402
from apps.guilds.stats import guild_match_stats, guild_match_stats_many  # noqa: E402
from apps.players.models import Player, PlayerIdentity  # noqa: E402
from apps.players.services import player_register  # noqa: E402
from apps.titles.models import Title  # noqa: E402
from bench.database import analyze  # noqa: E402
from bench.floor_sql import BROWSE_SQL, MEMBERS_SQL  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
RUN = uuid.uuid4().hex[:6]
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def timed_ms(call: Callable[[], object], runs: int = 60) -> list[float]:
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def floor(sql: str, params: dict) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return json.dumps(cursor.fetchall(), default=str)


def shadow_players(count: int, prefix: str, title: Title) -> list[Player]:
    players = Player.objects.bulk_create(
        Player(display_name=f"{prefix}{n}", display_name_key=name_key(f"{prefix}{n}{RUN}"))
        for n in range(count)
    )
    PlayerIdentity.objects.bulk_create(
        PlayerIdentity(player=p, provider="custom", external_id=f"{prefix}-{RUN}-{n}", title=title)
        for n, p in enumerate(players)
    )
    return players


def members_add(guild: Guild, players: list[Player]) -> None:
    role = GuildRole.objects.get(guild=guild, kind="member")
    GuildMembership.objects.bulk_create(
        GuildMembership(guild=guild, player=p, role=role, title_id=guild.title_id, joined_at=JOINED)
        for p in players
    )
    Guild.objects.filter(id=guild.id).update(
        member_count=len(players) + 1, capacity=max(len(players) + 1, 50)
    )


def setup() -> tuple[Player, Guild, Title, list[list[str]]]:
    title = Title.objects.create(slug=f"bench-{RUN}", name=f"Bench Arena {RUN}")
    viewer = player_register(username=f"v{RUN}", email=f"v{RUN}@b.test",
                             password="a-long-passphrase", display_name=f"viewer{RUN}")  # fmt: skip
    founders = shadow_players(300, "f", title)
    guilds = [
        guild_create(founder=f, title=title, name=f"Squad {RUN} {n}", tag=f"B{n}")
        for n, f in enumerate(founders)
    ]
    big = guilds[0]
    members_add(big, shadow_players(499, "m", title))
    # 100 guilds of 10 members each play the matches.
    teams = []
    for index, guild in enumerate(guilds[1:101]):
        players = shadow_players(9, f"t{index}-", title)
        members_add(guild, players)
        teams.append([f"t{index}--{RUN}-{n}" for n in range(9)] + [f"f-{RUN}-{index + 1}"])
    return viewer, big, title, teams


def match_events(count: int, teams: list[list[str]], tag: str) -> list:
    events = []
    for n in range(count):
        team = teams[n % len(teams)]
        players = [{"player": {"provider": "custom", "external_id": external_id},
                    "outcome": "win" if n % 2 else "loss"} for external_id in team]  # fmt: skip
        data = {"match_id": f"{tag}-{n}", "mode": "bench", "duration_seconds": 600,
                "players": players}  # fmt: skip
        events.append(envelope_validate({
            "specversion": "1.0", "id": f"{tag}-{n}", "source": f"/titles/bench-{RUN}",
            "type": "match.completed", "time": "2026-11-25T03:20:00Z", "data": data,
        }))  # fmt: skip
    return events


def apply_all(events: list) -> tuple[float, float]:
    """Ingest and apply ``events``; wall seconds and this process's CPU seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, len(events), 500):
        events_ingest(events=events[start : start + 500], channel=Channel.HTTP)
    while events_apply_pending(batch_size=500):
        pass
    return time.perf_counter() - wall, time.process_time() - cpu


def reads(viewer: Player, big: Guild) -> None:
    # As a game client's guild panel reads them: with a player API token (its lookup counted).
    client = APIClient()
    secret = api_token_create(user=viewer.user, name="guild-bench").secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    cases = [
        ("GET /api/v1/guilds (50 rows)", "/api/v1/guilds?limit=50", BROWSE_SQL, {}),
        ("GET members (200 of 500)", f"/api/v1/guilds/{big.id}/members?limit=200",
         MEMBERS_SQL, {"guild": big.id}),
    ]  # fmt: skip
    print("read                          ours median / p95      floor median / p95    ours/floor")
    for label, url, sql, params in cases:
        assert client.get(url).status_code == 200
        cpu = time.process_time()
        ours = timed_ms(lambda u=url: client.get(u))
        ours_cpu = (time.process_time() - cpu) * 1000 / 61
        cpu = time.process_time()
        base = timed_ms(lambda s=sql, p=params: floor(s, p))
        base_cpu = (time.process_time() - cpu) * 1000 / 61
        ratio = statistics.median(ours) / statistics.median(base)
        print(
            f"{label:<29} {statistics.median(ours):6.2f} / {ours[56]:6.2f} ms   "
            f"{statistics.median(base):6.2f} / {base[56]:6.2f} ms   {ratio:5.2f}x wall"
        )
        # CPU of this process (the kernel's per-process clock): steadier than wall time on a
        # loaded machine; PostgreSQL's own CPU is not in it for either side.
        print(f"{'':<29} CPU here per request: ours {ours_cpu:.2f} ms, floor {base_cpu:.2f} ms, "
              f"{ours_cpu / base_cpu:.2f}x")  # fmt: skip


def http_reads(viewer: Player, big: Guild, arguments: argparse.Namespace) -> None:
    """The same two reads as requests: ours under gunicorn (production settings) against the
    floor served the same way (``bench.rest_floor``'s ``/sql/…``: no middleware, the one
    hand-written query, ``json.dumps``), driven by wrk, interleaved and rotated each repeat."""
    from bench import rest_reads

    secret = api_token_create(user=viewer.user, name="guild-bench-http").secret
    ours_port, floor_port = rest_reads.OURS_PORT, rest_reads.FLOOR_PORT
    variant = rest_reads.Variant
    members = f"/api/v1/guilds/{big.id}/members?limit=200"
    pairs = [
        ("browse (50 rows)", variant("ours browse", ours_port, "/api/v1/guilds?limit=50"),
         variant("floor browse", floor_port, "/sql/guild-browse")),
        ("members (200 of 500)", variant("ours members", ours_port, members),
         variant("floor members", floor_port, f"/sql/guild-members?guild={big.id}")),
    ]  # fmt: skip
    if arguments.base_tree:  # the same reads served by the earlier checkout, as rows of their own
        base_port = rest_reads.BASE_PORT
        pairs += [
            ("before: browse", variant("before browse", base_port, "/api/v1/guilds?limit=50"),
             pairs[0][2]),
            ("before: members", variant("before members", base_port, members), pairs[1][2]),
        ]  # fmt: skip
    # Each once, in pair order (the floors serve the before rows too).
    variants = list({id(one): one for _label, *both in pairs for one in both}.values())
    connection.close()
    servers = {
        ours_port: rest_reads.start_server(
            ours_port, "community.settings.production", arguments.workers
        ),
        floor_port: rest_reads.start_server(floor_port, "bench.rest_floor", arguments.workers),
    }
    if arguments.base_tree:
        servers[rest_reads.BASE_PORT] = rest_reads.start_server(
            rest_reads.BASE_PORT, "community.settings.production", arguments.workers,
            arguments.base_tree.resolve(),
        )  # fmt: skip
    try:
        for variant in variants:
            rest_reads.wait_ready(variant, secret)
        print(f"\nas requests: gunicorn, {arguments.workers} sync workers per server, wrk -t1 "
              f"-c{arguments.connections} -d{arguments.duration}s, {arguments.repeats} "
              "interleaved repeats")  # fmt: skip
        for repeat in range(arguments.repeats):
            load = os.getloadavg()[0]
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                rest_reads.run_wrk(variant, servers[variant.port].pid, secret, arguments)
            print(f"  repeat {repeat + 1}: load {load:.2f} -> {os.getloadavg()[0]:.2f}")
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(10)
    print("read                   ours req/s  floor req/s  time ours/floor   worker CPU ms/req "
          "ours / floor   p50 ms ours / floor   wrk CPU")  # fmt: skip
    for label, mine, base in pairs:
        rate = rest_reads.median(mine, "rps")
        floor_rate = rest_reads.median(base, "rps")
        print(
            f"{label:<22} {rate:>10,.0f} {floor_rate:>12,.0f} {floor_rate / rate:>15.2f}x "
            f"{rest_reads.median(mine, 'cpu_ms'):>12.2f} / {rest_reads.median(base, 'cpu_ms'):.2f}"
            f"{rest_reads.median(mine, 'p50'):>14.1f} / {rest_reads.median(base, 'p50'):.1f}"
            f"{rest_reads.median(mine, 'client_cpu'):>10.0%} / "
            f"{rest_reads.median(base, 'client_cpu'):.0%}"
        )
    # Each repeat runs ours and its floor seconds apart: their ratio within a repeat
    # cancels the drift of a shared machine's speed between repeats.
    for label, mine, base in pairs:
        paired = [b["rps"] / m["rps"] for m, b in zip(mine.samples, base.samples, strict=True)]
        print(f"{label:<22} time ours/floor by repeat: "
              + ", ".join(f"{ratio:.2f}x" for ratio in paired))  # fmt: skip


def stats(teams: list[list[str]], count: int, repeats: int) -> None:
    results: dict[str, list[float]] = {"with guild handler": [], "no guild handler": []}
    # Warm-up, not counted: the first batches pay one-time costs (first stats rows, caches).
    apply_all(match_events(count, teams, f"warm{RUN}"))
    for repeat in range(repeats):
        order = list(results) if repeat % 2 == 0 else list(reversed(results))
        for variant in order:
            if variant == "no guild handler":
                handler_unregister("match.completed", guild_match_stats)
            events = match_events(count, teams, f"{variant[:2]}{repeat}{RUN}")
            load = os.getloadavg()[0]
            wall, cpu = apply_all(events)
            handler_register("match.completed", guild_match_stats, batch=guild_match_stats_many)
            results[variant].append(count / wall)
            print(f"  {variant:<19} repeat {repeat}: {count / wall:8.0f} events/s "
                  f"(wall {wall:.1f} s, CPU here {cpu:.1f} s, load {load:.2f})")  # fmt: skip
    ours = statistics.median(results["with guild handler"])
    base = statistics.median(results["no guild handler"])
    print(
        f"median: with {ours:.0f} events/s, without {base:.0f} events/s: the guild handler "
        f"costs {(1 - ours / base) * 100:.1f} % (target ≤ 25 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reads-only", action="store_true", help="skip the match-events part")
    parser.add_argument("--no-http", action="store_true", help="skip the reads as requests")
    parser.add_argument("--duration", type=int, default=5, help="s per wrk block")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--base-tree", type=Path, help="another checkout (e.g. the commit before a change) "
        "served by a third gunicorn: its reads are measured as rows of their own, interleaved",
    )  # fmt: skip
    arguments = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    viewer, big, _title, teams = setup()
    analyze()
    reads(viewer, big)
    if not arguments.no_http:
        http_reads(viewer, big, arguments)
    if arguments.reads_only:
        return
    print(f"match.completed x {arguments.events} (10 guild members each), interleaved:")
    stats(teams, arguments.events, arguments.repeats)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
