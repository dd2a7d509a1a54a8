"""Fault tests run against servers of their own (tests/support/throwaway.py): a test may stop,
kill or restart them without touching the machine's shared PostgreSQL and Redis."""

from collections.abc import Iterator

import pytest

from tests.support.throwaway import ThrowawayPostgres, ThrowawayRedis


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[ThrowawayRedis]:  # type: ignore[no-untyped-def]
    redis = ThrowawayRedis(tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """An empty ``community`` database; migrate it with ``manage.py migrate`` if the test needs
    the schema (a child process with ``DATABASE_URL=throwaway_postgres.url()``)."""
    postgres = ThrowawayPostgres()
    postgres.init()
    try:
        yield postgres
    finally:
        postgres.destroy()
