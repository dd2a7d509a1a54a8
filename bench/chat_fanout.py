"""Chat fan-out: our chat (node-local fan-out, messages stored before delivery) against stock
Channels ``group_send`` and two baselines, all driven by one load client that costs far less
per frame than any of them (``bench/wsload.py``: hand-written RFC 6455 framing on uvloop).

Run (needs PostgreSQL and Redis; uses their databases as configured)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/chat_fanout.py

Servers, one room each; every server delivers each message to every one of the N sockets
(the few that send are receivers too):

* ``websockets``: a plain ``websockets`` broadcast server (the physical limit);
* ``raw_asgi``: a raw ASGI app under Daphne, no Channels (Daphne's own floor);
* ``stock``: a stock Channels consumer + ``group_send`` on the Redis layer, under Daphne;
* ``ours``: the real ``community.asgi`` app under Daphne (auth, chat commands, PostgreSQL
  storage, Redis layer, node-local fan-out), every socket subscribed to one lobby, senders
  using ``send`` with a ``client_msg_id``; chat rate limits raised so that the server, not a
  limit, is measured;
* ``ours_prod``: the same with the production chat rate limits (only the per-player socket
  cap is raised: the bench's receivers are one player) — what a lobby gets as shipped.

Each run prints, per server and client count (100, 1,000): closed-loop capacity swept over
every in-flight window (the best is the plateau: deliveries/s), the server's and the client's
CPU (from ``/proc``) and the server's CPU µs per delivery; open-loop latency at 2,000
deliveries/s with 1,000 clients (p50/p99/max); a connect storm (1,000 sockets, 100
concurrent: handshake, and for ours authentication and ``subscribe`` with a resume of the last
5 messages, checked for gaps); messages lost. The calibration line shows the plain
``websockets`` server driven by this client: it must be the server's CPU that saturates, not
the client's. Repeats are interleaved (the server order rotates) and ``/proc/loadavg`` is
printed around each block.

``--only cpu`` measures only the CPU µs per delivery (ours and the baselines, one window per
client count at the sweep's usual plateau: 128 in flight at 100 clients, 32 at 1,000),
the steadiest figure on a shared machine, in a fraction of the full run's time.

Persistence, first and in-process, against batched ``COPY``s of the same message rows (500
per transaction, rows prepared before the clock: the fastest batched insert): the group
committer's storage step on admitted messages (sequence block, ``COPY``, read markers, commit;
500 per transaction), and the whole send path without websockets (``store_async`` with
``--store-window`` messages in flight: admission, storage, publish).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench import wsload  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.local")

SERVERS = ("websockets", "raw_asgi", "stock", "ours", "ours_prod")
LOST_AFTER_SECONDS = 5.0
# Every server: production logging and no per-query bookkeeping; the bench's receivers are one
# player, so the per-player socket cap is raised everywhere.
BENCH_ENV = {
    "CHAT_SOCKETS_PER_PLAYER": "100000",
    "LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "false",
}
RAISED_LIMITS_ENV = {
    "CHAT_RATE_PLAYER_CAPACITY": "10000000",
    "CHAT_RATE_PLAYER_PER_SECOND": "10000000",
    "CHAT_RATE_CHANNEL_CAPACITY": "10000000",
    "CHAT_RATE_CHANNEL_PER_SECOND": "10000000",
}
LIMITS_ENV = {**BENCH_ENV, **RAISED_LIMITS_ENV}
WINDOWS = {100: (2, 8, 32, 128), 1000: (1, 2, 8, 32)}  # messages in flight, swept
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# Servers listen below the kernel's ephemeral range (32768-60999 by default): a port the kernel
# hands out for binding port 0 is one it may hand again, a moment later, to an outgoing socket of
# the load client or nginx (thousands of them), and the server then fails to listen on it.
SERVER_PORTS = range(20_000, 32_000)
_port_rng = random.Random()


def free_port() -> int:
    """A port nothing listens on, outside the ephemeral range (``SERVER_PORTS``)."""
    for _ in range(200):
        port = _port_rng.choice(SERVER_PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def listener_pids(port: int) -> set[int]:
    """The processes listening on ``port`` (``ss``; empty while none)."""
    result = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    return {int(pid) for pid in re.findall(r"pid=(\d+)", result.stdout)}


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Until ``process`` itself listens on ``port`` (another process answering on it is not
    the server: a bench must not measure a server that failed to start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if process.pid in listener_pids(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


@contextlib.contextmanager
def run_server(kind: str, port: int) -> Iterator[subprocess.Popen]:
    from community.server import daphne_argv

    if kind == "websockets":
        argv = [sys.executable, "-m", "bench.fanout.websockets_server", str(port)]
    else:
        argv = daphne_argv(host="127.0.0.1", port=port)
        apps = {"raw_asgi": "bench.fanout.raw_asgi:application",
                "stock": "bench.fanout.stock_channels:application"}  # fmt: skip
        argv[-1] = apps.get(kind, argv[-1])
    limits = BENCH_ENV if kind == "ours_prod" else LIMITS_ENV
    env = {**os.environ, **limits, "DJANGO_ENV": "local",
           "DJANGO_SETTINGS_MODULE": "bench.fanout.settings"}  # fmt: skip
    for name in RAISED_LIMITS_ENV if kind == "ours_prod" else ():
        env.pop(name, None)
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU of a process so far (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def loadavg() -> str:
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[:3])


@dataclass
class Fixture:
    channel_id: int = 0
    reader_token: str = ""
    sender_tokens: list[str] = field(default_factory=list)
    title_id: int = 0


def prepare_ours(senders: int) -> Fixture:
    """Migrate, then a bench title, its lobby and players with API tokens."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from apps.accounts.models import User
    from apps.accounts.services import api_token_create
    from apps.chat.channels import lobby_channel_get_or_create
    from apps.chat.models import Message
    from apps.players.services import player_create
    from apps.titles.models import Title

    title, _ = Title.objects.get_or_create(slug="bench-fanout", defaults={"name": "Bench"})
    lobby = lobby_channel_get_or_create(title=title)
    Message.objects.filter(channel=lobby).delete()

    def player_token(name: str) -> str:
        user, created = User.objects.get_or_create(
            username=name, defaults={"email": f"{name}@bench.invalid"}
        )
        if created or not hasattr(user, "player"):
            player_create(user=user, display_name=name)
        return api_token_create(user=user, name="bench").secret

    return Fixture(
        title_id=title.id,
        channel_id=lobby.id,
        reader_token=player_token("benchreader"),
        sender_tokens=[player_token(f"benchsender{n}") for n in range(senders)],
    )


