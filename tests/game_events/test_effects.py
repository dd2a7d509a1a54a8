import pytest

from apps.chat.models import Channel
from apps.game_events.models import InboxEvent
from tests.game_events import scenario
from tests.game_events.servicebus import consumer_thread, publish, wait_until

pytestmark = [pytest.mark.servicebus, pytest.mark.django_db(transaction=True)]


def test_every_handled_event_type_end_to_end_through_service_bus(servicebus_broker, title):
    alice, bob = scenario.players(title)

    with consumer_thread(servicebus_broker.connection_string):
        publish(servicebus_broker.connection_string, scenario.first_half())
        scenario.check_first_half(alice, wait_until)
        publish(servicebus_broker.connection_string, scenario.second_half())
        scenario.check_second_half(alice, bob, wait_until)

    announcements = Channel.objects.get(kind="announcement", title=title)
    messages = scenario.as_player(alice).get(f"/api/v1/chat/channels/{announcements.id}/messages")
    assert [m["body"] for m in messages.json()["results"]] == ["Season 4 starts tonight!"]
    states = sorted(InboxEvent.objects.values_list("event_type", "state"))
    assert states == [
        ("achievement.unlocked", "applied"),
        ("announcement.posted", "applied"),
        ("match.completed", "applied"),
        ("match.started", "applied"),
        ("player.progressed", "applied"),
        ("player.sanctioned", "applied"),
        ("player.session.ended", "applied"),
        ("player.session.started", "applied"),
    ]
