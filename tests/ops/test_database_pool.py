"""Pooled PostgreSQL connections are checked before use only when they have been idle a while
(apps/common/postgresql/pool.py): recovery from a dropped connection still works, and a
connection handed back moments ago costs no extra round trip. The thread of a gunicorn sync
worker keeps its connection between requests under the same rules.

The pytest process itself runs without the pool (community/settings/test.py), so each test
builds the project's database wrapper with the production pool options on the test database.
"""

import copy
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from apps.common.postgresql import pool as pool_module

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
APPLICATION_NAME = "community-pool-under-test"


def _pooled_settings(**pool: Any) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_HEALTH_CHECKS"] = True
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 2, "timeout": 5, **pool}
    # Only these connections are dropped below, never those of the suite's live servers.
    settings_dict["OPTIONS"]["application_name"] = APPLICATION_NAME
    return settings_dict


def _wrapper(settings_dict: dict[str, Any]) -> Any:
    return connections["default"].__class__(settings_dict, alias="pool_under_test")


@pytest.fixture
def pooled() -> Iterator[Any]:
    wrapper = _wrapper(_pooled_settings())
    yield wrapper
    wrapper.close()
    wrapper.close_pool()


@pytest.fixture
def keeping(monkeypatch) -> None:
    """This thread serves requests as a gunicorn sync worker's does (community/gunicorn.py)."""
    monkeypatch.setattr(pool_module, "_keeping_thread", None)
    pool_module.keep_between_requests()


def _backend_pid(wrapper: Any) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    wrapper.close()  # back to the pool, as at the end of a request
    return pid


def _drop_pooled_connections(wrapper: Any) -> None:
    """What a PostgreSQL restart or an idle timeout does to the pool's idle connections."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [APPLICATION_NAME],
        ).fetchall()
    assert dropped, "the pool under test had no connection to drop"


def test_a_connection_dropped_while_idle_is_replaced_before_the_next_query(pooled, settings):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 0.2
    dropped = _backend_pid(pooled)
    _drop_pooled_connections(pooled)
    time.sleep(0.3)

    assert _backend_pid(pooled) != dropped  # the check found it dead; a new one answered


def test_a_connection_returned_moments_ago_is_handed_out_without_a_check(pooled, settings):
    """The round trip saved: nothing asks the server before use, so a connection dropped in
    that moment is met by the query itself (and the request's error path, as any failure in
    the middle of a request); the next checkout is checked and recovers."""
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    _backend_pid(pooled)
    _drop_pooled_connections(pooled)

    with pytest.raises(OperationalError):
        _backend_pid(pooled)
    pooled.close()
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 0
    assert _backend_pid(pooled) > 0


def _request(wrapper: Any) -> int:
    """One request's life as Django runs it: ``close_old_connections`` at its start and its
    end, one query in between. Answers the backend that served it."""
    wrapper.close_if_unusable_or_obsolete()  # request_started
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return int(cursor.fetchone()[0])
    finally:
        wrapper.close_if_unusable_or_obsolete()  # request_finished


def _checkouts(wrapper: Any) -> int:
    return int(wrapper.pool.get_stats()["requests_num"])


def test_a_sync_workers_thread_keeps_its_connection_checked_out_between_requests(
    pooled, keeping, settings
):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    served = {_request(pooled) for _ in range(5)}

    assert len(served) == 1
    assert pooled.connection is not None  # between requests: still the worker's
    assert _checkouts(pooled) == 1  # taken from the pool once


def test_without_keeping_each_request_hands_its_connection_back(pooled, settings):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    for _ in range(3):
        _request(pooled)

    assert pooled.connection is None
    assert _checkouts(pooled) == 3


def test_other_threads_of_a_keeping_process_hand_theirs_back(pooled, keeping, settings):
    """The readiness checks run on threads of their own in the same worker: a kept connection
    each would hold up to one per thread out of the pool."""
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    _request(pooled)
    on_other_thread: list[Any] = []

    def other_thread() -> None:
        wrapper = _wrapper(pooled.settings_dict)  # the same pool (one per alias)
        try:
            _request(wrapper)
            on_other_thread.append(wrapper.connection)
        finally:
            wrapper.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(10)

    assert on_other_thread == [None]  # handed back at its request's end
    assert pooled.connection is not None  # the serving thread's stays


def test_a_kept_connection_dropped_while_idle_is_replaced_before_the_next_request(
    pooled, keeping, settings
):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 0.2
    dropped = _request(pooled)
    _drop_pooled_connections(pooled)
    time.sleep(0.3)

    assert _request(pooled) != dropped  # checked before use, found dead, replaced


def test_a_kept_connection_dropped_moments_ago_fails_one_request_then_is_replaced(
    pooled, keeping, settings
):
    """As with a connection the pool handed back moments ago: nothing asks the server before
    use, the query meets the failure, and the request's end gives the connection back."""
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    dropped = _request(pooled)
    _drop_pooled_connections(pooled)

    with pytest.raises(OperationalError):
        _request(pooled)
    assert pooled.connection is None  # unusable: given back at the request's end
    assert _request(pooled) != dropped


def test_a_kept_connection_goes_back_to_the_pool_once_it_has_lived_its_lifetime(keeping, settings):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    wrapper = _wrapper(_pooled_settings(max_lifetime=1.0))
    try:
        first = _request(wrapper)
        assert _request(wrapper) == first
        time.sleep(1.2)
        replaced = _request(wrapper)  # at its start the old one went back, and the pool retired it
    finally:
        wrapper.close()
        wrapper.close_pool()

    assert replaced != first


def test_a_request_that_leaves_autocommit_off_gives_its_connection_back(pooled, keeping, settings):
    settings.DATABASE_POOL_CHECK_IDLE_SECONDS = 60
    _request(pooled)
    pooled.close_if_unusable_or_obsolete()
    pooled.set_autocommit(False)
    with pooled.cursor() as cursor:
        cursor.execute("SELECT 1")
    pooled.close_if_unusable_or_obsolete()

    assert pooled.connection is None
    assert _checkouts(pooled) == 1
    _request(pooled)
    assert _checkouts(pooled) == 2
