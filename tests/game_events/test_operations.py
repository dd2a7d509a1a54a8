from io import StringIO

import pytest
from django.core.management import call_command

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel, InboxEvent
from apps.game_events.services import events_apply_pending, events_ingest
from tests.factories import UserFactory
from tests.game_events.events import cloud_event
from tests.game_events.servicebus import consumer_thread, publish, wait_until
from tests.servicebus.fixtures import SUBSCRIPTION, SUBSCRIPTION_PATH, TOPIC


def _command(*args, **settings_overrides) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _failing(event):
    raise RuntimeError("stats service down")


@pytest.mark.django_db
def test_events_status_shows_counts_metrics_and_the_last_error(title, recorded, unhandled_type):
    from apps.game_events.registry import handler_register, handler_unregister

    events = [envelope_validate(cloud_event(event_id=i)) for i in ("a", "b")]
    events.append(envelope_validate(cloud_event("ugc.published", event_id="c")))
    events_ingest(events=events, channel=Channel.HTTP)
    handler_register("player.progressed", _failing)
    try:
        events_apply_pending()
    finally:
        handler_unregister("player.progressed", _failing)

    out = _command("events_status")

    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "player.progressed 0 0 0 0 2" in lines  # received applied ignored dead failed
    assert "ugc.published 0 0 1 0 0" in lines
    assert "player.progressed 2 0 0 0 2 0 0" in lines  # metrics: received … failed
    assert any(
        line.endswith("failed player.progressed /titles/starfall-arena b: handler_error: "
                      "RuntimeError: stats service down")
        for line in lines
    )  # fmt: skip
    assert "not configured (HTTP ingest only)" in out


@pytest.mark.django_db
def test_events_replay_failed_requeues_and_applies_once(
    title, recorded, django_capture_on_commit_callbacks
):
    from apps.game_events.registry import handler_register, handler_unregister

    events_ingest(events=[envelope_validate(cloud_event(event_id="f"))], channel=Channel.HTTP)
    handler_register("player.progressed", _failing)
    try:
        events_apply_pending()
    finally:
        handler_unregister("player.progressed", _failing)

    with django_capture_on_commit_callbacks(execute=True):
        out = _command("events_replay", "--failed")
    again = _command("events_replay", "--failed")

    assert out == "failed events requeued: 1\n"
    assert again == "failed events requeued: 0\n"
    assert InboxEvent.objects.get().state == "applied"
    assert recorded.ids == ["f", "f", "f"]  # fast pass, isolated pass (both rolled back), replay


@pytest.mark.servicebus
@pytest.mark.django_db(transaction=True)
def test_dead_letters_are_inspected_and_replayed_after_the_title_is_registered(
    servicebus_broker, title, recorded, settings
):
    settings.SERVICEBUS_CONNECTION_STRING = servicebus_broker.connection_string
    settings.SERVICEBUS_TOPIC, settings.SERVICEBUS_SUBSCRIPTION = TOPIC, SUBSCRIPTION
    events = [cloud_event(event_id="late-title", source="/titles/tiny-racers"), b"[broken"]
    publish(servicebus_broker.connection_string, events)
    with consumer_thread(servicebus_broker.connection_string):
        wait_until(lambda: servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 2)

    status = _command("events_status")
    from tests.factories import TitleFactory

    TitleFactory(slug="tiny-racers")  # the operator registers the missing title, then replays
    replay = _command("events_replay", "--dead-letter")

    assert f"{SUBSCRIPTION_PATH}: 0 waiting, oldest -, 2 dead-lettered" in status
    replayed, still_invalid = replay.splitlines()
    assert replayed == "dead letters replayed: accepted=1"
    assert still_invalid.startswith("still invalid (left in the dead-letter queue): ")
    assert still_invalid.endswith(
        " invalid_json: The event is not valid JSON: Expecting value: line 1 column 2 (char 1)"
    )
    assert recorded.ids == ["late-title"]
    assert InboxEvent.objects.get().state == "applied"
    assert servicebus_broker.entity_counts(SUBSCRIPTION_PATH)["dead_letter"] == 1


@pytest.mark.django_db
def test_the_admin_lists_the_inbox_with_filters_and_refuses_edits(client, title, unhandled_type):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    events_ingest(
        events=[envelope_validate(cloud_event("ugc.published", event_id="s-1"))],
        channel=Channel.HTTP,
    )
    row = InboxEvent.objects.get()

    listing = client.get(
        "/admin/game_events/inboxevent/?state__exact=ignored&event_type=ugc.published"
    )
    empty = client.get("/admin/game_events/inboxevent/?state__exact=failed")
    detail = client.get(f"/admin/game_events/inboxevent/{row.id}/change/")
    post = client.post(f"/admin/game_events/inboxevent/{row.id}/change/", {"state": "applied"})

    assert listing.status_code == 200
    assert "s-1" in listing.content.decode()
    assert "s-1" not in empty.content.decode()
    assert detail.status_code == 200
    assert post.status_code == 403
    assert InboxEvent.objects.get().state == "ignored"