def store_ours(fixture: Fixture, *, messages: int, window: int) -> float:
    """Messages/s through the group committer, ``window`` in flight (many sockets' sends)."""
    from apps.chat.commit import committer_stop, store_async
    from apps.chat.services import message_pending
    from apps.players.models import Player

    authors = list(Player.objects.filter(user__username__startswith="benchsender"))

    async def run() -> float:
        slots = asyncio.Semaphore(window)

        async def one(number: int) -> None:
            async with slots:
                pending = message_pending(
                    channel_id=fixture.channel_id, author=authors[number % len(authors)],
                    body=f"store #{number}#",
                )  # fmt: skip
                await store_async(pending)

        start = time.perf_counter()
        await asyncio.gather(*(one(number) for number in range(messages)))
        return messages / (time.perf_counter() - start)

    rate = asyncio.run(run())
    committer_stop()
    return rate


def _store_rows(fixture: Fixture, locale: str, messages: int):  # type: ignore[no-untyped-def]
    """A channel of its own (emptied) and the messages to store in it, not yet saved."""
    from apps.chat.channels import lobby_channel_get_or_create
    from apps.chat.models import Message
    from apps.players.models import Player
    from apps.titles.models import Title

    channel = lobby_channel_get_or_create(
        title=Title.objects.get(id=fixture.title_id), locale=locale
    )
    Message.objects.filter(channel=channel).delete()
    channel.last_seq = 0
    channel.save(update_fields=["last_seq"])
    authors = list(Player.objects.filter(user__username__startswith="benchsender"))
    bodies = [(authors[number % len(authors)], f"store #{number}#") for number in range(messages)]
    return channel, bodies


