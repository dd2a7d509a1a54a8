"""The applier keeps up without outliving its task: bounded runs, time limits that never fail
a healthy event, and one queued wake-up for a burst of inbox commits (docs/operations.md)."""

from collections.abc import Iterator

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel, InboxEvent
from apps.game_events.registry import HandledEvent, handler_register, handler_unregister
from apps.game_events.services import events_ingest
from apps.game_events.tasks import events_apply_pending_task
from tests.game_events.conftest import queued_tasks
from tests.game_events.events import cloud_event


def _ingest(count: int, prefix: str = "e") -> None:
    events = [
        envelope_validate(
            cloud_event(event_id=f"{prefix}-{index}", time=f"2026-11-25T03:20:{index:02}Z")
        )
        for index in range(count)
    ]
    events_ingest(events=events, channel=Channel.SERVICE_BUS)


def _states() -> dict[str, str]:
    return dict(InboxEvent.objects.values_list("event_id", "state"))


class _SoftLimitDuring:
    """A handler during which the task's soft time limit fires (Celery raises
    ``SoftTimeLimitExceeded`` in whatever code is running), while ``armed``."""

    def __init__(self, event_id: str) -> None:
        self.event_id, self.armed = event_id, True

    def __call__(self, event: HandledEvent) -> None:
        if self.armed and event.id == self.event_id:
            raise SoftTimeLimitExceeded()


@pytest.fixture
def soft_limit_during() -> Iterator[_SoftLimitDuring]:
    handler = _SoftLimitDuring("e-1")
    handler_register("player.progressed", handler)
    yield handler
    handler_unregister("player.progressed", handler)


@pytest.mark.django_db
def test_a_run_stopped_by_its_soft_time_limit_leaves_its_events_pending_never_failed(
    title, recorded, soft_limit_during
):
    _ingest(3)

    with pytest.raises(SoftTimeLimitExceeded):
        events_apply_pending_task()

    assert _states() == {"e-0": "received", "e-1": "received", "e-2": "received"}
    soft_limit_during.armed = False
    events_apply_pending_task()  # the next run applies them all
    assert _states() == {"e-0": "applied", "e-1": "applied", "e-2": "applied"}
    assert recorded.ids[-3:] == ["e-0", "e-1", "e-2"]  # the first run's calls rolled back


@pytest.mark.django_db
def test_a_run_stops_at_its_event_budget_and_queues_the_next(
    title, recorded, settings, apply_task_queued
):
    settings.GAME_EVENTS_APPLY_BATCH_SIZE = 2
    settings.GAME_EVENTS_APPLY_RUN_MAX_EVENTS = 4
    _ingest(7)

    assert events_apply_pending_task() == 4

    assert sorted(_states().values()) == ["applied"] * 4 + ["received"] * 3
    assert queued_tasks() == 1  # the rest is the next run's


@pytest.mark.django_db
def test_a_run_past_its_time_budget_starts_no_further_batch(
    title, recorded, settings, apply_task_queued
):
    settings.GAME_EVENTS_APPLY_BATCH_SIZE = 2
    settings.GAME_EVENTS_APPLY_RUN_SECONDS = 0
    _ingest(5)

    assert events_apply_pending_task() == 2
    assert queued_tasks() == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_inbox_commits_queues_one_apply_task(title, recorded, apply_task_queued):
    for commit in range(25):
        _ingest(2, prefix=f"c{commit}")  # a transaction (a consumer group commit) each

    assert queued_tasks() == 1
    events_apply_pending_task()  # the queued task, as a worker would run it
    assert set(_states().values()) == {"applied"}
    _ingest(1, prefix="after")  # a commit once that task started needs a wake-up of its own
    assert queued_tasks() == 2
