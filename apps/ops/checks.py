"""Readiness checks of the backing services, each bounded in time: they run side by side and
one that has not answered within ``CHECK_TIMEOUT_SECONDS`` fails as ``timed out``, whatever
its client's own timeouts (a pool waiting for a connection, a driver retrying)."""

import concurrent.futures
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from kombu import Connection

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        close_old_connections()  # a worker thread of its own: give the connection back


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value written")
    cache.delete(key)


def check_channel_layer() -> None:
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        return
    for host in layer["CONFIG"]["hosts"]:
        client = redis.Redis.from_url(
            host["address"],
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()


def check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


# Checks run on threads of their own; a check stuck past its bound keeps its thread until its
# client gives up, so the pool is larger than one round of checks.
_checks_pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="readyz")


def readiness_report() -> dict[str, dict[str, object]]:
    """``{check name: {"ok": bool, "error": str?}}`` for every backing service, in at most
    about ``CHECK_TIMEOUT_SECONDS`` altogether."""
    started = time.monotonic()
    running = {name: _checks_pool.submit(check) for name, check in READINESS_CHECKS.items()}
    report: dict[str, dict[str, object]] = {}
    for name, future in running.items():
        remaining = max(0.0, started + CHECK_TIMEOUT_SECONDS - time.monotonic())
        try:
            future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            error = f"timed out after {CHECK_TIMEOUT_SECONDS} s"
            report[name] = {"ok": False, "error": error}
        except Exception as error:
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        else:
            report[name] = {"ok": True}
    return report