def store_persistence(fixture: Fixture, *, messages: int, batch: int = 500) -> float:
    """Messages/s of the group committer's storage step (``store_batch``: sequence block,
    ``COPY``, read markers, commit), one transaction per ``batch`` admitted messages."""
    from django.db import transaction

    from apps.chat.admission import Pending
    from apps.chat.commit import store_batch
    from apps.chat.models import Message

    channel, bodies = _store_rows(fixture, "persistence", messages)
    pendings = [Pending(channel_id=channel.id, channel=channel, author=author, body=body)
                for author, body in bodies]  # fmt: skip
    start = time.perf_counter()
    for first in range(0, messages, batch):
        with transaction.atomic():
            store_batch(pendings[first : first + batch])
    rate = messages / (time.perf_counter() - start)
    Message.objects.filter(channel=channel).delete()
    return rate


def store_baseline(fixture: Fixture, *, messages: int, batch: int = 500) -> float:
    """Rows/s of plain ``COPY``s of the same message rows, ``batch`` per transaction (the
    fastest batched insert psycopg has), rows prepared before the clock starts."""
    from django.db import connection, transaction

    from apps.chat.models import Message

    channel, bodies = _store_rows(fixture, "baseline", messages)
    fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
    rows = []
    for number, (author, body) in enumerate(bodies):
        message = Message(channel=channel, seq=number + 1, author=author, body=body)
        rows.append([f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields])
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    start = time.perf_counter()
    for first in range(0, messages, batch):
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY chat_message ({columns}) FROM STDIN") as copy,
        ):
            for row in rows[first : first + batch]:
                copy.write_row(row)
    rate = messages / (time.perf_counter() - start)
    Message.objects.filter(channel=channel).delete()
    return rate


def is_ours(kind: str) -> bool:
    return kind.startswith("ours")


