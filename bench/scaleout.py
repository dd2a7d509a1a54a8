"""Scale-out: chat fan-out with one Daphne host against two behind nginx, the fan-out lag
across hosts, and the memory and accept time of idle authenticated, subscribed sockets.

Run (needs PostgreSQL, Redis and nginx; creates the scratch database
``<DATABASE_URL's name>_bench_scaleout``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_ops \\
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/scaleout.py

Hosts are processes on distinct loopback ports (not the network namespaces of
tests/infra/test_scaleout.py: on one machine a namespace adds routing, not capacity), each a
real ``community.asgi`` Daphne (auth, chat, PostgreSQL storage, the Redis channel layer)
started like production (``community.server.daphne_argv``). One nginx (a minimal config of the
``/ws/`` route of infra/selfhosted/nginx/community.conf, without TLS) listens on two ports:
``one`` proxies to host A only, ``two`` round-robins over A and B. Both rows go through the
same nginx, so the comparison is only the number of hosts.

Phases (in one run, the rows of each repeat interleaved, order rotated):

1. calibration: the plain ``websockets`` fan-out server driven by the same client
   (``bench/wsload.py``): it must be that server's CPU that saturates, not the client's;
2. fan-out: ``--clients`` sockets through nginx subscribed to one lobby, closed loop swept over
   in-flight windows to the plateau: deliveries/s, CPU of the Daphne hosts, nginx and the
   client, and the hosts' CPU µs per delivery (the figure a loaded machine does not move);
3. lag across hosts: senders on host A, half the receivers on A and half on B (direct), open
   loop at ``--lag-rate`` messages/s: latency p50/p99 per side; the difference is what the hop
   through Redis to another host costs;
4. idle sockets: ``--idle-sockets`` authenticated sockets, each subscribed to the lobby, opened
   on one fresh Daphne; its RSS growth per socket (KB) and the time to accept them, beside the
   same for the plain ``websockets`` server.

The target (two hosts ≥ 1.6 x one) assumes each host has its own cores. On one machine each
Daphne host is given its own: a cgroup of its own with a CPU quota (``--host-cores``, default
0.1 of a core where this process may make cgroups, as root here), so two hosts have twice the
CPU of one while nginx, the client, Redis and PostgreSQL share what is left. The hosts' CPU
column shows whether the budget is what binds (each host at its quota; a row under 90 % of it
is printed as not host-bound: a larger budget lets one host deliver more than the client and
nginx can carry for two on a 2-core machine); ``--host-cores 0`` runs
unbounded, where both hosts and everything else share the machine's cores and the ratio says
more about the machine than the design. The µs per delivery is the scale-out cost per message
either way. ``--only fanout`` runs the calibration and the fan-out rows alone.
"""

import argparse
import asyncio
import contextlib
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench import wsload  # noqa: E402
from bench.chat_fanout import (  # noqa: E402
    LIMITS_ENV,
    LOST_AFTER_SECONDS,
    Fixture,
    Room,
    cpu_seconds,
    free_port,
    loadavg,
    prepare_ours,
    run_server,
    wait_for_port,
)
from bench.event_ingest import scratch_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.local")

# Messages in flight, swept. Not beyond 128: with 1,000 sockets that is 128,000 deliveries
# queued (about 2 s of a held host's work when a delivery cost 6.5 µs; about 0.6 s at 0.1
# core and 0.5 µs now); more measures queueing, not capacity (a message then waits past
# LOST_AFTER_SECONDS for its last socket and the window stalls).
WINDOWS = (2, 8, 32, 128)
# A host's own CPU on a shared machine: each Daphne host held to this budget, so that two hosts
# have twice one host's CPU and the rest (nginx, the client, Redis, PostgreSQL) keeps a core.
DEFAULT_HOST_CORES = 0.1
NGINX_CONF = """daemon off; worker_processes 1; pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 40000; }}
worker_rlimit_nofile 40000;
http {{
  access_log off;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  upstream one {{ server 127.0.0.1:{a}; }}
  upstream two {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
  server {{ listen 127.0.0.1:{one}; location /ws/ {{ proxy_pass http://one; {ws} }} }}
  server {{ listen 127.0.0.1:{two}; location /ws/ {{ proxy_pass http://two; {ws} }} }}
}}
"""
WS_PROXY = (
    "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
    'proxy_set_header Connection "upgrade"; proxy_set_header Host $host; '
    "proxy_read_timeout 120s; proxy_buffering off;"
)


