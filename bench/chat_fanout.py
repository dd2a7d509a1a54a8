"""Chat fan-out: our chat (node-local fan-out, messages stored before delivery) against stock
Channels ``group_send`` and two baselines, all measured in the same run.

Run (needs PostgreSQL and Redis; uses their databases as configured)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/chat_fanout.py

Servers, one room each:

* ``websockets``: a plain ``websockets`` broadcast server (the physical limit);
* ``raw_asgi``: a raw ASGI app under Daphne, no Channels (Daphne's own floor);
* ``stock``: a stock Channels consumer + ``group_send`` on the Redis layer, under Daphne;
* ``ours``: the real ``community.asgi`` app under Daphne (auth, chat commands, PostgreSQL
  storage, Redis layer, node-local fan-out), receivers subscribed to one lobby; the senders
  are the reference client (``clients/python``: ``ChatClient.send`` with a client message id,
  waiting for each ``sent`` reply).

Persistence, first and in-process, against batched ``COPY``s of the same message rows (500
per transaction, rows prepared before the clock: the fastest batched insert): the group
committer's storage step on admitted messages (sequence block, ``COPY``, read markers, commit;
500 per transaction), and the whole send path without websockets (``store_async`` with
``--store-window`` messages in flight: admission, storage, publish).

Measurements (medians of ``--runs``): closed-loop capacity in deliveries/s with 100 and 1,000
receivers (senders keep a window of messages in flight; a message completes when every
receiver has it), and the p99 delivery latency at 2,000 deliveries/s open loop with 1,000
receivers. Client and servers share the machine, so read the ratios.
"""

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

from community_chat import ChatClient  # noqa: E402 — the reference client game teams get

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.local")