class Room:
    """N sockets on one server, all receiving every message; the first few also send. Counts
    deliveries per message (a message completes when every socket has it)."""

    def __init__(self, kind: str, port: int, fixture: Fixture) -> None:
        self.kind, self.port, self.fixture = kind, port, fixture
        self.sockets: list[wsload.Socket] = []
        self.senders: list[wsload.Socket] = []
        self.remaining: dict[int, int] = {}
        self.sent_at: dict[int, float] = {}
        self.deliveries = 0
        self.latencies: list[float] = []
        self.window: asyncio.Semaphore | None = None
        self.lost = 0  # messages that had not reached every socket LOST_AFTER_SECONDS later
        self.late = 0  # deliveries that came after their message was counted lost
        self.refused: dict[str, int] = {}
        # The server de-duplicates retried sends by client_msg_id: every room's must be new,
        # or a later repeat in the same bench process is answered from the first (no delivery).
        self.client_msg_prefix = f"b{os.getpid()}-{time.time_ns()}"

    # --- the hot path: one call per received frame ---------------------------------------
    def on_delivery(self, payload: bytes) -> None:
        start = payload.find(b"#")
        if start < 0:
            return
        number = int(payload[start + 1 : payload.find(b"#", start + 1)])
        left = self.remaining.get(number, 0) - 1
        if left < 0:  # after the message was counted lost (or a duplicate)
            self.late += 1
            return
        self.deliveries += 1
        sent_at = self.sent_at.get(number)
        if sent_at is not None:
            self.latencies.append(time.perf_counter() - sent_at)
        if left:
            self.remaining[number] = left
            return
        del self.remaining[number]
        if self.window is not None:
            self.window.release()

    def on_sender_frame(self, payload: bytes) -> None:
        """Ours: a sender's socket also gets its ``sent`` replies and errors."""
        head = payload[:48]  # replies: {"id": "m12", "type": "sent", …}
        if b'"sent"' in head:
            return
        if b'"error"' in head:
            reply = json.loads(payload)
            code = reply.get("code", "?")
            self.refused[code] = self.refused.get(code, 0) + 1
            number = int(reply["id"][1:])
            if self.remaining.pop(number, None) is not None and self.window is not None:
                self.window.release()
            return
        self.on_delivery(payload)

    # --- setup -------------------------------------------------------------------------
    async def _open(self, token: str | None, on_frame: wsload.OnFrame) -> wsload.Socket:
        protocols = ("community.v1", f"bearer.{token}") if is_ours(self.kind) else ()
        socket = await wsload.connect(
            "127.0.0.1", self.port, "/ws/", on_frame, subprotocols=protocols
        )
        if is_ours(self.kind):
            channel = self.fixture.channel_id
            await socket.request(
                f'{{"type":"subscribe","id":"s","channels":[{{"channel_id":{channel}}}]}}',
                b'"subscribed"',
            )
        return socket

    async def open(self, count: int, senders: int) -> None:
        tokens = self.fixture.sender_tokens[:senders]
        self.senders = [await self._open(token, self.on_sender_frame) for token in tokens]
        self.sockets = list(self.senders)
        for start in range(len(self.sockets), count, 100):
            batch = min(count, start + 100) - start
            self.sockets += await asyncio.gather(
                *(self._open(self.fixture.reader_token, self.on_delivery) for _ in range(batch))
            )

    def send(self, number: int, *, timed: bool = False) -> None:
        self.remaining[number] = len(self.sockets)
        if timed:
            self.sent_at[number] = time.perf_counter()
        sender = self.senders[number % len(self.senders)]
        if is_ours(self.kind):
            sender.send(
                f'{{"type":"send","id":"m{number}","channel_id":{self.fixture.channel_id},'
                f'"body":"#{number}#","client_msg_id":"{self.client_msg_prefix}-{number}"}}'
            )
        else:
            sender.send(f'{{"type":"m","body":"#{number}#"}}')

    async def settle(self, limit_seconds: float = LOST_AFTER_SECONDS) -> None:
        """Wait for messages in flight; those still short of a receiver then count as lost."""
        deadline = time.perf_counter() + limit_seconds
        # Polls counters the receive path updates: no per-message event on the hot path.
        while self.remaining and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.lost += len(self.remaining)
        self.remaining.clear()

    def close(self) -> None:
        for connection in self.sockets:
            connection.close()


@dataclass
class Capacity:
    window: int
    rate: float  # deliveries/s
    server_cpu: float  # share of one core
    client_cpu: float
    us_per_delivery: float


async def capacity(room: Room, server: subprocess.Popen, *, seconds: float, window: int,
                   number: int) -> tuple[Capacity, int]:  # fmt: skip
    """Closed loop: ``window`` messages in flight; measured after a 1 s warm-up."""
    room.window = asyncio.Semaphore(window)
    warm_until = time.perf_counter() + 1.0
    measured_from = 0.0
    before = (0, 0.0, 0.0)
    while True:
        try:
            await asyncio.wait_for(room.window.acquire(), LOST_AFTER_SECONDS)
        except TimeoutError:
            room.lost += 1  # a message never reached every socket: count it, don't hang
        now = time.perf_counter()
        if not measured_from and now >= warm_until:
            measured_from = now
            before = (room.deliveries, cpu_seconds(server.pid), cpu_seconds())
        elif measured_from and now - measured_from >= seconds:
            break
        number += 1
        room.send(number)
    elapsed = time.perf_counter() - measured_from
    deliveries = room.deliveries - before[0]
    server_cpu = cpu_seconds(server.pid) - before[1]
    client_cpu = cpu_seconds() - before[2]
    await room.settle()
    room.window = None
    return Capacity(
        window=window, rate=deliveries / elapsed, server_cpu=server_cpu / elapsed,
        client_cpu=client_cpu / elapsed,
        us_per_delivery=server_cpu / deliveries * 1e6 if deliveries else float("nan"),
    ), number  # fmt: skip


