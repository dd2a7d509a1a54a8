import json

import pytest

from apps.game_events.catalog import catalog, catalog_entry, catalog_types, schema_violation
from apps.game_events.envelope import EventRejected, envelope_validate, event_parse_json
from tests.game_events.events import cloud_event


def test_a_valid_event_is_parsed_with_its_title_and_version():
    event = envelope_validate(cloud_event("match.completed", subject="m-42", dataversion="1"))

    assert (event.type, event.version, event.title_slug, event.subject) == (
        "match.completed",
        1,
        "starfall-arena",
        "m-42",
    )
    assert event.time.isoformat() == "2026-11-25T03:20:00+00:00"


@pytest.mark.parametrize(
    ("change", "code", "reason"),
    [
        ({"id": None}, "missing_attribute", "'id' is required."),
        ({"id": "has space"}, "invalid_attribute",
         "'id' must be 1-200 printable ASCII characters."),
        ({"source": None}, "missing_attribute", "'source' is required."),
        ({"source": "starfall"}, "invalid_source", "'source' must be '/titles/<title slug>'."),
        ({"specversion": "0.3"}, "unsupported_specversion", "'specversion' must be '1.0'."),
        ({"type": None}, "missing_attribute", "'type' is required."),
        ({"type": "Match Completed"}, "invalid_attribute",
         "'type' must look like 'match.completed'."),
        ({"time": None}, "missing_attribute", "'time' is required."),
        ({"time": "2026-11-25 03:20"}, "invalid_attribute", "'time' must be RFC 3339 with a zone."),
        # Well-formed but impossible: refused like any bad time, not an unhandled ValueError.
        ({"time": "2026-13-45T03:20:00Z"}, "invalid_attribute",
         "'time' must be RFC 3339 with a zone."),
        ({"time": "2026-11-25T03:20:00"}, "invalid_attribute",
         "'time' must be RFC 3339 with a zone."),
        ({"datacontenttype": "text/xml"}, "unsupported_content_type",
         "'datacontenttype' must be application/json."),
        ({"data": "text"}, "invalid_data", "'data' must be a JSON object."),
        ({"data": None}, "invalid_data", "'data' must be a JSON object."),
        ({"dataversion": "v2"}, "invalid_attribute", "'dataversion' must be a positive integer."),
        ({"subject": 5}, "invalid_attribute", "'subject' must be a non-empty string."),
    ],
)  # fmt: skip
def test_envelope_violations_are_rejected_with_a_precise_reason(change, code, reason):
    raw = cloud_event()
    for key, value in change.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value

    with pytest.raises(EventRejected) as rejected:
        envelope_validate(raw)

    assert (rejected.value.code, rejected.value.reason) == (code, reason)


def test_a_rejection_after_the_identity_carries_source_and_id():
    with pytest.raises(EventRejected) as rejected:
        envelope_validate(cloud_event(event_id="e-7", specversion="2.0"))

    assert (rejected.value.source, rejected.value.event_id) == ("/titles/starfall-arena", "e-7")


def test_non_objects_bad_json_and_oversized_bodies_are_rejected(settings):
    settings.GAME_EVENTS_MAX_EVENT_BYTES = 100

    with pytest.raises(EventRejected) as not_object:
        envelope_validate([1, 2])
    with pytest.raises(EventRejected) as bad_json:
        event_parse_json(b'{"id": ')
    with pytest.raises(EventRejected) as too_large:
        event_parse_json(json.dumps(cloud_event()).encode())

    assert not_object.value.code == "not_an_object"
    assert bad_json.value.code == "invalid_json"
    assert too_large.value.code == "event_too_large"
    assert too_large.value.reason.endswith("the limit is 100.")


def test_the_catalog_has_every_documented_type_and_each_example_is_valid():
    assert catalog_types() == [
        "achievement.unlocked",
        "announcement.posted",
        "match.completed",
        "match.started",
        "player.progressed",
        "player.sanctioned",
        "player.session.ended",
        "player.session.started",
        "player.unsanctioned",
        "ugc.published",
    ]
    for entry in catalog().values():
        assert entry.examples, entry.event_type
        for example in entry.examples:
            assert schema_violation(entry, example) is None, entry.event_type


def test_schema_violations_name_the_field():
    entry = catalog_entry("match.completed", 1)
    data = entry.examples[0] | {"players": [{"player": {"provider": "psn", "external_id": "x"},
                                             "outcome": "win"}]}  # fmt: skip

    assert schema_violation(entry, data) == (
        "$.players[0].player.provider: 'psn' is not one of "
        "['xbox', 'steam', 'playstation', 'nintendo', 'epic', 'custom']"
    )
    assert schema_violation(entry, {"mode": "x"}) == "$: 'match_id' is a required property"


@pytest.mark.parametrize(
    ("event_type", "field", "value"),
    [
        ("achievement.unlocked", "unlocked_at", "yesterday"),
        ("achievement.unlocked", "unlocked_at", "2026-11-25T04:00:00"),  # no zone
        ("achievement.unlocked", "unlocked_at", "2026-02-30T04:00:00Z"),  # no such day
        ("player.sanctioned", "expires_at", "next week"),
        ("ugc.published", "url", "not a uri"),
        ("ugc.published", "url", "/relative/path"),
    ],
)
def test_formats_are_checked_not_only_declared(event_type, field, value):
    """jsonschema alone lets any string pass "date-time" and "uri" (they need optional
    packages); the catalog checks them, so a bad timestamp is a schema violation rather than
    a handler failure."""
    entry = catalog_entry(event_type, 1)
    data = entry.examples[0] | {field: value}

    assert (
        schema_violation(entry, data)
        == f"$.{field}: {value!r} is not a {entry.schema['properties'][field]['format']!r}"
    )
    assert schema_violation(entry, entry.examples[0]) is None
