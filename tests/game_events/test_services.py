import pytest

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel, EventCounter, InboxEvent
from apps.game_events.services import (
    events_apply_pending,
    events_ingest,
    events_submit,
    inbox_requeue_failed,
)
from apps.game_events.tasks import events_apply_pending_task
from tests.factories import TitleFactory
from tests.game_events.events import cloud_event, inbox_refusing

pytestmark = pytest.mark.django_db


def _ingest(*raw_events, **kwargs):
    events = [envelope_validate(raw) for raw in raw_events]
    return [o.status for o in events_ingest(events=events, channel=Channel.HTTP, **kwargs)]


def _counters() -> dict[tuple[str, str], int]:
    return {(c.event_type, c.outcome): c.count for c in EventCounter.objects.all()}


def test_new_events_are_received_then_applied_once_in_time_order(title, recorded):
    late = cloud_event(event_id="late", time="2026-11-25T03:21:00Z")
    early = cloud_event(event_id="early", time="2026-11-25T03:20:00Z")

    assert _ingest(late, early) == ["accepted", "accepted"]
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"received"}

    assert events_apply_pending() == 2
    assert recorded.ids == ["early", "late"]
    assert events_apply_pending() == 0  # a second run changes nothing
    assert recorded.ids == ["early", "late"]
    assert list(InboxEvent.objects.order_by("event_id").values_list("event_id", "state")) == [
        ("early", "applied"),
        ("late", "applied"),
    ]
    assert recorded.events[0].title == title
    assert _counters() == {
        ("player.progressed", "received"): 2,
        ("player.progressed", "applied"): 2,
    }


def test_a_duplicate_id_is_recorded_once_within_and_across_batches(title, recorded):
    event = cloud_event(event_id="dup-1")

    assert _ingest(event, event) == ["accepted", "duplicate"]
    events_apply_pending_task()
    assert _ingest(event) == ["duplicate"]
    events_apply_pending_task()

    assert recorded.ids == ["dup-1"]
    assert InboxEvent.objects.count() == 1
    assert _counters()[("player.progressed", "duplicate")] == 2


def test_the_same_id_from_another_title_is_another_event(title, recorded):
    TitleFactory(slug="tiny-racers")

    assert _ingest(cloud_event(event_id="x"), cloud_event(event_id="x", slug="tiny-racers")) == [
        "accepted",
        "accepted",
    ]


def test_unknown_types_newer_versions_and_unhandled_types_are_kept_as_ignored(
    title, unhandled_type
):
    statuses = _ingest(
        cloud_event("player.teleported", event_id="a", data={"x": 1}),
        cloud_event("match.completed", event_id="b", dataversion="9"),
        cloud_event("ugc.published", event_id="c"),
    )

    assert statuses == ["ignored", "ignored", "ignored"]
    rows = InboxEvent.objects.order_by("event_id")
    assert [(r.state, r.reason) for r in rows] == [
        ("ignored", "unknown_type"),
        ("ignored", "unknown_version"),
        ("ignored", "no_handler"),
    ]
    assert rows[0].payload["data"] == {"x": 1}
    assert events_apply_pending() == 0


def test_schema_violations_and_foreign_sources_are_rejected_without_a_row(title):
    other = TitleFactory(slug="kaiju-kingdoms")
    bad = cloud_event(data={"player": {"provider": "custom", "external_id": "a"}})
    events = [envelope_validate(e) for e in (bad, cloud_event(slug="kaiju-kingdoms"))]

    outcomes = events_ingest(events=events, channel=Channel.HTTP, caller=title)

    assert [(o.status, o.code) for o in outcomes] == [
        ("rejected", "schema_violation"),
        ("rejected", "source_mismatch"),
    ]
    assert outcomes[0].reason == "$: 'level' is a required property"
    assert InboxEvent.objects.count() == 0
    assert other.slug == "kaiju-kingdoms"


def test_service_bus_rejections_are_kept_as_dead_lettered_and_a_fixed_replay_applies(
    title, recorded
):
    broken = cloud_event(
        event_id="e-1", data={"player": {"provider": "custom", "external_id": "a"}}
    )
    assert _ingest(broken, record_rejected=True) == ["rejected"]
    row = InboxEvent.objects.get()
    assert (row.state, row.reason) == ("dead_lettered", "schema_violation")

    fixed = cloud_event(event_id="e-1")
    assert _ingest(fixed, record_rejected=True) == ["accepted"]
    events_apply_pending()

    assert InboxEvent.objects.get().state == "applied"
    assert recorded.ids == ["e-1"]


def test_sources_outside_the_allow_list_or_unknown_titles_are_rejected(title):
    TitleFactory(slug="tiny-racers")
    events = [
        envelope_validate(cloud_event(slug="tiny-racers")),
        envelope_validate(cloud_event(slug="no-such-title")),
        envelope_validate(cloud_event()),
    ]

    outcomes = events_ingest(
        events=events, channel=Channel.SERVICE_BUS, allowed_title_slugs={"starfall-arena"}
    )

    assert [o.code for o in outcomes] == ["source_not_allowed", "source_not_allowed", ""]


