"""Readiness checks of the backing services, each bounded in time."""

import uuid
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


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


def readiness_report() -> dict[str, dict[str, object]]:
    """``{check name: {"ok": bool, "error": str?}}`` for every backing service."""
    report: dict[str, dict[str, object]] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        else:
            report[name] = {"ok": True}
    return report
