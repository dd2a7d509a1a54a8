"""A Redis restart under a busy Celery worker: the worker (and the Service Bus consumer it runs)
lives on, and game events keep reaching their effects with no hand."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from apps.game_events.models import InboxEvent
from apps.players.models import PlayerIdentity, PlayerTitleStats
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import publish, wait_until
from tests.support import live
from tests.support.live import PRODUCTION_WORKER_OPTIONS, run_celery_worker

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.servicebus,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

PLAYER = "redis-restart"


def _progress(level: int) -> dict:
    player = {"provider": "custom", "external_id": PLAYER}
    data = {"player": player, "level": level, "xp": level * 100}
    return cloud_event("player.progressed", event_id=f"progress-{level}", data=data)


def _level() -> int | None:
    identity = PlayerIdentity.objects.filter(external_id=PLAYER).first()
    if identity is None:
        return None
    stats = PlayerTitleStats.objects.filter(player_id=identity.player_id).first()
    return None if stats is None else stats.level


@contextmanager
def _effects_held() -> Iterator[psycopg.Connection]:
    """A transaction of another client holds the table the progress effect writes, so an
    applier task that reaches it waits there: a task in flight for as long as the test says."""
    with psycopg.connect(live.test_database_url(), autocommit=False) as holder:
        holder.execute(f"LOCK TABLE {PlayerTitleStats._meta.db_table} IN EXCLUSIVE MODE")
        yield holder
        holder.rollback()


def _applier_waiting(holder: psycopg.Connection) -> bool:
    """A worker's database session waits on the held lock (the applier task is running)."""
    with psycopg.connect(live.test_database_url(), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> %s",
            [holder.info.backend_pid],
        ).fetchone()
    return bool(row and row[0])


def test_a_redis_restart_with_a_task_in_flight_leaves_the_worker_and_consumer_working(
    throwaway_redis, servicebus_broker, tmp_path
):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    connection_string = servicebus_broker.connection_string

    with run_celery_worker(
        tmp_path,
        options=PRODUCTION_WORKER_OPTIONS,
        CELERY_BROKER_URL=throwaway_redis.url(1),
        REDIS_URL=throwaway_redis.url(0),
        SERVICEBUS_CONNECTION_STRING=connection_string,
        SERVICEBUS_MAX_WAIT_SECONDS="0.5",
    ) as worker:
        publish(connection_string, [_progress(1)])
        wait_until(lambda: _level() == 1, timeout=60, what="the first event applied")

        with _effects_held() as holder:
            publish(connection_string, [_progress(2)])
            wait_until(lambda: _applier_waiting(holder), timeout=60, what="a task in flight")
            throwaway_redis.restart(down_for=3)
        # Nothing else happens by hand: the next event is consumed and the worker applies it
        # (and the one whose task was in flight when Redis went away).
        publish(connection_string, [_progress(3)])
        wait_until(lambda: _level() == 3, timeout=90, what="the event after the restart applied")
        wait_until(
            lambda: InboxEvent.objects.filter(state="applied").count() == 3,
            timeout=60,
            what="all three events applied",
        )
        alive = worker.poll() is None

    log = (tmp_path / "celery-worker.log").read_text()
    assert alive, log[-4000:]
    assert "Unrecoverable error" not in log
    assert InboxEvent.objects.count() == 3