def test_a_failing_handler_marks_only_its_event_failed_and_can_be_requeued(title, recorded):
    calls = []

    def flaky(event):
        calls.append(event.id)
        if event.id == "boom" and len(calls) < 3:
            raise ValueError("player service said no")

    from apps.game_events.registry import handler_register, handler_unregister

    handler_register("player.progressed", flaky)
    try:
        _ingest(
            cloud_event(event_id="boom"), cloud_event(event_id="fine", time="2026-11-25T04:00:00Z")
        )
        events_apply_pending()
        rows = dict(InboxEvent.objects.values_list("event_id", "state"))
        failed = InboxEvent.objects.get(event_id="boom")

        assert rows == {"boom": "failed", "fine": "applied"}
        assert (failed.reason, failed.detail) == (
            "handler_error",
            "ValueError: player service said no",
        )
        # The fast pass ran boom, failed and rolled back; the isolated pass ran boom and fine.
        assert recorded.ids == ["boom", "boom", "fine"]

        assert inbox_requeue_failed() == 1
        events_apply_pending()
        assert InboxEvent.objects.get(event_id="boom").state == "applied"
    finally:
        handler_unregister("player.progressed", flaky)


def test_submit_validates_each_event_and_keeps_the_order(title, recorded, settings):
    settings.GAME_EVENTS_MAX_EVENT_BYTES = 2000
    results = events_submit(
        raw_events=[
            cloud_event(event_id="ok"),
            {"id": "no-source"},
            "text",
            cloud_event(event_id="huge", data={"blob": "x" * 3000}),
        ],
        caller=title,
    )

    assert [(r.index, r.id, r.status, r.code) for r in results] == [
        (0, "ok", "accepted", ""),
        (1, "no-source", "rejected", "missing_attribute"),
        (2, None, "rejected", "not_an_object"),
        (3, "huge", "rejected", "event_too_large"),
    ]
    assert _counters()[("(invalid)", "rejected")] == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_one_applier_runs_at_a_time_so_order_is_kept(title, recorded, monkeypatch):
    import psycopg
    from django.db import connection

    from apps.game_events import services
    from apps.game_events.applier import APPLY_LOCK_KEY

    # The row is committed without its apply task, so this test drives the applier itself.
    monkeypatch.setattr(services, "_schedule_apply", lambda: None)
    _ingest(cloud_event(event_id="waits"))
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [APPLY_LOCK_KEY])
        assert events_apply_pending() is None
        assert recorded.ids == []
        other.execute("SELECT pg_advisory_unlock(%s)", [APPLY_LOCK_KEY])

    assert events_apply_pending() == 1
    assert recorded.ids == ["waits"]


def test_a_coalescing_handler_runs_once_per_key_with_the_latest_event(title, recorded):
    from apps.game_events.registry import handler_register, handler_unregister

    calls = []

    def set_level(event):
        calls.append((event.data["player"]["external_id"], event.data["level"]))

    def by_player(event):
        return event.data["player"]["external_id"]

    handler_register("player.progressed", set_level, coalesce_key=by_player)
    try:
        _ingest(*[
            cloud_event(event_id=f"p{level}", time=f"2026-11-25T03:{minute}:00Z",
                        data={"player": {"provider": "custom", "external_id": who},
                              "level": level, "xp": level})
            for level, minute, who in [(5, 21, "ann"), (1, 20, "ann"), (3, 22, "ann"),
                                       (9, 20, "ben")]
        ])  # fmt: skip
        events_apply_pending()
    finally:
        handler_unregister("player.progressed", set_level)

    assert sorted(calls) == [("ann", 3), ("ben", 9)]  # ann's latest by time is level 3
    assert recorded.ids == ["p1", "p9", "p5", "p3"]  # a plain handler sees every event
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}


@pytest.mark.django_db
def test_progress_applied_in_one_batch_leaves_the_latest_level(title):
    from apps.players.models import PlayerTitleStats

    _ingest(*[
        cloud_event(event_id=f"lv{level}", time=f"2026-11-25T03:{20 + i}:00Z",
                    data={"player": {"provider": "custom", "external_id": "zed"},
                          "level": level, "xp": level * 100, "rank": rank})
        for i, (level, rank) in enumerate([(4, "silver"), (7, "gold"), (6, "gold")])
    ])  # fmt: skip
    events_apply_pending()

    stats = PlayerTitleStats.objects.get()
    assert (stats.level, stats.xp, stats.rank) == (6, 600, "gold")


@pytest.mark.postgres
def test_events_the_database_refuses_are_isolated_and_the_rest_recorded_in_order(title):
    """Halving finds every refused event of a batch; a repeated id stays a duplicate of its
    first occurrence across the halves."""
    ids = ["a", "bad-1", "c", "d", "a", "e", "bad-2", "f", "g"]

    with inbox_refusing("bad"):
        statuses = _ingest(*(cloud_event(event_id=i) for i in ids))

    assert statuses == ["accepted", "rejected", "accepted", "accepted", "duplicate",
                        "accepted", "rejected", "accepted", "accepted"]  # fmt: skip
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == [
        "a", "c", "d", "e", "f", "g"
    ]  # fmt: skip
    assert _counters()[("player.progressed", "rejected")] == 2
