"""Django's PostgreSQL backend with the outage breaker (``apps.common.outage``) in front of
every new connection: while the database is known to be down, connecting fails at once; with
prepared statements for the hot reads (``prepared_cursor``); and times read by psycopg's
compiled loader when Django's zone is UTC (``UtcTimestamptzLoader``)."""

import datetime
import functools
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql import base
from django.db.backends.postgresql.operations import DatabaseOperations as BaseOperations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format
from psycopg_pool import PoolTimeout

from apps.common.outage import CircuitOpen, database_outage
from apps.common.postgresql.pool import (
    connection_returned,
    kept_between_requests,
    pool_checks_install,
)

# Django's cursor class for server-side binding (django-stubs do not describe it).
_ServerBindingCursor: Any = base.ServerBindingCursor


class PreparingCursor(_ServerBindingCursor):
    """Binds parameters on the server and prepares each statement the first time this
    connection runs it; later runs send only the statement's name and parameters, and
    PostgreSQL skips parsing and planning."""

    def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
        return super().execute(query, params, prepare=True, **options)


# psycopg's own text loader for timestamptz: compiled (psycopg_binary) where installed.
_PSYCOPG_TIMESTAMPTZ_LOADER: Any = psycopg.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(Loader):
    """Django's timestamptz loader (``psycopg_any.BaseTzLoader``) subclasses psycopg's
    pure-Python loader, so every time read costs about 4 µs of Python (8 ms for 2,000 rows; a
    guild's 200-member page reads 200). When Django's zone is UTC the connection's is UTC too
    (Django sets it on connect) and psycopg's own loader already returns the same aware
    datetime in ``datetime.timezone.utc``; this hands each value to it directly (1.3 ms for
    the 2,000). ``timezone`` is what Django's ``create_cursor`` compares with its own."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None):
        super().__init__(oid, context)
        self._compiled = _PSYCOPG_TIMESTAMPTZ_LOADER(oid, context)
        # Each value goes straight to the compiled loader: no Python frame of ours per value.
        self.load = self._compiled.load  # type: ignore[method-assign]

    def load(self, data: Any) -> Any:
        return self._compiled.load(data)


@functools.cache
def _utc_adapters(template: AdaptersMap) -> AdaptersMap:
    """Django's adapters (per time zone, cached) with the UTC timestamptz loader."""
    adapters = AdaptersMap(template)
    adapters.register_loader("timestamptz", UtcTimestamptzLoader)
    return adapters


class DatabaseOperations(BaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """A prepared statement's SQL with its parameters, for query logging (DEBUG's
        ``connection.queries``, tests' captured queries): psycopg keeps no text of a statement
        run by name, so it is composed here as Django does for server-side binding."""
        if isinstance(cursor, PreparingCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return sql  # parameters that cannot be written as literals
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    # When a request last started or ended on this wrapper, or its connection was opened: at
    # a request's start, when the connection was last used.
    _boundary_at = 0.0
    health_check_done: bool  # Django's (not in django-stubs)

    @async_unsafe
    def connect(self) -> None:
        super().connect()
        self._boundary_at = time.monotonic()
        pool = self.pool
        if pool is not None and kept_between_requests():
            # Kept across requests (apps/common/postgresql/pool.py) until the pool would
            # retire it; Django's CONN_MAX_AGE must stay 0 beside a pool.
            self.close_at = time.monotonic() + pool.max_lifetime

    def close_if_unusable_or_obsolete(self) -> None:
        """At each request's start and end (``close_old_connections``). Django's checks decide
        whether a kept connection goes back to the pool; one kept and idle for less than
        ``DATABASE_POOL_CHECK_IDLE_SECONDS`` is used without a check, as the pool hands out
        one returned that recently."""
        super().close_if_unusable_or_obsolete()
        now = time.monotonic()
        idle = now - self._boundary_at
        if self.connection is not None and kept_between_requests():
            recent = idle < settings.DATABASE_POOL_CHECK_IDLE_SECONDS
            self.health_check_done = self.health_check_done or recent
        self._boundary_at = now

    def close_if_health_check_failed(self) -> None:
        """Django leaves checks to the pool when there is one; a kept connection is not
        handed out by the pool, so it is checked here (when ``close_if_unusable_or_obsolete``
        left it unchecked)."""
        if kept_between_requests():
            BaseDatabaseWrapper.close_if_health_check_failed(self)
        else:
            super().close_if_health_check_failed()

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if params.get("context") is not None and self.timezone is datetime.UTC:
            params["context"] = _utc_adapters(params["context"])
        return params

    @async_unsafe
    def prepared_cursor(self) -> Any:
        """A cursor for hot reads run with the same SQL many times (``CompiledQuery``): each
        statement is prepared once per connection. PostgreSQL's planning of a small read can
        cost more than running it (a guild's member page: 0.41 ms planning, 0.18 ms running).
        Django's own cursor (``cursor()``) binds on the client and prepares nothing; this one
        exists only while ``DATABASE_PREPARED_STATEMENTS`` is on (``prepare_threshold`` set in
        the connection's options), since a transaction-mode pooler older than PgBouncer 1.22 or
        without ``max_prepared_statements`` loses prepared statements between transactions."""
        if self.settings_dict["OPTIONS"].get("prepare_threshold") is None:
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PreparingCursor(self.connection)
            # As create_cursor: the cursor reads times in the connection's zone.
            loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)  # type: ignore[attr-defined]

    @property
    def pool(self) -> Any:
        pool = super().pool
        if pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            pool_checks_install(pool)
        return pool

    def _close(self) -> None:
        if self.connection is not None and self.pool is not None:
            connection_returned(self.connection)  # when it was last known healthy
        super()._close()  # type: ignore[misc]  # (not in django-stubs)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            database_outage.before_connect()
        except CircuitOpen as refused:
            raise psycopg.OperationalError(str(refused)) from refused
        try:
            connection = super().get_new_connection(conn_params)
        except psycopg.Error as error:
            if not self._pool_busy(error):
                database_outage.connect_failed(error)
            raise
        database_outage.connect_succeeded()
        return connection

    def _pool_busy(self, error: psycopg.Error) -> bool:
        """A pool timeout with every connection open and in use is load, not an outage."""
        pool = self.pool
        if pool is None or not isinstance(error, PoolTimeout):
            return False
        return pool.get_stats().get("pool_size", 0) >= pool.max_size
