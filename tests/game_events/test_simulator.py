from io import StringIO

import pytest
from django.core.management import call_command

from apps.game_events.demo import seed
from apps.game_events.models import InboxEvent
from tests.game_events.servicebus import consumer_thread, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION, SUBSCRIPTION_PATH, TOPIC


def _simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate_game", "--title", "starfall-arena", "--rate", "0", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_simulator_feeds_coherent_events_in_process(title, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out = _simulate("--players", "6", "--count", "150", "--seed", "3")

    rows = list(InboxEvent.objects.order_by("occurred_at", "id"))
    assert out == "simulate_game: 150 events published for starfall-arena\n"
    assert len(rows) == 150
    assert {row.state for row in rows} <= {"applied", "ignored"}
    assert not [row for row in rows if row.state == "ignored" and row.reason != "no_handler"]
    started, completed, open_sessions = set(), [], set()
    for row in rows:
        data = row.payload["data"]
        if row.event_type == "match.started":
            started.add(data["match_id"])
        elif row.event_type == "match.completed":
            completed.append(data["match_id"])
        elif row.event_type == "player.session.started":
            open_sessions.add(data["session_id"])
        elif row.event_type == "player.session.ended":
            assert data["session_id"] in open_sessions
            open_sessions.remove(data["session_id"])
    assert completed and set(completed) <= started
    refs = {tuple(p["player"].values())[:2] for r in rows if r.event_type == "match.started"
            for p in r.payload["data"]["players"]}  # fmt: skip
    assert ("steam", "76561198000000101") in refs  # demo Alice plays under her identity


def test_without_a_title_the_simulator_refuses(db):
    with pytest.raises(Exception, match="No active title 'starfall-arena'"):
        _simulate("--count", "1")


@pytest.mark.servicebus
@pytest.mark.django_db(transaction=True)
def test_with_service_bus_configured_the_simulator_publishes_there(
    servicebus_broker, title, settings
):
    settings.SERVICEBUS_CONNECTION_STRING = servicebus_broker.connection_string
    settings.SERVICEBUS_TOPIC, settings.SERVICEBUS_SUBSCRIPTION = TOPIC, SUBSCRIPTION

    _simulate("--count", "40", "--seed", "5")

    assert InboxEvent.objects.count() == 0  # nothing bypassed the bus
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["active"] == 40
    with consumer_thread(servicebus_broker.connection_string):
        wait_until(lambda: InboxEvent.objects.count() == 40, what="40 consumed")


@pytest.mark.django_db
def test_the_demo_seed_is_idempotent(title, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = seed()
    second = seed()

    assert first == ["Game events: 3 demo events ingested (0 already there)"]
    assert second == ["Game events: 0 demo events ingested (3 already there)"]
    assert InboxEvent.objects.filter(state="applied").count() == 3