@contextlib.contextmanager
def daphne_host(port: int, cores: float | None = None) -> Iterator[subprocess.Popen]:
    """One host: the real app under Daphne, chat limits raised (the server is measured); with
    ``cores``, its process held to that CPU budget in a cgroup of its own (a host's cores)."""
    with run_server("ours", port) as server, cpu_budget(server.pid, cores):
        yield server


CGROUP_V1 = Path("/sys/fs/cgroup/cpu")
# The quota's period: 10 ms (the kernel's default is 100 ms, which runs a held host for 40 ms
# and freezes it for 60: bursts that a real host's own cores do not have).
CFS_PERIOD_US = 10_000
CGROUP_V2 = Path("/sys/fs/cgroup")


def cgroups_writable() -> bool:
    """Whether this process may make CPU cgroups (root with the v1 ``cpu`` controller mounted,
    or a v2 hierarchy with ``cpu`` among its subtree controllers)."""
    if (CGROUP_V1 / "cpu.cfs_quota_us").exists():
        return os.access(CGROUP_V1, os.W_OK)
    controllers = CGROUP_V2 / "cgroup.subtree_control"
    return (
        controllers.exists()
        and "cpu" in controllers.read_text().split()
        and os.access(CGROUP_V2, os.W_OK)
    )


@contextlib.contextmanager
def cpu_budget(pid: int, cores: float | None) -> Iterator[Path | None]:
    """Hold ``pid`` (every thread of it) to ``cores`` of CPU time per period: the CFS quota of
    a cgroup of its own, removed afterwards. ``None`` leaves the process unbounded."""
    if cores is None:
        yield None
        return
    version_1 = (CGROUP_V1 / "cpu.cfs_quota_us").exists()
    group = (CGROUP_V1 if version_1 else CGROUP_V2) / f"community-bench-{pid}"
    group.mkdir()
    try:  # from here on the group is removed whatever fails
        quota = int(CFS_PERIOD_US * cores)
        if version_1:
            (group / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (group / "cpu.max").write_text(f"{quota} {CFS_PERIOD_US}")
        (group / "cgroup.procs").write_text(str(pid))
        yield group
    finally:
        with contextlib.suppress(OSError):  # the process may have exited, or never moved
            (group.parent / "cgroup.procs").write_text(str(pid))
        group.rmdir()


@contextlib.contextmanager
def nginx(work: Path, a: int, b: int) -> Iterator[tuple[subprocess.Popen, int, int]]:
    one, two = free_port(), free_port()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / folder).mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, a=a, b=b, one=one, two=two, ws=WS_PROXY))
    process = subprocess.Popen(["nginx", "-c", str(conf), "-e", str(work / "error.log")])
    try:
        wait_for_port(one, process)
        wait_for_port(two, process)
        yield process, one, two
    finally:
        process.terminate()
        process.wait(10)


