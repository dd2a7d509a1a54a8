"""Input that the database, the encoder or the parser cannot take (a NUL, an unpaired
surrogate, deep nesting, non-finite numbers) and the limits the docs state: each bad event is
refused on its own with a documented code; its neighbours apply; never a 500."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.game_events.codes import IGNORED_CODES, REJECTION_CODES
from apps.game_events.envelope import MAX_NESTING, EventRejected, envelope_validate
from apps.game_events.models import InboxEvent
from tests.game_events.events import cloud_event, inbox_refusing, player_ref

pytestmark = pytest.mark.django_db
URL = "/api/v1/events"


def _nested(depth: int) -> dict:
    """``data`` whose innermost object sits ``depth`` levels below the event."""
    value: dict = {"leaf": 1}
    for _ in range(depth - 2):  # the event is level 1, ``data`` level 2
        value = {"n": value}
    return value


def _nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _post_text(client, text: str):
    return client.post(URL, data=text.encode(), content_type="application/json")


def _results(response) -> list[tuple[str | None, str, str]]:
    return [(r["id"], r["status"], r["code"]) for r in response.json()["results"]]


def _progressed(event_id: str, **player: str) -> dict:
    ref = {"provider": "custom", "external_id": f"ext-{event_id}"} | player
    return cloud_event(event_id=event_id, data={"player": ref, "level": 3, "xp": 10})


def test_nul_characters_anywhere_are_refused_per_event_and_the_others_apply(
    title_client, recorded, django_capture_on_commit_callbacks
):
    batch = [
        cloud_event(event_id="ok-1"),
        cloud_event(event_id="nul-subject", subject="m\x0042"),
        cloud_event(event_id="nul-data", data={"player": player_ref("a\x00"), "level": 1, "xp": 1}),
        cloud_event(event_id="nul-extension", traceparent="00-\x00"),
        _progressed("nul-hint", display_name="Al\x00ice"),
        cloud_event(event_id="nul-key", data={"player\x00": 1}),
        cloud_event(event_id="ok-2"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_text(title_client, json.dumps(batch))

    assert response.status_code == 200
    assert _results(response) == [
        ("ok-1", "accepted", ""),
        ("nul-subject", "rejected", "invalid_character"),
        ("nul-data", "rejected", "invalid_character"),
        ("nul-extension", "rejected", "invalid_character"),
        ("nul-hint", "rejected", "invalid_character"),
        ("nul-key", "rejected", "invalid_character"),
        ("ok-2", "accepted", ""),
    ]
    reasons = [r["reason"] for r in response.json()["results"]]
    assert reasons[1] == "$.subject contains a NUL character (U+0000)."
    assert reasons[4] == "$.data.player.display_name contains a NUL character (U+0000)."
    assert reasons[5] == "$.data: a key contains a NUL character (U+0000)."
    assert recorded.ids == ["ok-1", "ok-2"]
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == ["ok-1", "ok-2"]


def test_an_unpaired_surrogate_is_refused_per_event_and_never_echoed(title_client, recorded):
    # json.dumps writes "\ud800" for the lone surrogate: valid JSON syntax, not valid Unicode.
    batch = [
        cloud_event(event_id="ok"),
        cloud_event(event_id="lone-subject", subject="\ud800"),
        cloud_event(event_id="lone-data", data={"player": player_ref("x\udfff"), "level": 1,
                                                "xp": 1}),
        cloud_event(event_id="pair", subject="\U0001f600"),  # a proper pair is fine
        cloud_event(event_id="\ud800"),  # not an id we can answer with
    ]  # fmt: skip

    response = _post_text(title_client, json.dumps(batch))

    assert response.status_code == 200
    assert _results(response) == [
        ("ok", "accepted", ""),
        ("lone-subject", "rejected", "invalid_character"),
        ("lone-data", "rejected", "invalid_character"),
        ("pair", "accepted", ""),
        (None, "rejected", "invalid_character"),
    ]
    assert response.json()["results"][1]["reason"] == (
        "$.subject contains an unpaired surrogate (U+D800-U+DFFF)."
    )
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == ["ok", "pair"]


def test_nesting_deeper_than_the_limit_is_refused_per_event(title_client, recorded):
    batch = [
        cloud_event("player.teleported", event_id="at-limit", data=_nested(MAX_NESTING)),
        cloud_event("player.teleported", event_id="over", data=_nested(MAX_NESTING + 1)),
        cloud_event("player.teleported", event_id="deep-list", data={"x": _nested_list(31)}),
        cloud_event("player.teleported", event_id="far", data=_nested(600)),
        cloud_event(event_id="ok"),
    ]

    response = _post_text(title_client, json.dumps(batch))

    assert response.status_code == 200
    assert _results(response) == [
        ("at-limit", "ignored", "unknown_type"),
        ("over", "rejected", "nesting_too_deep"),
        ("deep-list", "rejected", "nesting_too_deep"),
        ("far", "rejected", "nesting_too_deep"),
        ("ok", "accepted", ""),
    ]
    assert response.json()["results"][1]["reason"] == (
        f"The event nests objects and arrays deeper than {MAX_NESTING} levels."
    )


@pytest.mark.parametrize("depth", [950, 5_000, 200_000])
def test_a_body_nested_too_deep_for_the_parser_is_never_a_500(title_client, depth):
    """Around 950 levels the JSON parser itself runs out of recursion; that (and anything
    deeper) is the documented 400, never an unhandled RecursionError."""
    deep = "[" * depth + "]" * depth
    text = json.dumps([cloud_event(event_id="ok"), cloud_event(event_id="deep", data={})])
    text = text.replace('"data": {}', f'"data": {{"x": {deep}}}')

    response = _post_text(title_client, text)

    if response.status_code == 200:  # the parser got through: the event is refused alone
        assert _results(response)[1] == ("deep", "rejected", "nesting_too_deep")
    else:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_request"
        assert InboxEvent.objects.count() == 0


def test_a_body_the_parser_cannot_read_is_a_400_not_a_500(title_client):
    huge_integer = "1" * 5000  # Python refuses to convert more than 4300 digits
    text = json.dumps([cloud_event(event_id="big", data={})]).replace(
        "{}", f'{{"n": {huge_integer}}}'
    )

    response = _post_text(title_client, text)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert InboxEvent.objects.count() == 0


def test_numbers_the_database_cannot_store_are_refused_per_event(title_client, recorded):
    text = json.dumps(
        [
            cloud_event("player.teleported", event_id="nan", data={"x": "NAN"}),
            cloud_event("player.teleported", event_id="inf", data={"x": "INF"}),
            cloud_event("player.teleported", event_id="overflow", data={"x": "OVER"}),
            cloud_event(event_id="ok"),
        ]
    )
    # Python's parser reads NaN and Infinity, and 1e400 as infinity; JSON has neither.
    text = text.replace('"NAN"', "NaN").replace('"INF"', "-Infinity").replace('"OVER"', "1e400")

    response = _post_text(title_client, text)

    assert response.status_code == 200
    assert _results(response) == [
        ("nan", "rejected", "invalid_number"),
        ("inf", "rejected", "invalid_number"),
        ("overflow", "rejected", "invalid_number"),
        ("ok", "accepted", ""),
    ]
    assert list(InboxEvent.objects.values_list("event_id", flat=True)) == ["ok"]


def test_the_subject_is_at_most_200_characters(title_client, recorded):
    batch = [
        cloud_event(event_id="long", subject="s" * 201),
        cloud_event(event_id="max", subject="s" * 200),
    ]

    response = _post_text(title_client, json.dumps(batch))

    assert _results(response) == [
        ("long", "rejected", "invalid_attribute"),
        ("max", "accepted", ""),
    ]
    assert response.json()["results"][0]["reason"] == "'subject' must be at most 200 characters."
    assert InboxEvent.objects.get().subject == "s" * 200


def test_the_time_must_lie_within_the_documented_window(title_client, recorded, settings):
    settings.GAME_EVENTS_MAX_FUTURE_SECONDS = 300
    soon = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (datetime.now(UTC) + timedelta(seconds=900)).strftime("%Y-%m-%dT%H:%M:%SZ")
    batch = [
        cloud_event(event_id="year-1", time="0001-01-01T00:00:00Z"),
        cloud_event(event_id="year-1-east", time="0001-01-01T00:00:00+01:00"),
        cloud_event(event_id="before-2000", time="1999-12-31T23:59:59Z"),
        cloud_event(event_id="y2k", time="2000-01-01T00:00:00Z"),
        cloud_event(event_id="soon", time=soon),
        cloud_event(event_id="later", time=later),
        cloud_event(event_id="year-9999", time="9999-12-31T23:59:59Z"),
        cloud_event(event_id="year-9999-west", time="9999-12-31T23:59:59-01:00"),
    ]

    response = _post_text(title_client, json.dumps(batch))

    assert response.status_code == 200
    assert _results(response) == [
        ("year-1", "rejected", "time_out_of_range"),
        ("year-1-east", "rejected", "time_out_of_range"),
        ("before-2000", "rejected", "time_out_of_range"),
        ("y2k", "accepted", ""),
        ("soon", "accepted", ""),
        ("later", "rejected", "time_out_of_range"),
        ("year-9999", "rejected", "time_out_of_range"),
        ("year-9999-west", "rejected", "time_out_of_range"),
    ]
    assert response.json()["results"][5]["reason"] == (
        "'time' must lie between 2000-01-01T00:00:00Z and 300 seconds from now."
    )
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == ["soon", "y2k"]


@pytest.mark.parametrize(
    "external_id",
    ["tab\there", "new\nline", "\tleading", "bell\x07", "nbsp\xa0", "zw\u200bsp", " "],
)
def test_an_account_id_with_a_control_character_is_refused_on_arrival(
    title_client, recorded, external_id
):
    response = _post_text(title_client, json.dumps([_progressed("bad", external_id=external_id)]))

    assert _results(response) == [("bad", "rejected", "schema_violation")]
    assert response.json()["results"][0]["reason"].startswith("$.player.external_id: ")
    assert InboxEvent.objects.count() == 0
    assert recorded.ids == []


def test_envelope_validate_refuses_the_same_input_for_every_channel():
    """Service Bus and the in-process simulator call ``envelope_validate`` directly."""
    with pytest.raises(EventRejected) as nul:
        envelope_validate(cloud_event(subject="a\x00"))
    with pytest.raises(EventRejected) as deep:
        envelope_validate(cloud_event(data=_nested(MAX_NESTING + 1)))

    assert (nul.value.code, nul.value.event_id) == ("invalid_character", None)
    assert deep.value.code == "nesting_too_deep"


@pytest.mark.postgres
def test_an_event_the_database_refuses_is_rejected_alone_over_http(title_client, recorded):
    """Whatever validation lets through that the database refuses fails that event alone."""
    batch = [cloud_event(event_id="ok-1"), cloud_event(event_id="poison"),
             cloud_event(event_id="ok-2")]  # fmt: skip

    with inbox_refusing("poison"):
        response = _post_text(title_client, json.dumps(batch))

    assert response.status_code == 200
    assert _results(response) == [
        ("ok-1", "accepted", ""),
        ("poison", "rejected", "storage_refused"),
        ("ok-2", "accepted", ""),
    ]
    assert response.json()["results"][1]["reason"] == (
        "The database refused the event: DataError: refused event poison"
    )
    assert sorted(InboxEvent.objects.values_list("event_id", flat=True)) == ["ok-1", "ok-2"]


def test_an_account_id_the_schema_accepts_is_one_players_accept():
    """The catalog's ``account-id`` check is as strict as players' ``identity_validate`` or
    stricter, so no event that passes it can fail on its identity in a handler."""
    from apps.game_events.catalog import catalog_entry, schema_violation
    from apps.players.services import identity_validate

    candidates = ["76561198000000001", "demo-alice", "太郎", " padded ", "a b", "x" * 128,
                  "tab\there", "\tleading", "trailing\n", "nbsp\xa0", "zw\u200bsp",
                  "bidi\u202e", " ", "del\x7f", "x" * 129]  # fmt: skip
    entry = catalog_entry("player.progressed", 1)

    accepted = [
        external_id
        for external_id in candidates
        if schema_violation(entry, {"player": {"provider": "steam", "external_id": external_id},
                                    "level": 1, "xp": 1}) is None
    ]  # fmt: skip

    assert accepted == ["76561198000000001", "demo-alice", "太郎", " padded ", "a b", "x" * 128]
    for external_id in accepted:
        assert identity_validate(provider="steam", external_id=external_id)


# Any character, with the ones that broke ingest (NUL, unpaired surrogates) made frequent.
_characters = st.one_of(
    st.characters(),
    st.sampled_from(["\x00", "\ud800", "\udfff", "\t", "\u200b"]),
    st.characters(categories=["Cs", "Cc"]),
)
_texts = st.text(_characters, max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_texts, children, max_size=3),
    max_leaves=12,
)
_deep = st.integers(min_value=1, max_value=60).map(_nested_list)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(_texts, _json | _deep, max_size=4),
    extension=_json,
    subject=_texts,
    external_id=_texts,
)
def test_whatever_an_event_holds_the_batch_answers_200_and_its_neighbour_applies(
    title_client, data, extension, subject, external_id
):
    """Property: any JSON value (with NULs, unpaired surrogates, control characters,
    NaN/Infinity, nesting up to 60) in ``data``, an extension attribute, the subject or an
    account id gets one result for its event, and the valid event beside it is accepted."""
    good = cloud_event()
    hostile = cloud_event("match.completed", data=data, subject=subject, myextension=extension)
    progressed = _progressed(good["id"] + "-p", external_id=external_id)

    response = _post_text(title_client, json.dumps([hostile, good, progressed]))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results][1] == "accepted"
    assert {r["status"] for r in results} <= {"accepted", "ignored", "rejected"}
    assert all(r["code"] in {"", *REJECTION_CODES, *IGNORED_CODES} for r in results)