SERVERS = ("websockets", "raw_asgi", "stock", "ours")
LOST_AFTER_SECONDS = 5.0
LIMITS_ENV = {
    "CHAT_RATE_PLAYER_CAPACITY": "10000000",
    "CHAT_RATE_PLAYER_PER_SECOND": "10000000",
    "CHAT_RATE_CHANNEL_CAPACITY": "10000000",
    "CHAT_RATE_CHANNEL_PER_SECOND": "10000000",
    "CHAT_SOCKETS_PER_PLAYER": "100000",
    "CHAT_MESSAGE_MAX_LENGTH": "2000",
    "LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "false",  # as in production: no per-query bookkeeping
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


@contextlib.contextmanager
def run_server(kind: str, port: int) -> Iterator[None]:
    from community.server import daphne_argv

    if kind == "websockets":
        argv = [sys.executable, "-m", "bench.fanout.websockets_server", str(port)]
    else:
        argv = daphne_argv(host="127.0.0.1", port=port)
        apps = {"raw_asgi": "bench.fanout.raw_asgi:application",
                "stock": "bench.fanout.stock_channels:application"}  # fmt: skip
        argv[-1] = apps.get(kind, argv[-1])
    env = {**os.environ, **LIMITS_ENV, "DJANGO_ENV": "local",
           "DJANGO_SETTINGS_MODULE": "bench.fanout.settings"}  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


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


class Room:
    """Receivers and senders of one server kind; counts deliveries per message."""

    def __init__(self, kind: str, url: str, fixture: Fixture) -> None:
        self.kind, self.url, self.fixture = kind, url, fixture
        self.receivers: list = []
        self.senders: list = []
        self.tasks: list[asyncio.Task] = []
        self.remaining: dict[int, int] = {}
        self.sent_at: dict[int, float] = {}
        self.deliveries = 0
        self.latencies: list[float] = []
        self.window: asyncio.Semaphore | None = None
        self.lost = 0
        self.failed_sends = 0

    async def _open(self, token: str | None, *, subscribe: bool) -> object:
        if self.kind != "ours":
            return await websockets.connect(self.url, open_timeout=60, max_queue=None)
        connection = await websockets.connect(
            self.url, subprotocols=["community.v1", f"bearer.{token}"],
            open_timeout=60, max_queue=None,
        )  # fmt: skip
        await connection.send('{"type":"hello","id":"h","version":1}')
        await connection.recv()
        if subscribe:
            await connection.send(
                '{"type":"subscribe","id":"s","channels":[{"channel_id":'
                f"{self.fixture.channel_id}}}]}}"
            )
            while '"subscribed"' not in await connection.recv():
                pass
        return connection

    async def open(self, receivers: int, senders: int) -> None:
        for start in range(0, receivers, 100):
            batch = [
                self._open(self.fixture.reader_token, subscribe=True)
                for _ in range(start, min(receivers, start + 100))
            ]
            self.receivers += await asyncio.gather(*batch)
        if self.kind == "ours":  # players send through the reference client (clients/python)
            for token in self.fixture.sender_tokens[:senders]:
                client = ChatClient(self.url, token, request_timeout=60)
                await client.connect()
                self.senders.append(client)
        else:
            for _number in range(senders):
                self.senders.append(await self._open(None, subscribe=False))
            self.tasks += [asyncio.create_task(self._drain(c)) for c in self.senders]
        self.tasks += [asyncio.create_task(self._receive(c)) for c in self.receivers]

    async def _drain(self, connection) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _text in connection:
                pass

    async def _receive(self, connection) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in connection:
                start = text.find("#")
                if start < 0:
                    continue
                number = int(text[start + 1 : text.find("#", start + 1)])
                self.deliveries += 1
                sent_at = self.sent_at.get(number)
                if sent_at is not None:
                    self.latencies.append(time.perf_counter() - sent_at)
                left = self.remaining.get(number, 0) - 1
                self.remaining[number] = left
                if left == 0 and self.window is not None:
                    self.window.release()

    async def send(self, number: int, *, timed: bool = False) -> None:
        self.remaining[number] = len(self.receivers)
        if timed:
            self.sent_at[number] = time.perf_counter()
        sender = self.senders[number % len(self.senders)]
        if self.kind == "ours":
            # ChatClient.send waits for the `sent` reply (with a client_msg_id, retried on
            # rate limits): run it beside the loop so the window keeps messages in flight.
            task = asyncio.create_task(sender.send(self.fixture.channel_id, f"#{number}#"))
            self.tasks.append(task)
            task.add_done_callback(self._forget)
        else:
            await sender.send(f'{{"type":"m","body":"#{number}#"}}')

    def _forget(self, task: asyncio.Task) -> None:
        with contextlib.suppress(ValueError):
            self.tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            self.failed_sends += 1

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for connection in self.receivers + self.senders:
            with contextlib.suppress(Exception):
                await connection.close()  # a websocket or a ChatClient


async def capacity(room: Room, *, seconds: float, window: int) -> float:
    room.window = asyncio.Semaphore(window)
    number = 0
    deadline = time.perf_counter() + 1.0 + seconds
    measured_from = None
    baseline = 0
    while time.perf_counter() < deadline:
        try:
            await asyncio.wait_for(room.window.acquire(), LOST_AFTER_SECONDS)
        except TimeoutError:
            room.lost += 1  # some receiver never got a message: count it, don't hang
        if measured_from is None and time.perf_counter() > deadline - seconds:
            measured_from, baseline = time.perf_counter(), room.deliveries
        number += 1
        await room.send(number)
    assert measured_from is not None
    return (room.deliveries - baseline) / (time.perf_counter() - measured_from)


async def latency_p99(room: Room, *, rate: float, seconds: float) -> float:
    room.window = None
    interval = 1.0 / rate
    start = time.perf_counter()
    number = 1_000_000
    while time.perf_counter() - start < seconds:
        number += 1
        await room.send(number, timed=True)
        next_at = start + (number - 1_000_000) * interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.sleep(1.0)
    ordered = sorted(room.latencies)
    return ordered[int(len(ordered) * 0.99)] * 1000 if ordered else float("nan")


async def settle(room: Room, limit_seconds: float = 10.0) -> None:
    """Let the capacity phase's frames arrive before measuring latency."""
    deadline = time.perf_counter() + limit_seconds
    # Polls counters the receivers update: simpler than an event per message here.
    while any(left > 0 for left in room.remaining.values()) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def measure(kind: str, url: str, fixture: Fixture, args: argparse.Namespace) -> dict:
    results: dict[str, float] = {}
    for receivers in (100, 1000):
        room = Room(kind, url, fixture)
        await room.open(receivers, args.senders)
        window = max(8, args.in_flight // receivers)
        results[f"cap{receivers}"] = await capacity(room, seconds=args.seconds, window=window)
        results[f"lost{receivers}"] = room.lost
        results[f"failed{receivers}"] = room.failed_sends
        if receivers == 1000:
            await settle(room)
            room.latencies.clear()
            results["p99"] = await latency_p99(room, rate=2000 / receivers, seconds=args.seconds)
        await room.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument(
        "--in-flight", type=int, default=6400, help="deliveries in flight (closed loop)"
    )
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--store-messages", type=int, default=20000)
    parser.add_argument("--store-window", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the comparison is production's.")
    os.environ.update(LIMITS_ENV)  # this process stores messages too (persistence phase)
    fixture = prepare_ours(args.senders)
    figures: dict[str, list[dict]] = {}
    stores: list[tuple[float, float, float]] = []
    for run in range(args.runs * bool(args.store_messages)):
        send_path = store_ours(fixture, messages=args.store_messages, window=args.store_window)
        persistence = store_persistence(fixture, messages=args.store_messages)
        baseline = store_baseline(fixture, messages=args.store_messages)
        stores.append((persistence, send_path, baseline))
        print(f"run {run + 1} store: persistence {persistence:,.0f}/s, send path "
              f"{send_path:,.0f}/s, batched COPY {baseline:,.0f}/s", flush=True)  # fmt: skip
    for run in range(args.runs):
        for kind in args.servers.split(","):
            port = free_port()
            with run_server(kind, port):
                url = f"ws://127.0.0.1:{port}/ws/"
                figures.setdefault(kind, []).append(asyncio.run(measure(kind, url, fixture, args)))
            print(f"run {run + 1} {kind}: {figures[kind][-1]}", flush=True)
    report(figures, stores)


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
    medians = {
        kind: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for kind, runs in figures.items()
    }
    print("\nserver          100 clients/s   1,000 clients/s   p99 @2k/s,1k clients")
    for kind, row in medians.items():
        print(f"{kind:<15} {row['cap100']:>13,.0f}   {row['cap1000']:>15,.0f}   "
              f"{row['p99']:>10.1f} ms")  # fmt: skip
    for kind, runs in figures.items():
        lost = sum(run["lost100"] + run["lost1000"] for run in runs)
        if lost:
            print(f"{kind}: {lost} messages never reached every receiver (timed out)")
        failed = sum(run["failed100"] + run["failed1000"] for run in runs)
        if failed:
            print(f"{kind}: {failed} sends failed (error reply or connection lost)")
    floor = medians.get("raw_asgi")
    if floor and "ours" in medians:
        ours = medians["ours"]
        print(f"\nours / raw ASGI under Daphne: {ours['cap100'] / floor['cap100']:.0%} at 100, "
              f"{ours['cap1000'] / floor['cap1000']:.0%} at 1,000 (target ≥ 50%); "
              f"p99 {ours['p99'] / floor['p99']:.2f}x Daphne's (target ≤ 1.5x)")  # fmt: skip
    if "stock" in medians and "ours" in medians:
        stock, ours = medians["stock"], medians["ours"]
        print(f"ours / stock group_send: {ours['cap100'] / stock['cap100']:.1f}x at 100, "
              f"{ours['cap1000'] / stock['cap1000']:.1f}x at 1,000")  # fmt: skip


if __name__ == "__main__":
    main()
