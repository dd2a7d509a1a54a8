"""Django's PostgreSQL backend with the outage breaker (``apps.common.outage``) in front of
every new connection: while the database is known to be down, connecting fails at once."""

from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import PoolTimeout

from apps.common.outage import CircuitOpen, database_outage
from apps.common.postgresql.pool import connection_returned, pool_checks_install


class DatabaseWrapper(base.DatabaseWrapper):
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