async def plateau(room: Room, server: subprocess.Popen, clients: int, seconds: float,
                  number: int) -> tuple[Capacity, list[Capacity], int]:  # fmt: skip
    """Sweep every window; the best is the plateau. Not "until capacity stops growing": ours
    at 1,000 clients does not grow from 1 to 2 messages in flight (each message is 1,000
    separate socket writes, CPU-bound at ~25,000 deliveries/s) but grows sixfold by 32, where
    a tick's frames to one socket leave as one write."""
    sweep: list[Capacity] = []
    for window in WINDOWS[clients]:
        figure, number = await capacity(room, server, seconds=seconds, window=window,
                                        number=number)  # fmt: skip
        sweep.append(figure)
    return max(sweep, key=lambda f: f.rate), sweep, number


async def latency(room: Room, *, deliveries_per_second: float, seconds: float,
                  number: int) -> tuple[dict[str, float], int]:  # fmt: skip
    """Open loop at a fixed offered load: p50/p99/max of every delivery."""
    room.latencies.clear()
    interval = len(room.sockets) / deliveries_per_second
    start = time.perf_counter()
    sent = 0
    while time.perf_counter() - start < seconds:
        number += 1
        sent += 1
        room.send(number, timed=True)
        await asyncio.sleep(max(0.0, start + sent * interval - time.perf_counter()))
    await room.settle()
    ordered = sorted(room.latencies)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}, number
    pick = lambda share: ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000  # noqa: E731
    return {"p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1] * 1000}, number


async def storm(kind: str, port: int, fixture: Fixture, *, pid: int, sockets: int = 1000,
                concurrent: int = 100, resume: int = 5) -> dict[str, float]:  # fmt: skip
    """``sockets`` clients connecting ``concurrent`` at a time; ours authenticate (bearer
    subprotocol) and subscribe resuming the lobby's last ``resume`` messages, which must all
    arrive, in order, before ``subscribed``. Also the server's (``pid``) CPU per connect."""
    head, stored = (
        await asyncio.to_thread(_lobby_tail, fixture, resume) if is_ours(kind) else (0, [])
    )
    since = max(0, head - resume)
    gaps = 0
    retried: list[int] = []
    opened: list[wsload.Socket] = []
    slots = asyncio.Semaphore(concurrent)
    seq_pattern = re.compile(rb'"seq": ?(\d+)')

    async def one() -> None:
        nonlocal gaps
        seqs: list[int] = []

        def on_frame(payload: bytes) -> None:
            found = seq_pattern.search(payload)
            if found:
                seqs.append(int(found.group(1)))

        async with slots:
            protocols = ("community.v1", f"bearer.{fixture.reader_token}") if is_ours(kind) else ()
            socket = await _connect_retrying(port, on_frame, protocols, retried)
            if is_ours(kind):
                await socket.request(
                    '{"type":"subscribe","id":"s","channels":[{"channel_id":'
                    f'{fixture.channel_id},"last_seq":{since}}}]}}',
                    b'"subscribed"',
                )
                gaps += seqs != stored
            opened.append(socket)

    start, cpu_before = time.perf_counter(), cpu_seconds(pid)
    await asyncio.gather(*(one() for _ in range(sockets)))
    elapsed = time.perf_counter() - start
    cpu_ms = (cpu_seconds(pid) - cpu_before) / sockets * 1000
    for connection in opened:
        connection.close()
    return {"storm": elapsed, "gaps": gaps, "storm_cpu_ms": cpu_ms, "retried": len(retried)}


async def _connect_retrying(port: int, on_frame: wsload.OnFrame, protocols: tuple[str, ...],
                            retried: list[int]) -> wsload.Socket:  # fmt: skip
    """A handshake the server reset (Daphne drops one not accepted within its 5 s handshake
    timeout: a loaded server) is tried again, as a client would, and counted."""
    for attempt in range(5):
        try:
            return await wsload.connect("127.0.0.1", port, "/ws/", on_frame,
                                        subprotocols=protocols)  # fmt: skip
        except ConnectionError:
            if attempt == 4:
                raise
            retried.append(attempt)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def _seed_lobby(port: int, fixture: Fixture, messages: int = 5) -> None:
    """Send ``messages`` to the lobby, so a storm's resume replays that many."""
    protocols = ("community.v1", f"bearer.{fixture.sender_tokens[0]}")
    socket = await wsload.connect("127.0.0.1", port, "/ws/", lambda _: None, subprotocols=protocols)
    for number in range(messages):
        reply = await socket.request(
            f'{{"type":"send","id":"seed{number}","channel_id":{fixture.channel_id},'
            f'"body":"warm-up {time.time_ns()}","client_msg_id":"seed{time.time_ns()}"}}',
            f'"seed{number}"'.encode(),
        )
        if b'"sent"' not in reply:
            raise RuntimeError(f"seeding the lobby failed: {reply!r}")
    socket.close()


def _lobby_tail(fixture: Fixture, count: int) -> tuple[int, list[int]]:
    """The lobby's head ``seq`` and the stored messages among its last ``count``."""
    from apps.chat.models import Channel, Message

    head = Channel.objects.get(id=fixture.channel_id).last_seq
    stored = Message.objects.filter(channel_id=fixture.channel_id, seq__gt=head - count)
    return head, sorted(stored.values_list("seq", flat=True))


async def measure(kind: str, port: int, server: subprocess.Popen, fixture: Fixture,
                  args: argparse.Namespace) -> dict:  # fmt: skip
    results: dict = {}
    number = 0
    if args.only == "storm":
        if is_ours(kind):
            await _seed_lobby(port, fixture)  # warms the server too, and gives resume work
        return await storm(kind, port, fixture, pid=server.pid)
    if args.only == "cpu":
        return await cpu_per_delivery(kind, port, server, fixture, args.seconds)
    for clients in (100, 1000):
        room = Room(kind, port, fixture)
        await room.open(clients, args.senders)
        best, sweep, number = await plateau(room, server, clients, args.seconds, number)
        results[clients] = {"best": best, "sweep": sweep}
        if clients == 1000:
            results["latency"], number = await latency(
                room, deliveries_per_second=2000, seconds=args.seconds, number=number
            )
        results[f"lost{clients}"] = room.lost
        results[f"late{clients}"] = room.late
        results[f"refused{clients}"] = room.refused
        room.close()
    # The storm needs no stock figure (its Redis pool refuses 1,000 concurrent group_adds).
    if kind != "stock":
        results.update(await storm(kind, port, fixture, pid=server.pid))
    return results


# The plateau windows of the sweep on this machine: what ``--only cpu`` measures at.
CPU_WINDOWS = {100: 128, 1000: 32}


async def cpu_per_delivery(kind: str, port: int, server: subprocess.Popen, fixture: Fixture,
                           seconds: float) -> dict:  # fmt: skip
    """One closed-loop window per client count (no sweep, latency or storm): the steadiest
    figure, CPU µs per delivery, at the lowest cost of machine time."""
    results: dict = {}
    for clients, window in CPU_WINDOWS.items():
        room = Room(kind, port, fixture)
        await room.open(clients, 4)
        await capacity(room, server, seconds=2, window=window, number=0)  # warm-up
        results[clients], _ = await capacity(
            room, server, seconds=seconds, window=window, number=10**6
        )
        results[f"lost{clients}"] = room.lost
        room.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured window")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--store-messages", type=int, default=20000)
    parser.add_argument("--store-window", type=int, default=2000)
    parser.add_argument(
        "--only",
        choices=("storm", "cpu"),
        help="storm: only the connect storm; cpu: only CPU per delivery at the plateau windows "
        "(no store phase, sweep, latency or storm)",
    )
    args = parser.parse_args()
    if args.only in ("storm", "cpu"):
        args.store_messages = 0
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the comparison is production's.")
    os.environ.update(LIMITS_ENV)  # this process stores messages too (persistence phase)
    fixture = prepare_ours(args.senders)
    print(f"load client: bench/wsload.py on {wsload.loop_name()}; "
          f"{os.cpu_count()} CPUs; commit {_commit()}", flush=True)  # fmt: skip
    figures: dict[str, list[dict]] = {}
    stores: list[tuple[float, float, float]] = []
    for run in range(args.runs * bool(args.store_messages)):
        send_path = store_ours(fixture, messages=args.store_messages, window=args.store_window)
        persistence = store_persistence(fixture, messages=args.store_messages)
        baseline = store_baseline(fixture, messages=args.store_messages)
        stores.append((persistence, send_path, baseline))
        print(f"run {run + 1} store: persistence {persistence:,.0f}/s, send path "
              f"{send_path:,.0f}/s, batched COPY {baseline:,.0f}/s", flush=True)  # fmt: skip
    kinds = args.servers.split(",")
    for run in range(args.runs):
        order = kinds[run % len(kinds) :] + kinds[: run % len(kinds)]  # rotate each repeat
        for kind in order:
            load_before = loadavg()
            port = free_port()
            with run_server(kind, port) as server:
                figures.setdefault(kind, []).append(
                    wsload.run(measure(kind, port, server, fixture, args))
                )
            row = figures[kind][-1]
            if args.only == "cpu":
                print(f"run {run + 1} {kind:<10} load {load_before} -> {loadavg()}: "
                      + "; ".join(f"{c}: {row[c].rate:,.0f}/s {row[c].us_per_delivery:.1f} µs/dlv "
                                  f"srv {row[c].server_cpu:.0%} cli {row[c].client_cpu:.0%} "
                                  f"lost {row[f'lost{c}']}" for c in CPU_WINDOWS),
                      flush=True)  # fmt: skip
                continue
            if args.only == "storm":
                print(f"run {run + 1} {kind:<10} load {load_before} -> {loadavg()}: storm "
                      f"{row.get('storm', 0):.2f} s, server CPU "
                      f"{row.get('storm_cpu_ms', 0):.1f} ms/connect, {row.get('gaps', 0)} gaps, "
                      f"{row.get('retried', 0)} reset handshakes retried",
                      flush=True)  # fmt: skip
                continue
            print(f"run {run + 1} {kind:<10} load {load_before} -> {loadavg()}: "
                  + "; ".join(f"{clients}: " + ", ".join(
                      f"w{f.window} {f.rate:,.0f}/s srv {f.server_cpu:.0%} cli {f.client_cpu:.0%}"
                      for f in row[clients]["sweep"]) for clients in (100, 1000))
                  + f"; p99 {row['latency']['p99']:.1f} ms; storm {row.get('storm', 0):.2f} s",
                  flush=True)  # fmt: skip
    if args.only is None:
        report(figures, stores)


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    return result.stdout.strip() or "?"


