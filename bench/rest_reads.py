"""REST list reads under gunicorn against the bare Django floor on the same rows, in one run
(not collected by pytest; docs/performance.md has the figures and the method).

Two gunicorn servers (2 sync workers each, production settings, throttles raised through
API_THROTTLE_USER / API_THROTTLE_ANON) run side by side: ours (``community.wsgi``) and the
floor (``bench.rest_floor``: no middleware, one ``.values()`` query and ``JsonResponse``, and
the same floor behind our authentication). ``wrk`` drives every variant, interleaved and
rotated each repeat. Per variant it prints req/s (median, min-max), p50/p99, the workers' CPU
per request (from /proc), the CPU of wrk beside the CPU of the workers (the client must not
be the bottleneck: the floor rows are the calibration), and queries per request (counted
in-process through the same URL).

Needs ``wrk`` (Debian package ``wrk``), PostgreSQL and Redis:
    createdb -h 127.0.0.1 -U postgres community_rest_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_rest_bench \
    REDIS_URL=redis://127.0.0.1:6379/8 DJANGO_SETTINGS_MODULE=community.settings.test \
    sh -c '.venv/bin/python manage.py migrate -v0 && .venv/bin/python bench/rest_reads.py'
Options: --duration 5 (s per block), --repeats 3, --connections 32, --workers 2, --only REGEX
(our endpoints whose name matches, with their floors; e.g. ``--only members``), and
--base-tree DIR: a checkout of an earlier commit served by a third gunicorn, so before and
after come from one interleaved run (``git archive 6bda94e | tar -x -C /tmp/base`` and a
``.venv`` link there).
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.accounts.services import api_token_create  # noqa: E402
from apps.guilds.membership import guild_join  # noqa: E402
from apps.guilds.models import Guild  # noqa: E402
from apps.guilds.services import guild_create  # noqa: E402
from apps.players.friends import friend_request_send  # noqa: E402
from apps.players.models import ActivityEntry, Notification, Player  # noqa: E402
from apps.players.services import player_register  # noqa: E402
from apps.titles.models import Title  # noqa: E402
from bench.database import analyze  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
OURS_PORT, FLOOR_PORT, BASE_PORT = 18431, 18432, 18433
TICKS = os.sysconf("SC_CLK_TCK")
FRIENDS, ENTRIES_EACH, NOTIFICATIONS = 50, 20, 200


@dataclass
class Variant:
    name: str
    port: int
    path: str
    queries: int | None = None
    samples: list[dict[str, float]] = field(default_factory=list)


def _register(name: str) -> Player:
    return player_register(
        username=name, email=f"{name}@bench.test", password="a-long-passphrase", display_name=name
    )


def seed_guild(viewer: Player) -> Guild:
    """A guild led by the viewer with their 50 friends as members; created once per database."""
    guild = Guild.objects.filter(name="Readers Guild").first()
    if guild is not None:
        return guild
    title, _created = Title.objects.get_or_create(
        slug="rest-bench", defaults={"name": "Bench Arena"}
    )
    guild = guild_create(founder=viewer, title=title, name="Readers Guild", tag="RB", capacity=100)
    for friend in Player.objects.filter(user__username__startswith="restfriend"):
        guild_join(player=friend, guild=guild)
    return guild


def seed() -> tuple[Player, Player]:
    """The viewer (50 friends, 1,000 feed entries, 200 notifications) and one public friend;
    created once per database."""
    viewer = Player.objects.filter(user__username="restviewer").first()
    if viewer is not None:
        return viewer, Player.objects.get(user__username="restfriend00")
    viewer = _register("restviewer")
    friends = []
    for i in range(FRIENDS):
        friend = _register(f"restfriend{i:02d}")
        friend_request_send(sender=viewer, recipient=friend)
        friend_request_send(sender=friend, recipient=viewer)
        friends.append(friend)
    ActivityEntry.objects.bulk_create(
        ActivityEntry(player=friend, kind="match_completed", data={"n": j})
        for friend in friends
        for j in range(ENTRIES_EACH)
    )
    Notification.objects.bulk_create(
        Notification(recipient=viewer, actor=friends[i % FRIENDS], kind="friend_accepted", data={})
        for i in range(NOTIFICATIONS)
    )
    return viewer, friends[0]


def count_queries(path: str, secret: str) -> int:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get(path)  # warm caches the way a running worker has them
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured)


def start_server(
    port: int, settings_module: str, workers: int, tree: Path = ROOT
) -> subprocess.Popen:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8")
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", redis_url),
        "API_THROTTLE_USER": "100000000/min",
        "API_THROTTLE_ANON": "100000000/min",
        "PYTHONPATH": str(tree),
    }
    # As every deployment runs it (infra/): with the project's gunicorn hooks.
    command = [str(Path(sys.executable).with_name("gunicorn")), "community.wsgi:application",
               "-c", "python:community.gunicorn",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class",
               "sync", "--log-level", "warning", "--no-control-socket"]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=tree)


def wait_ready(variant: Variant, secret: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{variant.port}{variant.path}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    answered = 0
    for _ in range(200):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 200
                answered += 1
        except OSError:
            time.sleep(0.2)
        if answered == 6:  # every worker has imported and warmed this path
            return
    raise SystemExit(f"{variant.name} never answered 200")


def worker_ticks(master: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master or int(entry.name) == master:
            total += int(fields[11]) + int(fields[12])
    return total


def _milliseconds(value: str) -> float:
    parsed = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if parsed is None:  # wrk prints "-nan" when no request finished in the block
        print(f"wrk printed a latency of {value!r}; left out of the median", file=sys.stderr)
        return float("nan")
    number, unit = parsed.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _percentile(output: str, percent: int) -> str:
    """A line of wrk's latency distribution (``    99%   42.10ms``). Anchored to the line's
    start: a thread-stats line ending in, say, ``89.99%`` would otherwise match first."""
    found = re.search(rf"^\s+{percent}%\s+(\S+)$", output, re.MULTILINE)
    return found.group(1) if found else "missing"


def run_wrk(variant: Variant, master: int, secret: str, args: argparse.Namespace) -> None:
    url = f"http://127.0.0.1:{variant.port}{variant.path}"
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_ticks, started = worker_ticks(master), time.monotonic()
    output = subprocess.run(
        ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
         "--timeout", "10s", "-H", f"Authorization: Bearer {secret}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    elapsed = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_seconds = (worker_ticks(master) - before_ticks) / TICKS
    client_seconds = (after_children.ru_utime + after_children.ru_stime) - (
        before_children.ru_utime + before_children.ru_stime
    )
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"{variant.name}: errors under load\n{output}")
    variant.samples.append({
        "rps": requests / elapsed,
        "p50": _milliseconds(_percentile(output, 50)),
        "p99": _milliseconds(_percentile(output, 99)),
        "cpu_ms": worker_seconds * 1000 / max(requests, 1),
        "server_cpu": worker_seconds / elapsed,
        "client_cpu": client_seconds / elapsed,
    })  # fmt: skip


def median(variant: Variant, key: str) -> float:
    """The median of the repeats that have the figure (a NaN would make the median depend on
    where it happens to sort)."""
    values = [sample[key] for sample in variant.samples if sample[key] == sample[key]]
    return statistics.median(values) if values else float("nan")


def report(variants: list[Variant], floors: dict[str, tuple[str, str]]) -> None:
    by_name = {variant.name: variant for variant in variants}
    print(f"\n{'variant':<28} {'req/s (min-max)':>22} {'p50/p99 ms':>14} "
          f"{'worker ms/req':>13} {'workers CPU':>11} {'wrk CPU':>8} {'queries':>7}  "
          "vs floor / vs floor+auth")  # fmt: skip
    for variant in variants:
        rates = [sample["rps"] for sample in variant.samples]
        ratio = ""
        if variant.name in floors:
            bare, with_auth = (by_name[name] for name in floors[variant.name])
            rps = median(variant, "rps")
            ratio = f"{rps / median(bare, 'rps'):.2f} / {rps / median(with_auth, 'rps'):.2f}"
        queries = "-" if variant.queries is None else str(variant.queries)
        spread = f"({min(rates):,.0f}-{max(rates):,.0f})"
        print(f"{variant.name:<28} {median(variant, 'rps'):>8,.0f} {spread:<13}"
              f"{median(variant, 'p50'):>7.1f}/{median(variant, 'p99'):<6.1f}"
              f"{median(variant, 'cpu_ms'):>13.2f} {median(variant, 'server_cpu'):>10.0%} "
              f"{median(variant, 'client_cpu'):>8.0%} {queries:>7}  {ratio}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--base-tree", type=Path, help="another checkout (e.g. the commit before a change) "
        "served by a third gunicorn, so before and after come from one interleaved run",
    )  # fmt: skip
    parser.add_argument(
        "--only", help="a regular expression: measure only our endpoints whose name matches it, "
        "with their floors",
    )  # fmt: skip
    args = parser.parse_args()
    viewer, friend = seed()
    guild = seed_guild(viewer).id
    analyze()
    secret = api_token_create(user=viewer.user, name="bench").secret
    me = viewer.id
    variants = [
        Variant("GET /api/v1/feed", OURS_PORT, "/api/v1/feed?limit=20"),
        Variant("GET /api/v1/notifications", OURS_PORT, "/api/v1/notifications?limit=20"),
        Variant("GET /api/v1/friends (50)", OURS_PORT, "/api/v1/friends"),
        Variant("GET players/<id>/activity", OURS_PORT,
                f"/api/v1/players/{friend.id}/activity?limit=20"),
        Variant("GET guilds/<id>/members", OURS_PORT, f"/api/v1/guilds/{guild}/members?limit=20"),
        Variant("GET /healthz", OURS_PORT, "/healthz"),
        Variant("floor feed", FLOOR_PORT, f"/floor/feed?player={me}"),
        Variant("floor notifications", FLOOR_PORT, f"/floor/notifications?player={me}"),
        Variant("floor+auth feed", FLOOR_PORT, "/auth/feed"),
        Variant("floor+auth notifications", FLOOR_PORT, "/auth/notifications"),
        Variant("floor guild members", FLOOR_PORT, f"/floor/guild-members?guild={guild}"),
        Variant("floor+auth guild members", FLOOR_PORT, f"/auth/guild-members?guild={guild}"),
        Variant("floor healthz", FLOOR_PORT, "/healthz"),
    ]  # fmt: skip
    for variant in variants[:5]:
        variant.queries = count_queries(variant.path, secret)
    if args.base_tree:
        variants += [
            Variant(f"{variant.name} (base)", BASE_PORT, variant.path) for variant in variants[:6]
        ]
    floors = {
        "GET /api/v1/feed": ("floor feed", "floor+auth feed"),
        "GET /api/v1/notifications": ("floor notifications", "floor+auth notifications"),
        "GET /api/v1/friends (50)": ("floor feed", "floor+auth feed"),
        "GET players/<id>/activity": ("floor feed", "floor+auth feed"),
        "GET guilds/<id>/members": ("floor guild members", "floor+auth guild members"),
        "GET /healthz": ("floor healthz", "floor healthz"),
    }
    floors |= {f"{name} (base)": pair for name, pair in floors.items()}
    if args.only:
        ours = [name for name in floors if re.search(args.only, name)]
        keep = {*ours, *(floor for name in ours for floor in floors[name])}
        variants = [variant for variant in variants if variant.name in keep]
    connection.close()
    servers = {
        OURS_PORT: start_server(OURS_PORT, "community.settings.production", args.workers),
        FLOOR_PORT: start_server(FLOOR_PORT, "bench.rest_floor", args.workers),
    }
    if args.base_tree:
        servers[BASE_PORT] = start_server(
            BASE_PORT, "community.settings.production", args.workers, args.base_tree.resolve()
        )
    try:
        for variant in variants:
            wait_ready(variant, secret)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=ROOT).stdout.strip() or "unknown"  # fmt: skip
        print(f"commit {commit}, wrk -t1 "
              f"-c{args.connections} -d{args.duration}s, {args.workers} sync workers per server, "
              f"{args.repeats} interleaved repeats, 20 rows per page")  # fmt: skip
        for repeat in range(args.repeats):
            load_before = Path("/proc/loadavg").read_text().split()[0]
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                run_wrk(variant, servers[variant.port].pid, secret, args)
            load_after = Path("/proc/loadavg").read_text().split()[0]
            print(f"repeat {repeat + 1}: loadavg {load_before} -> {load_after}")
        report(variants, floors)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