def process_tree(pid: int) -> list[int]:
    """The pid and its children (nginx's worker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += process_tree(int(child))
    return found


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def established(port: int) -> int:
    result = subprocess.run(["ss", "-Htn", "state", "established", f"sport = :{port}"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    return len(result.stdout.splitlines())


@dataclass
class Capacity:
    window: int
    rate: float
    hosts_cpu: float  # cores
    proxy_cpu: float
    client_cpu: float
    us_per_delivery: float  # the hosts' CPU per delivery


async def capacity(room: Room, hosts: list[int], proxy: list[int], *, seconds: float,
                   window: int, number: int) -> tuple[Capacity, int]:  # fmt: skip
    """Closed loop with ``window`` messages in flight, measured after a 1 s warm-up."""
    room.window = asyncio.Semaphore(window)
    warm_until, measured_from = time.perf_counter() + 1.0, 0.0
    before: tuple[int, float, float, float] = (0, 0.0, 0.0, 0.0)

    def cpu(pids: list[int]) -> float:
        return sum(cpu_seconds(pid) for pid in pids)

    while True:
        try:
            await asyncio.wait_for(room.window.acquire(), LOST_AFTER_SECONDS)
        except TimeoutError:
            room.lost += 1
        now = time.perf_counter()
        if not measured_from and now >= warm_until:
            measured_from = now
            before = (room.deliveries, cpu(hosts), cpu(proxy), cpu_seconds())
        elif measured_from and now - measured_from >= seconds:
            break
        number += 1
        room.send(number)
    elapsed = time.perf_counter() - measured_from
    deliveries = room.deliveries - before[0]
    hosts_cpu = cpu(hosts) - before[1]
    figure = Capacity(
        window=window, rate=deliveries / elapsed, hosts_cpu=hosts_cpu / elapsed,
        proxy_cpu=(cpu(proxy) - before[2]) / elapsed,
        client_cpu=(cpu_seconds() - before[3]) / elapsed,
        us_per_delivery=hosts_cpu / deliveries * 1e6 if deliveries else float("nan"),
    )  # fmt: skip
    await room.settle()
    room.window = None
    return figure, number


async def plateau(room: Room, hosts: list[int], proxy: list[int], seconds: float,
                  number: int) -> tuple[Capacity, int]:  # fmt: skip
    """Sweep every window; the best is the plateau (ours does not always grow from one window
    to the next before it grows several-fold: bench/chat_fanout.py's ``plateau``)."""
    sweep: list[Capacity] = []
    for window in WINDOWS:
        figure, number = await capacity(room, hosts, proxy, seconds=seconds, window=window,
                                        number=number)  # fmt: skip
        sweep.append(figure)
    return max(sweep, key=lambda f: f.rate), number


async def fanout(kind: str, port: int, fixture: Fixture, hosts: list[int], proxy: list[int],
                 args: argparse.Namespace, number: int) -> tuple[Capacity, int]:  # fmt: skip
    room = Room(kind, port, fixture)
    await room.open(args.clients, args.senders)
    try:
        figure, number = await plateau(room, hosts, proxy, args.seconds, number)
    finally:
        room.close()
    if room.lost:
        print(f"  {room.lost} messages had not reached every socket within "
              f"{LOST_AFTER_SECONDS:.0f} s; {room.late} deliveries came after that "
              "(late, not necessarily lost)", flush=True)  # fmt: skip
    return figure, number


class LagProbe:
    """Latency of every delivery, by the receiver's side (the sender's host or the other)."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.latency: dict[str, list[float]] = {"same host": [], "other host": []}

    def receiver(self, side: str) -> wsload.OnFrame:
        latencies = self.latency[side]

        def on_frame(payload: bytes) -> None:
            start = payload.find(b"#")
            if start >= 0:
                sent = self.sent_at.get(int(payload[start + 1 : payload.find(b"#", start + 1)]))
                if sent is not None:
                    latencies.append(time.perf_counter() - sent)

        return on_frame


async def lag(ports: tuple[int, int], fixture: Fixture, args: argparse.Namespace) -> dict:
    probe = LagProbe()

    async def join(port: int, token: str, on_frame: wsload.OnFrame) -> wsload.Socket:
        socket = await wsload.connect("127.0.0.1", port, "/ws/", on_frame,
                                      subprotocols=("community.v1", f"bearer.{token}"))  # fmt: skip
        await socket.request(
            f'{{"type":"subscribe","id":"s","channels":[{{"channel_id":{fixture.channel_id}}}]}}',
            b'"subscribed"',
        )
        return socket

    senders = [await join(ports[0], token, lambda _: None) for token in fixture.sender_tokens]
    receivers = await asyncio.gather(*(
        join(ports[index % 2], fixture.reader_token,
             probe.receiver("same host" if index % 2 == 0 else "other host"))
        for index in range(args.lag_receivers)
    ))  # fmt: skip
    interval, start = 1 / args.lag_rate, time.perf_counter()
    for number in range(int(args.lag_rate * args.lag_seconds)):
        probe.sent_at[number] = time.perf_counter()
        senders[number % len(senders)].send(
            f'{{"type":"send","id":"l{number}","channel_id":{fixture.channel_id},'
            f'"body":"#{number}#","client_msg_id":"lag{os.getpid()}-{number}"}}'
        )
        await asyncio.sleep(max(0.0, start + (number + 1) * interval - time.perf_counter()))
    await asyncio.sleep(LOST_AFTER_SECONDS)
    for socket in [*senders, *receivers]:
        socket.close()
    expected = int(args.lag_rate * args.lag_seconds) * (args.lag_receivers // 2)
    result = {}
    for side, values in probe.latency.items():
        ordered = sorted(values)
        pick = lambda share: ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000  # noqa: E731, B023
        result[side] = {"p50": pick(0.5), "p99": pick(0.99), "received": len(ordered),
                        "expected": expected}  # fmt: skip
    return result


async def idle(kind: str, port: int, pid: int, fixture: Fixture, count: int) -> dict:
    """Open ``count`` idle sockets (authenticated and subscribed for ours), 100 at a time."""

    retried = 0

    async def one() -> wsload.Socket:
        """A socket; a handshake the loaded server reset (its 5 s handshake timeout) is
        retried, and counted."""
        nonlocal retried
        for attempt in range(5):
            try:
                return await open_one()
            except ConnectionError:
                if attempt == 4:
                    raise
                retried += 1
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def open_one() -> wsload.Socket:
        if kind == "websockets":
            return await wsload.connect("127.0.0.1", port, "/ws/", lambda _: None)
        socket = await wsload.connect(
            "127.0.0.1", port, "/ws/", lambda _: None,
            subprotocols=("community.v1", f"bearer.{fixture.reader_token}"),
        )  # fmt: skip
        await socket.request(
            f'{{"type":"subscribe","id":"s","channels":[{{"channel_id":{fixture.channel_id}}}]}}',
            b'"subscribed"',
        )
        return socket

    sockets = [await one() for _ in range(100)]  # warm: imports, pools, caches
    await asyncio.sleep(1)
    rss_before, cpu_before, started = rss_kb(pid), cpu_seconds(pid), time.perf_counter()
    for first in range(100, count, 100):
        sockets += await asyncio.gather(*(one() for _ in range(min(100, count - first))))
    accept_seconds = time.perf_counter() - started
    cpu_used = cpu_seconds(pid) - cpu_before
    await asyncio.sleep(2)  # let the server settle its buffers
    grown = rss_kb(pid) - rss_before
    opened = len(sockets) - 100
    for socket in sockets:
        socket.close()
    return {"sockets": len(sockets), "kb_per_socket": grown / opened,
            "rss_mb": rss_kb(pid) / 1024, "accept_seconds": accept_seconds,
            "accept_per_second": opened / accept_seconds, "retried": retried,
            "cpu_ms_per_socket": cpu_used / opened * 1000}  # fmt: skip


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measured window")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--lag-receivers", type=int, default=200)
    parser.add_argument("--lag-rate", type=float, default=50.0, help="messages/s")
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument("--idle-sockets", type=int, default=10_000)
    parser.add_argument(
        "--only",
        choices=("idle", "fanout"),
        help="run one phase (fanout: calibration and fan-out rows only)",
    )
    parser.add_argument(
        "--host-cores", type=float, default=None,
        help="hold each Daphne host to this many cores (a cgroup CPU quota of its own; default "
             f"{DEFAULT_HOST_CORES} where cgroups are writable, else unbounded)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.host_cores is None and cgroups_writable():
        args.host_cores = DEFAULT_HOST_CORES
    args.host_cores = args.host_cores or None  # 0: unbounded
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: hosts share them as in production.")
    os.environ["DATABASE_URL"] = scratch_database(os.environ["DATABASE_URL"], "_bench_scaleout")
    os.environ.update(LIMITS_ENV)
    fixture = prepare_ours(args.senders)
    print(f"load client: bench/wsload.py on {wsload.loop_name()}; {os.cpu_count()} CPUs shared "
          f"with other work (loaded machine); commit {_commit()}", flush=True)  # fmt: skip
    if args.only == "idle":
        idle_only(fixture, args)
        return

    with run_server("websockets", port := free_port()) as baseline:
        figure, _ = wsload.run(fanout("websockets", port, fixture, [baseline.pid], [], args, 0))
    print(f"calibration: plain websockets server, {args.clients} clients, window "
          f"{figure.window}: {figure.rate:,.0f} deliveries/s, server CPU {figure.hosts_cpu:.0%},"
          f" client CPU {figure.client_cpu:.0%} (load {loadavg()})", flush=True)  # fmt: skip

    rows: dict[str, list[Capacity]] = {"one": [], "two": []}
    a_port, b_port = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as work,
        daphne_host(a_port, args.host_cores) as host_a,
        daphne_host(b_port, args.host_cores) as host_b,
        nginx(Path(work), a_port, b_port) as (proxy, one_port, two_port),
    ):
        proxy_pids = process_tree(proxy.pid)
        number = 0
        for repeat in range(args.repeats):
            order = ["one", "two"] if repeat % 2 == 0 else ["two", "one"]
            for row in order:
                load = loadavg()
                port, hosts = (one_port, [host_a.pid]) if row == "one" else (
                    two_port, [host_a.pid, host_b.pid])  # fmt: skip
                figure, number = wsload.run(
                    fanout("ours", port, fixture, hosts, proxy_pids, args, number)
                )
                rows[row].append(figure)
                print(f"repeat {repeat + 1} {row} host(s): window {figure.window} "
                      f"{figure.rate:,.0f} deliveries/s, hosts CPU {figure.hosts_cpu:.0%}, "
                      f"nginx {figure.proxy_cpu:.0%}, client {figure.client_cpu:.0%}, "
                      f"{figure.us_per_delivery:.1f} µs/delivery (load {load} -> {loadavg()})",
                      flush=True)  # fmt: skip
        if args.only == "fanout":
            report_fanout(rows, None, args)
            return
        spread = wsload.run(_spread(two_port, fixture, a_port, b_port))
        lags = wsload.run(lag((a_port, b_port), fixture, args))
    with daphne_host(port := free_port()) as fresh:
        ours_idle = wsload.run(idle("ours", port, fresh.pid, fixture, args.idle_sockets))
    with run_server("websockets", port := free_port()) as plain:
        plain_idle = wsload.run(idle("websockets", port, plain.pid, fixture, args.idle_sockets))
    report(rows, spread, lags, ours_idle, plain_idle, args)


def idle_only(fixture: Fixture, args: argparse.Namespace) -> None:
    """The idle-socket phase alone, ``--repeats`` times, ours and the plain server interleaved
    (each on a fresh process)."""
    for repeat in range(args.repeats):
        for kind in ("ours", "websockets") if repeat % 2 == 0 else ("websockets", "ours"):
            load = loadavg()
            server = daphne_host if kind == "ours" else functools.partial(run_server, kind)
            with server(port := free_port()) as process:
                figure = wsload.run(idle(kind, port, process.pid, fixture, args.idle_sockets))
            print(f"repeat {repeat + 1} idle sockets, {kind}: {_idle_line(figure)} "
                  f"(load {load} -> {loadavg()})", flush=True)  # fmt: skip


def _idle_line(figure: dict) -> str:
    return (
        f"{figure['sockets']:,} open, {figure['kb_per_socket']:.1f} KB/socket, "
        f"RSS {figure['rss_mb']:.0f} MB; accepted {figure['accept_per_second']:,.0f}/s "
        f"({figure['accept_seconds']:.1f} s), {figure['cpu_ms_per_socket']:.2f} ms "
        f"server CPU/socket, {figure['retried']} reset handshakes retried"
    )


async def _spread(port: int, fixture: Fixture, a: int, b: int) -> tuple[int, int]:
    """Where nginx puts 100 new sockets: (on A, on B). The sockets of the rows before are
    still closing at first; counted once the hosts' connections stop changing."""
    before = await _settled(a, b)
    room = Room("ours", port, fixture)
    await room.open(100, 1)
    after = established(a), established(b)
    room.close()
    return after[0] - before[0], after[1] - before[1]


async def _settled(a: int, b: int) -> tuple[int, int]:
    counts, still = (established(a), established(b)), 0
    for _ in range(100):
        await asyncio.sleep(0.2)
        now = established(a), established(b)
        still = still + 1 if now == counts else 0
        if still == 5:
            break
        counts = now
    return counts


def report_fanout(rows: dict[str, list[Capacity]], spread: tuple[int, int] | None,
                  args: argparse.Namespace) -> None:  # fmt: skip
    one = [f.rate for f in rows["one"]]
    two = [f.rate for f in rows["two"]]
    ratio = statistics.median(two) / statistics.median(one)
    us_one = statistics.median(f.us_per_delivery for f in rows["one"])
    us_two = statistics.median(f.us_per_delivery for f in rows["two"])
    budget = (f"each host held to {args.host_cores:g} cores (a cgroup CPU quota)"
              if args.host_cores else "hosts unbounded, sharing the machine's cores")  # fmt: skip
    print(f"\nfan-out, {args.clients} sockets through nginx, {budget}, median (min-max) of "
          f"{args.repeats}:")  # fmt: skip
    print(f"  one host : {_median(one)} deliveries/s, {us_one:.1f} µs host CPU/delivery")
    placed = f" (nginx spread 100 new sockets {spread[0]}/{spread[1]})" if spread else ""
    print(f"  two hosts: {_median(two)} deliveries/s, {us_two:.1f} µs host CPU/delivery{placed}")
    print(
        f"  two/one = {ratio:.2f}x (target >= 1.6x with a host's own cores; scale-out "
        f"efficiency {ratio / 2:.2f}); CPU per delivery two/one = {us_two / us_one:.2f}"
    )
    if args.host_cores:
        for row, hosts in (("one", 1), ("two", 2)):
            used = statistics.median(f.hosts_cpu for f in rows[row]) / (hosts * args.host_cores)
            if used < 0.9:
                print(f"  NOT HOST-BOUND: the {row}-host row used {used:.0%} of its hosts' "
                      "budget; what bound it was the rest of the machine (the client, nginx) "
                      "or the window, so two/one says little about scale-out")  # fmt: skip


def report(rows: dict[str, list[Capacity]], spread: tuple[int, int], lags: dict,
           ours_idle: dict, plain_idle: dict, args: argparse.Namespace) -> None:  # fmt: skip
    report_fanout(rows, spread, args)
    print(
        f"fan-out lag, senders on host A, {args.lag_rate:.0f} messages/s to "
        f"{args.lag_receivers} receivers:"
    )
    for side, figure in lags.items():
        print(
            f"  {side:<10}: p50 {figure['p50']:.1f} ms, p99 {figure['p99']:.1f} ms "
            f"({figure['received']}/{figure['expected']} deliveries)"
        )
    print(
        f"  across hosts adds p50 {lags['other host']['p50'] - lags['same host']['p50']:+.1f} "
        f"ms, p99 {lags['other host']['p99'] - lags['same host']['p99']:+.1f} ms"
    )
    for name, figure in (("ours (auth + subscribe)", ours_idle), ("plain websockets", plain_idle)):
        print(f"idle sockets, {name} (target <= 30 KB/socket for ours): {_idle_line(figure)}")
    print(f"load {loadavg()}; all figures from a loaded, shared 2-core machine")


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    return result.stdout.strip() or "?"


if __name__ == "__main__":
    main()