def _median(runs: list[dict], pick: Callable[[dict], float]) -> tuple[float, float, float]:
    values = [pick(run) for run in runs]
    return statistics.median(values), min(values), max(values)


def _calibration_verdict(server: float, client: float) -> str:
    """Whether the baseline reached the server's limit. On a 2-core machine the server and
    the client each have a core: a saturated server is at its limit here, whatever the
    client's CPU; a client saturated first is what limits the baseline."""
    if server >= 0.95:
        return "the server saturates its core: the baseline is at its limit on this machine" + (
            " (the client's core is busy too: both cores are full)" if client >= 0.9 else ""
        )
    if server > client and client < 0.9:
        return "the server saturates first: the client is not the bottleneck"
    return "CLIENT-BOUND: the client's CPU is the limit; the ratios below understate the baselines"


def report(figures: dict[str, list[dict]], stores: list[tuple[float, float, float]]) -> None:
    if stores:
        persistence, send_path, baseline = (
            statistics.median(run[column] for run in stores) for column in range(3)
        )
        print(f"\npersistence (group commit storage): {persistence:,.0f} messages/s = "
              f"{persistence / baseline:.0%} of batched COPY {baseline:,.0f} rows/s "
              "(target ≥ 50%)")  # fmt: skip
        print(f"send path (admission + storage + publish, no sockets): {send_path:,.0f} "
              f"messages/s = {send_path / baseline:.0%} of batched COPY")  # fmt: skip
    if "websockets" in figures:
        print("\ncalibration (plain websockets server driven by this client, medians):")
        for clients in (100, 1000):
            runs = figures["websockets"]
            rate = _median(runs, lambda r, c=clients: r[c]["best"].rate)[0]
            server = _median(runs, lambda r, c=clients: r[c]["best"].server_cpu)[0]
            client = _median(runs, lambda r, c=clients: r[c]["best"].client_cpu)[0]
            verdict = _calibration_verdict(server, client)
            print(f"  {clients:>5} clients: {rate:,.0f} deliveries/s, server CPU {server:.0%}, "
                  f"client CPU {client:.0%} — {verdict}")  # fmt: skip
    print("\nmedians (min-max) of the plateau; CPU µs per delivery: the server process")
    print(f"{'server':<11} {'100 clients/s':>24} {'µs/dlv':>7} {'1,000 clients/s':>24} "
          f"{'µs/dlv':>7} {'p99 @2k/s,1k':>13} {'storm 1k':>9}")  # fmt: skip
    medians: dict[str, dict[str, float]] = {}
    for kind, runs in figures.items():
        row: dict[str, float] = {}
        cells = []
        for clients in (100, 1000):
            rate, low, high = _median(runs, lambda r, c=clients: r[c]["best"].rate)
            cost = _median(runs, lambda r, c=clients: r[c]["best"].us_per_delivery)[0]
            row[f"cap{clients}"], row[f"us{clients}"] = rate, cost
            cells.append(f"{rate:>9,.0f} ({low:,.0f}-{high:,.0f}) {cost:>7.1f}")
        row["p99"] = _median(runs, lambda r: r["latency"]["p99"])[0]
        row["storm"] = _median(runs, lambda r: r.get("storm", float("nan")))[0]
        medians[kind] = row
        print(f"{kind:<11} {cells[0]:>32} {cells[1]:>32} {row['p99']:>10.1f} ms "
              f"{row['storm']:>7.2f} s")  # fmt: skip
    for kind, runs in figures.items():
        lost = sum(run["lost100"] + run["lost1000"] for run in runs)
        late = sum(run["late100"] + run["late1000"] for run in runs)
        gaps = sum(run.get("gaps", 0) for run in runs)
        refused: dict[str, int] = {}
        for run in runs:
            for clients in (100, 1000):
                for code, count in run[f"refused{clients}"].items():
                    refused[code] = refused.get(code, 0) + count
        print(f"{kind}: lost {lost} messages ({late} deliveries came later), {gaps} resume gaps"
              + (f", sends refused {refused}" if refused else ""))  # fmt: skip
    ours, floor, plain = medians.get("ours"), medians.get("raw_asgi"), medians.get("websockets")
    if ours and floor:
        cost = ours["us100"] / floor["us100"], ours["us1000"] / floor["us1000"]
        print(f"\nours / raw ASGI under Daphne: CPU per delivery {cost[0]:.2f}x "
              f"at 100, {cost[1]:.2f}x at 1,000 (target ≤ 1.5x); "
              f"p99 {ours['p99'] / floor['p99']:.2f}x (target ≤ 1.5x)")  # fmt: skip
    if ours and plain:
        print(f"ours / plain websockets: capacity {ours['cap100'] / plain['cap100']:.2f} at 100 "
              f"(target ≥ 0.35), {ours['cap1000'] / plain['cap1000']:.2f} at 1,000 "
              "(target ≥ 0.45)")  # fmt: skip
    if ours:
        print(
            f"ours: 1,000 clients connected, authenticated and resumed in {ours['storm']:.2f} s "
            "at 100 concurrent (target ≤ 5 s, no gap)"
        )
    if "stock" in medians and ours:
        stock = medians["stock"]
        print(f"ours / stock group_send: {ours['cap100'] / stock['cap100']:.1f}x at 100, "
              f"{ours['cap1000'] / stock['cap1000']:.1f}x at 1,000")  # fmt: skip


if __name__ == "__main__":
    main()
