"""Crash and outage tests: a consumer process killed mid-batch, the database cut off."""

import os
import random
import signal
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db.models import Sum

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel, EventCounter, InboxEvent
from apps.game_events.services import events_ingest
from apps.game_events.tasks import WAKEUP_KEY
from apps.players.models import PlayerIdentity, PlayerTitleStats
from tests.game_events.events import cloud_event
from tests.game_events.proxy import TcpProxy
from tests.game_events.servicebus import consumer_process, publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION_PATH
from tests.support import live
from tests.support.live import run_celery_worker

pytestmark = [pytest.mark.servicebus, pytest.mark.django_db(transaction=True)]

PLAYERS = 8


def _match_events(count: int, seed: int) -> tuple[list[dict], Counter, Counter, Counter]:
    """``count`` duels between shadow players, and the totals they must add up to."""
    rng = random.Random(seed)
    events, played, won, kills = [], Counter(), Counter(), Counter()
    for index in range(count):
        first, second = rng.sample(range(PLAYERS), 2)
        entries = []
        for slot, outcome in ((first, "win"), (second, "loss")):
            kill_count = rng.randint(0, 20)
            played[slot] += 1
            won[slot] += outcome == "win"
            kills[slot] += kill_count
            ref = {"provider": "custom", "external_id": f"kill-p{slot}"}
            entries.append({"player": ref, "outcome": outcome, "counters": {"kills": kill_count}})
        data = {
            "match_id": f"m-{index}",
            "mode": "duel",
            "duration_seconds": 60,
            "players": entries,
        }
        events.append(cloud_event("match.completed", event_id=f"match-{index}", data=data))
    return events, played, won, kills


def _stats_by_slot() -> dict[int, tuple[int, int, int]]:
    result = {}
    for identity in PlayerIdentity.objects.filter(external_id__startswith="kill-p"):
        stats = PlayerTitleStats.objects.get(player_id=identity.player_id)
        slot = int(identity.external_id.removeprefix("kill-p"))
        result[slot] = (stats.matches_played, stats.matches_won, stats.counters.get("kills", 0))
    return result


def _pipeline_state(live_tmp) -> str:  # type: ignore[no-untyped-def]
    """What a stalled apply looks like from outside: the inbox by state, whether a wake-up
    is marked as queued, and the worker's last lines."""
    states = Counter(InboxEvent.objects.values_list("state", flat=True))
    worker_log = (live_tmp / "celery-worker.log").read_text(errors="replace").splitlines()
    return (
        f"inbox {dict(states)}, wake-up key set: {cache.get(WAKEUP_KEY) is not None}, "
        "worker log ends:\n" + "\n".join(worker_log[-15:])
    )


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.timeout(120)
def test_a_consumer_that_starts_applies_what_a_killed_predecessors_lost_wake_up_left(
    servicebus_broker, title, live_tmp
):
    """The predecessor recorded events and set the wake-up key, then died before its task went
    out: the key promises a run nobody queued, and no commit follows to queue one."""
    cache.set(WAKEUP_KEY, 1, timeout=600)
    events, played, won, kills = _match_events(20, seed=11)
    events_ingest(events=[envelope_validate(e) for e in events], channel=Channel.SERVICE_BUS)
    assert InboxEvent.objects.filter(state="received").count() == 20

    log = live_tmp / "restart.log"
    with run_celery_worker(live_tmp), consumer_process(servicebus_broker.connection_string, log):
        wait_until(
            lambda: InboxEvent.objects.filter(state="applied").count() == 20,
            timeout=60,
            what="the predecessor's 20 events applied",
        )

    assert _stats_by_slot() == {slot: (played[slot], won[slot], kills[slot]) for slot in played}


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.timeout(480)  # about 35 s alone; on a loaded 2-core machine the apply took > 120 s
def test_a_consumer_killed_mid_batch_loses_and_doubles_nothing(servicebus_broker, title, live_tmp):
    events, played, won, kills = _match_events(600, seed=7)
    connection_string = servicebus_broker.connection_string
    log = live_tmp / "kill-consumers.log"
    publisher = threading.Thread(
        target=lambda: [publish(connection_string, events[i : i + 50]) or time.sleep(0.05)
                        for i in range(0, len(events), 50)],
        daemon=True,
    )  # fmt: skip

    with run_celery_worker(live_tmp):
        with consumer_process(connection_string, log, "--batch-size", "32") as first:
            publisher.start()
            wait_until(lambda: InboxEvent.objects.count() >= 150, timeout=60, what="150 received")
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        killed_at = InboxEvent.objects.count()
        with consumer_process(connection_string, log, "--batch-size", "32"):
            publisher.join(60)
            try:
                wait_until(
                    lambda: InboxEvent.objects.filter(state="applied").count() == 600,
                    timeout=300,  # what is asserted is that nothing is lost or doubled, not speed
                    what="all 600 applied",
                )
            except AssertionError as error:
                raise AssertionError(f"{error}; {_pipeline_state(live_tmp)}") from None
            wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)

    assert killed_at < 600, "the kill must happen while events still flow"
    assert first.returncode == -signal.SIGKILL
    assert InboxEvent.objects.count() == 600
    assert EventCounter.objects.get(event_type="match.completed", outcome="applied").count == 600
    assert _stats_by_slot() == {
        slot: (played[slot], won[slot], kills[slot]) for slot in range(PLAYERS)
    }
    assert PlayerTitleStats.objects.aggregate(total=Sum("matches_played"))["total"] == 1200
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH) == {
        "active": 0, "available": 0, "locked": 0, "deferred": 0, "dead_letter": 0,
    }  # fmt: skip


def _proxied_database_url(proxy: TcpProxy) -> str:
    url = urlsplit(live.test_database_url())
    return url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_database_outage_abandons_and_redelivers_without_loss_or_early_dead_letters(
    servicebus_broker, title, live_tmp
):
    target = urlsplit(live.test_database_url())
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    connection_string = servicebus_broker.connection_string
    progress = [cloud_event("player.progressed", event_id=f"p{i}", data={
        "player": {"provider": "custom", "external_id": f"db-p{i % 4}"}, "level": i, "xp": i})
        for i in range(40)]  # fmt: skip
    try:
        with consumer_process(
            connection_string,
            live_tmp / "outage-consumer.log",
            DATABASE_URL=_proxied_database_url(proxy),
            CELERY_TASK_ALWAYS_EAGER="1",
        ):
            publish(connection_string, progress[:10])
            wait_until(lambda: InboxEvent.objects.filter(state="applied").count() == 10)

            proxy.cut()
            publish(connection_string, progress[10:])
            wait_until(
                lambda: any(m["delivery_count"] >= 1
                            for m in servicebus_broker.messages(SUBSCRIPTION_PATH)),
                timeout=60,
                what="an abandoned message",
            )  # fmt: skip
            time.sleep(3)  # the outage lasts: the consumer must wait, not burn deliveries
            assert InboxEvent.objects.count() == 10
            assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0

            proxy.restore()
            wait_until(
                lambda: InboxEvent.objects.filter(state="applied").count() == 40,
                timeout=90,
                what="all 40 applied after the outage",
            )
            wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 0)
    finally:
        proxy.close()

    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == sorted(
        e["id"] for e in progress
    )
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 0
