"""Prometheus metrics of every process type (what each means, its alert and what to scale:
docs/operations.md, "Metrics and alerts").

Each process type exports the metrics it produces: gunicorn and Daphne at ``/metrics`` (the
``apps.ops`` view), the Celery worker — and the game-event consumer that runs inside it — on
``METRICS_PORT``. Processes that fork (gunicorn's and Celery's workers) write their values to
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, set in the deployment
units), and one scrape sums them.

Values that live elsewhere are read when scraped, not kept: the Celery queue depth (the
broker's list lengths) and the database pool's usage.
"""

import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_SECONDS = Histogram(
    "community_http_request_seconds",
    "HTTP request latency by route pattern, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
WS_OPEN_SOCKETS = Gauge(
    "community_ws_open_sockets",
    "Websockets open in this process.",
    multiprocess_mode="livesum",
)
WS_FRAMES = Counter(
    "community_ws_frames_total", "Websocket frames by direction (in, out).", ["direction"]
)
WS_SLOW_CONSUMERS_CLOSED = Counter(
    "community_ws_slow_consumers_closed_total",
    "Websockets closed with 4010 because they stopped reading: their outgoing queue passed "
    "WEBSOCKET_SEND_QUEUE_MAX_BYTES or WEBSOCKET_SEND_QUEUE_MAX_FRAMES.",
)
FANOUT_LAG_SECONDS = Histogram(
    "community_fanout_lag_seconds",
    "From a frame's publication in one process to its arrival in another (fan-out lag).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
CHAT_COMMIT_BATCH_SIZE = Histogram(
    "community_chat_commit_batch_size",
    "Messages per group commit.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
CHAT_COMMIT_SECONDS = Histogram(
    "community_chat_commit_seconds",
    "Time to admit, store and commit one group-commit batch.",
    buckets=_LATENCY_BUCKETS,
)
CHAT_MESSAGES_STORED = Counter(
    "community_chat_messages_stored_total", "Chat messages stored (duplicates not counted)."
)
RATE_LIMITED = Counter(
    "community_rate_limited_total", "Requests refused by a rate limit, by limit.", ["limit"]
)
EVENTS_SETTLED = Counter(
    "community_events_settled_total",
    "Game events settled by the consumer, by outcome (completed, dead_lettered, abandoned).",
    ["outcome"],
)
EVENTS_LAG_SECONDS = Histogram(
    "community_events_lag_seconds",
    "From a game event's enqueue on Service Bus to its settlement by the consumer.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)


def is_multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class CeleryQueueDepth(Collector):
    """The number of tasks waiting in each Celery queue, read from the broker when scraped
    (Redis: the length of the queue's list)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        family = GaugeMetricFamily(
            "community_celery_queue_depth", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        url = settings.CELERY_BROKER_URL
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                for queue in celery_queue_names():
                    family.add_metric([queue], client.llen(queue))
            except redis.RedisError:
                logger.warning("celery queue depth unavailable", exc_info=True)
            finally:
                client.close()
        yield family


def celery_queue_names() -> list[str]:
    from django.conf import settings

    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


class DatabasePool(Collector):
    """psycopg's connection pool of this process, when the pool is on (PostgreSQL)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import connections

        size = GaugeMetricFamily(
            "community_db_pool_connections", "Connections in the pool, by state.",
            labels=["state"],
        )  # fmt: skip
        waiting = GaugeMetricFamily(
            "community_db_pool_requests_waiting", "Requests waiting for a pooled connection."
        )
        pool = getattr(connections["default"], "pool", None) if _has_pool() else None
        if pool is not None and pool.closed:
            # Django opens its pool at the first connection; until then the pool's figures
            # would say ``min_size`` connections are in use.
            size.add_metric(["in_use"], 0)
            size.add_metric(["idle"], 0)
            waiting.add_metric([], 0)
        elif pool is not None:
            stats = pool.get_stats()
            in_pool = stats.get("pool_size", 0)
            available = stats.get("pool_available", 0)
            size.add_metric(["in_use"], in_pool - available)
            size.add_metric(["idle"], available)
            waiting.add_metric([], stats.get("requests_waiting", 0))
        yield size
        yield waiting


def _has_pool() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"].get("OPTIONS", {}).get("pool"))


def registry() -> CollectorRegistry:
    """What one scrape of this process reports: its own metrics (or, in multiprocess mode,
    the sum over the process type's workers) plus the values read at scrape time."""
    if is_multiprocess():
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
    else:
        collected = CollectorRegistry()
        collected.register(_Forward(REGISTRY))
    collected.register(CeleryQueueDepth())
    collected.register(DatabasePool())
    return collected


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        yield from self.source.collect()


def exposition() -> tuple[bytes, str]:
    """The Prometheus text of this process: (body, content type)."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


_served: dict[str, Any] = {}
_served_lock = threading.Lock()


def metrics_serve(port: int, address: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``port`` from this process (the Celery worker's main process;
    idempotent). Scrapers reach it on the host, never through the public proxy."""
    with _served_lock:
        if "server" in _served:
            return
        _served["server"] = start_http_server(port, addr=address, registry=registry())
        logger.info("metrics served", extra={"port": port, "address": address})


def process_dead(pid: int) -> None:
    """A forked worker exited (gunicorn ``child_exit``, Celery ``worker_process_shutdown``):
    its live gauges stop counting."""
    if is_multiprocess():
        multiprocess.mark_process_dead(pid)
