"""Run the Service Bus test double as a separate process (kill tests, benchmarks).

    python -m tests.servicebus.broker --port 0 --queue q --topic game-events \\
        --subscription game-events/community --lock-duration 5 --port-file /tmp/sb.port

Prints ``PORT <n>`` and the connection string, writes the port to ``--port-file`` (atomically,
so a poller never reads a half-written file) and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from .runtime import ServiceBusBroker


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.servicebus.broker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--queue", action="append", default=[], metavar="NAME")
    parser.add_argument("--topic", action="append", default=[], metavar="NAME")
    parser.add_argument("--subscription", action="append", default=[], metavar="TOPIC/SUB")
    parser.add_argument("--lock-duration", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("--max-delivery-count", type=int, default=10)
    parser.add_argument("--port-file", type=Path)
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> ServiceBusBroker:
    broker = ServiceBusBroker(
        args.host,
        args.port,
        lock_duration=args.lock_duration,
        max_delivery_count=args.max_delivery_count,
    )
    for name in args.queue:
        broker.create_queue(name)
    topics = list(args.topic)
    for spec in args.subscription:
        topic, _, sub = spec.partition("/")
        if not sub:
            raise SystemExit(f"--subscription expects TOPIC/SUB, got {spec!r}")
        if topic.lower() not in (t.lower() for t in topics):
            topics.append(topic)  # a subscription implies its topic
    for topic in topics:
        broker.create_topic(topic)
    for spec in args.subscription:
        topic, _, sub = spec.partition("/")
        broker.create_subscription(topic, sub)
    return broker


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    broker = build(args)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    broker.start()
    print(f"PORT {broker.port}", flush=True)
    print(broker.connection_string, flush=True)
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + f".{os.getpid()}.tmp")
        tmp.write_text(f"{broker.port}\n")
        tmp.replace(args.port_file)
    while not done.wait(0.5):
        if not broker.running:
            print("broker thread died", file=sys.stderr, flush=True)
            return 1
    broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
