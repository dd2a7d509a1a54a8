"""Pooled PostgreSQL connections are checked before use only when they have been idle a while
(apps/common/postgresql/pool.py): recovery from a dropped connection still works, and a
connection handed back moments ago costs no extra round trip.

The pytest process itself runs without the pool (community/settings/test.py), so each test
builds the project's database wrapper with the production pool options on the test database.
"""

import copy
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
APPLICATION_NAME = "community-pool-under-test"


@pytest.fixture
def pooled() -> Iterator[Any]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_HEALTH_CHECKS"] = True
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 2, "timeout": 5}
    # Only these connections are dropped below, never those of the suite's live servers.
    settings_dict["OPTIONS"]["application_name"] = APPLICATION_NAME
    wrapper = connections["default"].__class__(settings_dict, alias="pool_under_test")
    yield wrapper
    wrapper.close()
    wrapper.close_pool()


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
