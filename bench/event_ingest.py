"""Game-event ingestion throughput, end to end, against baselines measured in the same run.

Run (needs PostgreSQL; a Celery broker makes the effects run on a real worker)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/event_ingest.py

It creates a scratch database ``<name>_bench_events`` on that server, starts the Service Bus
test broker (``python -m tests.servicebus.broker``) and, for receive batch sizes 1, 32 and 256
(prefetch = batch size), reports events per second for:

* **end to end**: ``manage.py consume_events`` (peek-lock receive, grouped across receive
  calls → validate → inbox in one transaction → complete) plus ``celery -A community worker``
  applying the effects in batches; measured from the first inbox row written to the last
  effect applied. The events are the mix ``manage.py simulate_game`` produces, made by its own
  generator (``GameSimulator``): sessions, matches of 2 to 10 players (per-title stats, guild
  stats, feed entries, notifications, presence, match channels), progress, achievements and
  the odd sanction, UGC item or announcement; the header prints the shares;
* **bare SDK**: an ``azure-servicebus`` receive-and-complete loop on the same broker with the
  same batch size and prefetch, doing nothing else (the ceiling for any consumer);
* **raw PostgreSQL**: batched inbox inserts plus one level/xp update per event with psycopg
  ``executemany``, one transaction per batch (a floor for the cheapest event's database work,
  not for the mix).

Each run prints a calibration line: the bare loop's rate with the CPU of its client (this
process) and of the broker, and the load average before and after (benchmarking.md).
It also prints the CPU each event costs (milliseconds of user + system time per event, read
from ``/proc``): our consumer process and the Celery worker against the bare loop's client.
Events/s at batch 1 are latency-bound and move with where the scheduler puts the processes
(see docs/events.md); the CPU per event does not.

Absolute numbers depend on the machine; read the ratios. ``--runs N`` repeats the whole
measurement N times in one broker and database and prints the medians at the end (the
machine is shared: one run is noise); ``--batch-sizes 1`` measures only those. The consumer
takes its settings from the environment (e.g. ``SERVICEBUS_GROUP_WAIT_SECONDS``).
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from math import nan
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH_SIZES = (1, 32, 256)
IDENTITIES = 200
TITLE = "bench-arena"


def scratch_database(base_url: str, suffix: str = "_bench_events") -> str:
    """A new, empty database ``<name><suffix>`` on ``base_url``'s server (dropped first if a
    previous run left it); its URL."""
    import psycopg

    url = urlsplit(base_url)
    name = f"{url.path.lstrip('/') or 'community'}{suffix}"
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url._replace(path=f"/{name}").geturl()


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    broker = env.get("CELERY_BROKER_URL", "")
    env.update(
        DJANGO_SETTINGS_MODULE="community.settings.test",
        DATABASE_URL=database_url,
        DATABASE_POOL_MAX_SIZE="4",
        CELERY_TASK_ALWAYS_EAGER="0" if broker else "1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_broker(tmp: Path, topics: list[str]) -> tuple[subprocess.Popen, str]:
    port_file = tmp / "broker.port"
    args = [sys.executable, "-m", "tests.servicebus.broker", "--port", "0",
            "--lock-duration", "60", "--port-file", str(port_file)]  # fmt: skip
    for topic in topics:
        args += ["--subscription", f"{topic}/s"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the Service Bus test broker did not start")
        time.sleep(0.1)
    port = int(port_file.read_text())
    return process, (
        f"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true"
    )


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of a process (all its threads); ``None``: this process."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_events(prefix: str, count: int, seed: int = 0) -> list[dict]:
    """``count`` events of the mix ``manage.py simulate_game`` produces (its generator: sessions,
    matches of 2 to 10 players with stats, feed and notifications, progress, achievements, the
    odd sanction/UGC/announcement), ids prefixed so a run finds its rows. Each run continues
    the same world (one simulator per seed), so later runs see players already in matches."""
    from apps.game_events.simulator import GameSimulator, roster_for

    simulator = _SIMULATORS.setdefault(
        seed, GameSimulator(TITLE, roster_for(IDENTITIES, TITLE), random.Random(seed))
    )
    events: list[dict] = []
    while len(events) < count:
        for event in simulator.step():
            event["id"] = f"{prefix}-{len(events)}"
            events.append(event)
    return events[:count]


_SIMULATORS: dict[int, Any] = {}


def mix_of(events: list[dict]) -> str:
    types = Counter(event["type"] for event in events)
    players = [len(e["data"]["players"]) for e in events if e["type"] == "match.completed"]
    share = ", ".join(f"{kind} {100 * n / len(events):.0f}%" for kind, n in types.most_common())
    size = f"{min(players)}-{max(players)} players, mean {statistics.mean(players):.1f}"
    return f"{share}; matches {size}" if players else share


def publish(connection_string: str, topic: str, events: list[dict]) -> None:
    from azure.servicebus import ServiceBusClient, ServiceBusMessage

    client = ServiceBusClient.from_connection_string(connection_string)
    with client, client.get_topic_sender(topic) as sender:
        for start in range(0, len(events), 200):
            chunk = events[start : start + 200]
            sender.send_messages(
                [ServiceBusMessage(json.dumps(e), message_id=e["id"]) for e in chunk]
            )


def bare_sdk(
    connection_string: str, topic: str, count: int, batch: int, broker: int
) -> tuple[float, float, float, float]:
    """Events/s of a receive-and-complete loop, its CPU milliseconds per message, and the
    share of one core the loop's client (this process) and the broker used meanwhile: the
    calibration (if the client is near 100 % and the broker is not, the bench measures its
    own client, not the ceiling)."""
    from azure.servicebus import ServiceBusClient

    client = ServiceBusClient.from_connection_string(connection_string)
    done, started, cpu = 0, 0.0, 0.0
    with client, client.get_subscription_receiver(topic, "s", prefetch_count=batch) as receiver:
        while done < count:
            # No more than remain: the SDK would hold a short tail it had already read ahead
            # for the whole max wait (consumer.RECEIVE_SLICE_SECONDS tells why).
            messages = receiver.receive_messages(
                max_message_count=min(batch, count - done), max_wait_time=5
            )
            if not started:
                started, cpu = time.perf_counter(), cpu_seconds()
                broker_cpu = cpu_seconds(broker)
            if not messages:
                raise RuntimeError(f"bare SDK loop starved at {done}/{count}")
            for message in messages:
                receiver.complete_message(message)
            done += len(messages)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    broker_cpu = cpu_seconds(broker) - broker_cpu
    return count / elapsed, 1000 * cpu / count, 100 * cpu / elapsed, 100 * broker_cpu / elapsed


def end_to_end(env: dict, connection_string: str, topic: str, prefix: str, count: int,
               batch: int, worker: int | None) -> tuple[float, ...]:  # fmt: skip
    """Events/s applied and stored, then CPU ms per event of the consumer and the worker
    (counted from the first group stored, so that process start-up is left out)."""
    from django.conf import settings
    from django.db.models import Max, Min

    from apps.game_events.models import InboxEvent

    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "consume_events", "--connection-string", connection_string,
         "--topic", topic, "--subscription", "s", "--batch-size", str(batch),
         "--prefetch", str(batch), "--max-wait", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    rows = InboxEvent.objects.filter(event_id__startswith=f"{prefix}-")

    def cpu_now() -> tuple[float, float]:
        return cpu_seconds(consumer.pid), cpu_seconds(worker) if worker else 0.0

    try:
        deadline, first = time.monotonic() + 600, None
        # Done when no row waits any more (a rare event a handler refuses ends ``failed``).
        while (applied := rows.exclude(state="received").count()) < count:
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise RuntimeError(f"end to end stalled: {applied}")
            if first is None and (stored := rows.count()):
                first = (stored, applied, cpu_now())
            time.sleep(0.2)
        cpu = cpu_now()
    finally:
        consumer.terminate()
        consumer.wait(30)
    span = rows.aggregate(first=Min("created_at"), stored=Max("created_at"), last=Max("applied_at"))
    # The first inbox row commits only after the consumer's first group was received, which
    # takes up to the group window: count the whole window (the bare loop's clock starts at its
    # first receive), so a longer window cannot flatter the figure.
    window = float(
        env.get("SERVICEBUS_GROUP_WAIT_SECONDS") or settings.SERVICEBUS_GROUP_WAIT_SECONDS
    )
    consumed = count / max(0.001, (span["stored"] - span["first"]).total_seconds() + window)
    stored, applied, cpu_then = first or (count, count, cpu)
    # nan when the first sample came too late (a run too short to tell start-up from work).
    consumer_ms = 1000 * (cpu[0] - cpu_then[0]) / (count - stored) if count > stored else nan
    worker_ms = 1000 * (cpu[1] - cpu_then[1]) / (count - applied) if count > applied else nan
    e2e = count / ((span["last"] - span["first"]).total_seconds() + window)
    return e2e, consumed, consumer_ms, worker_ms


def raw_postgres(database_url: str, count: int, batch: int) -> float:
    """The same rows written by hand: inbox inserts and stats updates, a transaction a batch."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        title_id, player_ids = _bench_ids(connection)
        prefix = f"raw{batch}-{uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        for start in range(0, count, batch):
            indexes = range(start, min(count, start + batch))
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO game_events_inboxevent (source, event_id, title_id, event_type,"
                    " version, subject, occurred_at, channel, state, reason, detail, payload,"
                    " applied_at, created_at, updated_at) VALUES (%s, %s, %s,"
                    " 'player.progressed', 1, '', now(), 'servicebus', 'applied', '', '', %s,"
                    " now(), now(), now())",
                    [(f"/titles/{TITLE}", f"{prefix}-{i}", title_id,
                      json.dumps({"data": {"xp": i}})) for i in indexes],
                )  # fmt: skip
                cursor.executemany(
                    "UPDATE players_playertitlestats SET level = %s, xp = %s, updated_at = now()"
                    " WHERE player_id = %s AND title_id = %s",
                    [(i // IDENTITIES + 1, i, player_ids[i % len(player_ids)], title_id)
                     for i in indexes],
                )  # fmt: skip
        return count / (time.perf_counter() - started)


def _bench_ids(connection) -> tuple[int, list[int]]:
    title_id = connection.execute(
        "SELECT id FROM titles_title WHERE slug = %s", [TITLE]
    ).fetchone()[0]
    players = connection.execute("SELECT DISTINCT player_id FROM players_playeridentity").fetchall()
    return title_id, [row[0] for row in players]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=1, help="repeat, then print medians")
    parser.add_argument("--batch-sizes", default="1,32,256", help="receive batch sizes")
    arguments = parser.parse_args()
    count, runs = arguments.events, arguments.runs
    global BATCH_SIZES
    BATCH_SIZES = tuple(int(size) for size in arguments.batch_sizes.split(","))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL=postgres://… (the bench creates a scratch database).")
    database_url = scratch_database(os.environ["DATABASE_URL"])
    env = child_env(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from apps.titles.models import Title

    Title.objects.get_or_create(slug=TITLE, defaults={"name": "Bench Arena"})
    topics = [f"{kind}-{batch}-{run}" for run in range(runs) for batch in BATCH_SIZES
              for kind in ("e2e", "bare")]  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
    broker, connection_string = start_broker(tmp, ["warmup", *topics])
    worker = None
    if os.environ.get("CELERY_BROKER_URL"):
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "community", "worker", "--pool", "solo",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=child_env(database_url, SERVICEBUS_CONNECTION_STRING=""),
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        measure(
            env, connection_string, database_url, count, runs, worker and worker.pid, broker.pid
        )
    finally:
        for process in (worker, broker):
            if process is not None:
                process.terminate()
                process.wait(30)


def measure(env: dict, connection_string: str, database_url: str, count: int, runs: int,
            worker: int | None, broker: int) -> None:  # fmt: skip
    # Warm-up: creates the shadow players and their stats rows, so every run updates them.
    warmup = make_events("warmup", 4 * IDENTITIES)
    publish(connection_string, "warmup", warmup)
    end_to_end(env, connection_string, "warmup", "warmup", len(warmup), 32, worker)
    where = "a Celery worker" if worker else "in-process tasks (no CELERY_BROKER_URL)"
    print(f"{count} events per run, the simulate_game mix: {mix_of(make_events('mix', count, 1))}")
    print(f"effects applied by {where}; {IDENTITIES} players")
    print("CPU ms/event: our consumer process, the worker, the bare loop's client\n")
    header = (f"{'batch':>5} {'end to end/s':>13} {'(inbox/s)':>10} {'bare SDK/s':>11} "
              f"{'raw PG/s':>9} {'e2e/bare':>9} {'e2e/raw PG':>11} {'CPU consumer':>13} "
              f"{'worker':>7} {'bare':>6}")  # fmt: skip
    print(header)
    figures: dict[int, list[tuple[float, ...]]] = {batch: [] for batch in BATCH_SIZES}
    calibrations: list[str] = []
    for run in range(runs):
        for batch in BATCH_SIZES:
            before = Path("/proc/loadavg").read_text().split()[:3]
            row, client, server = one_run(
                env, connection_string, database_url, count, batch, run, worker, broker
            )
            after = Path("/proc/loadavg").read_text().split()[:3]
            figures[batch].append(row)
            print_row(batch, row)
            calibrations.append(
                f"calibration batch {batch} run {run}: bare SDK loop {row[2]:.0f} msg/s, CPU "
                f"client {client:.0f}% broker {server:.0f}% of a core; load {' '.join(before)}"
                f" -> {' '.join(after)}"
            )
    print("\n" + "\n".join(calibrations))
    if runs > 1:
        print(f"\nmedians of {runs} runs (each column on its own)\n{header}")
        for batch in BATCH_SIZES:
            print_row(batch, tuple(map(statistics.median, zip(*figures[batch], strict=True))))


def one_run(env: dict, connection_string: str, database_url: str, count: int, batch: int,
            run: int, worker: int | None, broker: int) -> tuple[Any, float, float]:  # fmt: skip
    e2e_prefix, bare_prefix = f"e2e{batch}r{run}", f"bare{batch}r{run}"
    publish(connection_string, f"e2e-{batch}-{run}", make_events(e2e_prefix, count))
    publish(connection_string, f"bare-{batch}-{run}", make_events(bare_prefix, count))
    e2e, consumed, consumer_ms, worker_ms = end_to_end(
        env, connection_string, f"e2e-{batch}-{run}", e2e_prefix, count, batch, worker
    )
    bare, bare_ms, client, server = bare_sdk(
        connection_string, f"bare-{batch}-{run}", count, batch, broker
    )
    raw = raw_postgres(database_url, count, batch)
    row = (e2e, consumed, bare, raw, e2e / bare, e2e / raw, consumer_ms, worker_ms, bare_ms)
    return row, client, server


def print_row(batch: int, row: tuple[float, ...]) -> None:
    e2e, consumed, bare, raw, to_bare, to_raw, consumer_ms, worker_ms, bare_ms = row
    print(f"{batch:>5} {e2e:>13.0f} {consumed:>10.0f} {bare:>11.0f} {raw:>9.0f} "
          f"{to_bare:>9.2f} {to_raw:>11.3f} {consumer_ms:>13.2f} {worker_ms:>7.2f} "
          f"{bare_ms:>6.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
