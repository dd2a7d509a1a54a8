"""Soak: the whole service for minutes under chat and game events at once, as in production.

Run (PostgreSQL and Redis; the bench makes a scratch database ``<name>_soak``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community \\
    REDIS_URL=redis://127.0.0.1:6379/6 CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
    .venv/bin/python bench/soak.py --minutes 10

Processes, as the deployment units run them (infra/selfhosted/systemd): two Daphne processes
(``python -m community.server``), a Celery worker (``celery -A community worker``, prefork),
beat, and the Service Bus consumer (``manage.py consume_events``) on the protocol-level test
broker (``tests.servicebus.broker``), which ``manage.py simulate_game`` feeds at ``--event-rate``
with the realistic mix the simulator produces (matches of 2 to 10 players, progress,
achievements, sessions). Meanwhile ``--sockets`` websockets (``bench/wsload.py``), spread over
both Daphne processes and all subscribed to the title's lobby, receive ``--chat-rate``
messages/s sent by a few of them.

Printed every ``--every`` seconds and at the end: the resident memory of every process, the
event backlog (published and not yet applied), deliveries and the p99 delivery latency of the
interval; at the end, how long the backlog took to reach zero after the last event was
published (target: within 5 s), messages that never reached every socket, and the load
averages (the machine is shared: read them beside the figures).
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench import wsload  # noqa: E402
from bench.chat_fanout import free_port, loadavg, wait_for_port  # noqa: E402
from bench.event_ingest import scratch_database, start_broker  # noqa: E402

TITLE = "soak-arena"
TOPIC = "game-events"
SENDERS = 40  # distinct players: 20 messages/s is half a message a second each


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (a prefork worker's pool), in MB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(child) for child in
                 Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]  # fmt: skip
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


@dataclass
class Chat:
    """The sockets, the messages in flight and what each interval measured."""

    sockets: int
    remaining: dict[int, int] = field(default_factory=dict)
    sent_at: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    deliveries: int = 0
    lost: int = 0
    refused: int = 0

    def on_delivery(self, payload: bytes) -> None:
        start = payload.find(b"#")
        if start < 0:
            return
        number = int(payload[start + 1 : payload.find(b"#", start + 1)])
        left = self.remaining.get(number)
        if left is None:
            return
        self.deliveries += 1
        self.latencies.append(time.perf_counter() - self.sent_at[number])
        if left > 1:
            self.remaining[number] = left - 1
        else:
            del self.remaining[number], self.sent_at[number]

    def on_sender_frame(self, payload: bytes) -> None:
        head = payload[:48]
        if b'"sent"' in head:
            return
        if b'"error"' in head:  # {"id": "m12", "type": "error", …}: refused, not lost
            self.refused += 1
            number = int(json.loads(payload)["id"][1:])
            self.remaining.pop(number, None)
            self.sent_at.pop(number, None)
            return
        self.on_delivery(payload)

    def expire(self, older_than: float) -> None:
        """Messages not at every socket ``older_than`` seconds after they were sent: lost."""
        cutoff = time.perf_counter() - older_than
        for number in [n for n, at in self.sent_at.items() if at < cutoff]:
            self.lost += 1
            del self.remaining[number], self.sent_at[number]


def setup(database_url: str, players: int) -> tuple[int, list[str]]:
    """The title, its lobby, and ``players`` players with API tokens."""
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.accounts.services import api_token_create
    from apps.chat.channels import lobby_channel_get_or_create
    from apps.players.services import player_create
    from apps.titles.models import Title

    title, _ = Title.objects.get_or_create(slug=TITLE, defaults={"name": "Soak Arena"})
    lobby = lobby_channel_get_or_create(title=title)
    tokens = []
    for number in range(players):
        user = User.objects.create(username=f"soak{number}", email=f"soak{number}@soak.invalid")
        player_create(user=user, display_name=f"soak{number}")
        tokens.append(api_token_create(user=user, name="soak").secret)
    return lobby.id, tokens


def backlog(published_before: int) -> tuple[int, int]:
    """(events published but not yet in the inbox or applied, inbox rows not yet applied)."""
    from apps.game_events.models import InboxEvent

    rows = InboxEvent.objects.filter(title__slug=TITLE)
    stored = rows.count()
    return max(0, published_before - stored), rows.filter(state="received").count()


def published_count(log: Path) -> int:
    """Events the simulator has published (it prints nothing per event: count from the
    broker's side is not exposed, so the simulator runs with ``--count`` and this reads its
    final line)."""
    text = log.read_text(errors="replace")
    marker = "simulate_game: "
    if marker not in text:
        return -1
    return int(text.rsplit(marker, 1)[1].split()[0])


async def chat_load(chat: Chat, ports: list[int], lobby: int, tokens: list[str],
                    args: argparse.Namespace, stop: asyncio.Event) -> None:  # fmt: skip
    senders: list[wsload.Socket] = []
    opened: list[wsload.Socket] = []
    slots = asyncio.Semaphore(50)

    async def open_one(index: int) -> None:
        token = tokens[index % len(tokens)]
        is_sender = index < SENDERS
        async with slots:
            socket = await wsload.connect(
                "127.0.0.1", ports[index % len(ports)], "/ws/",
                chat.on_sender_frame if is_sender else chat.on_delivery,
                subprotocols=("community.v1", f"bearer.{token}"),
            )  # fmt: skip
            await socket.request(
                f'{{"type":"subscribe","id":"s","channels":[{{"channel_id":{lobby}}}]}}',
                b'"subscribed"',
            )
        (senders if is_sender else opened).append(socket)

    await asyncio.gather(*(open_one(index) for index in range(chat.sockets)))
    opened += senders
    interval = 1.0 / args.chat_rate
    number = 0
    start = time.perf_counter()
    while not stop.is_set():
        number += 1
        chat.remaining[number] = chat.sockets
        chat.sent_at[number] = time.perf_counter()
        senders[number % len(senders)].send(
            f'{{"type":"send","id":"m{number}","channel_id":{lobby},"body":"soak #{number}#",'
            f'"client_msg_id":"soak-{os.getpid()}-{number}"}}'
        )
        chat.expire(older_than=10)
        await asyncio.sleep(max(0.0, start + number * interval - time.perf_counter()))
    await asyncio.sleep(2)
    chat.expire(older_than=0)
    for socket in opened:
        socket.close()


def report_interval(label: str, chat: Chat, processes: dict[str, subprocess.Popen],
                    events: tuple[int | None, int]) -> None:  # fmt: skip
    """One report line; ``events`` = (published but not stored — known only at the end, when
    the simulator has said how many it published — and stored but not applied)."""
    ordered = sorted(chat.latencies)
    p99 = ordered[int(len(ordered) * 0.99)] * 1000 if ordered else float("nan")
    memory = ", ".join(f"{name} {rss_mb(p.pid):.0f}" for name, p in processes.items())
    print(f"{label}: deliveries {chat.deliveries:,} p99 {p99:.0f} ms; lost {chat.lost}; "
          f"events waiting: to store {'?' if events[0] is None else events[0]}, "
          f"to apply {events[1]}; RSS MB: {memory}; "
          f"load {loadavg()}", flush=True)  # fmt: skip
    chat.latencies.clear()
    chat.deliveries = 0


async def soak(args: argparse.Namespace, processes: dict[str, subprocess.Popen],
               ports: list[int], lobby: int, tokens: list[str], sim_log: Path) -> None:  # fmt: skip
    chat = Chat(sockets=args.sockets)
    stop = asyncio.Event()
    load = asyncio.create_task(chat_load(chat, ports, lobby, tokens, args, stop))
    started = time.monotonic()
    ends = started + args.minutes * 60
    while time.monotonic() < ends:
        await asyncio.sleep(min(args.every, max(0.0, ends - time.monotonic())))
        if load.done():
            load.result()  # raises what stopped it
        _unknown, to_apply = await asyncio.to_thread(backlog, 0)
        report_interval(f"{time.monotonic() - started:5.0f} s", chat, processes, (None, to_apply))
    stop.set()
    await load
    simulator = processes.pop("simulator")
    simulator.terminate()
    simulator.wait(30)
    last_event_at = time.monotonic()
    published = published_count(sim_log)
    while True:
        waiting = await asyncio.to_thread(backlog, published)
        if waiting == (0, 0) or time.monotonic() - last_event_at > 300:
            break
        await asyncio.sleep(0.2)
    drained = time.monotonic() - last_event_at
    report_interval("end", chat, processes, waiting)
    rate = published / (args.minutes * 60)
    drain = "" if waiting == (0, 0) else f" - NOT drained: {waiting}"
    print(f"\n{published:,} events published ({rate:.1f}/s); backlog at zero {drained:.1f} s "
          f"after the last one (target ≤ 5 s){drain}; chat: {chat.lost} messages lost, "
          f"{chat.refused} sends refused")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--chat-rate", type=float, default=20, help="messages/s")
    parser.add_argument("--event-rate", type=float, default=50, help="events/s")
    parser.add_argument("--every", type=float, default=30, help="seconds between reports")
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        if not os.environ.get(name):
            sys.exit(f"Set {name}: the soak runs the production parts.")
    database_url = scratch_database(os.environ["DATABASE_URL"], "_soak")
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    broker, connection_string = start_broker(tmp, [TOPIC])
    env = {
        **os.environ,
        "DJANGO_ENV": "local",
        "DJANGO_SETTINGS_MODULE": "community.settings.local",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SERVICEBUS_CONNECTION_STRING": connection_string,
        "SERVICEBUS_TOPIC": TOPIC,
        "SERVICEBUS_SUBSCRIPTION": "s",
        "CHAT_SOCKETS_PER_PLAYER": "100",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    lobby, tokens = setup(database_url, players=max(SENDERS, args.sockets // 5))
    processes: dict[str, subprocess.Popen] = {}
    logs = {}

    def start(name: str, *argv: str, **extra: str) -> subprocess.Popen:
        logs[name] = tmp / f"{name}.log"
        with logs[name].open("w") as log:
            processes[name] = subprocess.Popen(
                argv, cwd=ROOT, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT
            )
        return processes[name]

    ports = [free_port(), free_port()]
    try:
        for index, port in enumerate(ports):
            daphne = start(f"daphne{index + 1}", sys.executable, "-m", "community.server",
                           "--host", "127.0.0.1", "--port", str(port))  # fmt: skip
            wait_for_port(port, daphne)
        # The worker without its consumer children: the consumer runs as its own unit.
        start("worker", sys.executable, "-m", "celery", "-A", "community", "worker",
              "--concurrency", "2", "--loglevel", "WARNING", "--without-mingle",
              SERVICEBUS_CONNECTION_STRING="")  # fmt: skip
        start("beat", sys.executable, "-m", "celery", "-A", "community", "beat",
              "--loglevel", "WARNING", "--schedule", str(tmp / "beat-schedule"))  # fmt: skip
        start("consumer", sys.executable, "manage.py", "consume_events")
        start("simulator", sys.executable, "manage.py", "simulate_game", "--title", TITLE,
              "--players", "40", "--rate", str(args.event_rate), "--seed", "7")  # fmt: skip
        print(f"soak: {args.minutes:g} min, {args.sockets} sockets on 2 Daphne processes, "
              f"{args.chat_rate:g} messages/s, {args.event_rate:g} events/s (simulate_game's "
              f"mix); logs in {tmp}; load {loadavg()}", flush=True)  # fmt: skip
        wsload.run(soak(args, processes, ports, lobby, tokens, logs["simulator"]))
    finally:
        for process in [*processes.values(), broker]:
            process.terminate()
        for process in [*processes.values(), broker]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
