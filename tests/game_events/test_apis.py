import ast
import json
import re

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.game_events.codes import IGNORED_CODES, REJECTION_CODES
from apps.game_events.models import InboxEvent
from apps.game_events.services import _SOURCE_REASONS
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.game_events.events import cloud_event

pytestmark = pytest.mark.django_db
URL = "/api/v1/events"


def _post(client, body, content_type="application/json"):
    return client.post(URL, data=json.dumps(body), content_type=content_type)


def test_a_batch_gets_one_result_per_event_and_effects_apply_on_commit(
    title_client, recorded, django_capture_on_commit_callbacks, unhandled_type
):
    batch = [
        cloud_event(event_id="a"),
        cloud_event(event_id="a"),
        cloud_event("ugc.published", event_id="b"),
        cloud_event(event_id="c", source="/titles/tiny-racers"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(title_client, batch)

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"index": 0, "id": "a", "status": "accepted", "code": "", "reason": ""},
            {"index": 1, "id": "a", "status": "duplicate", "code": "", "reason": ""},
            {"index": 2, "id": "b", "status": "ignored", "code": "no_handler",
             "reason": "No handler yet."},
            {"index": 3, "id": "c", "status": "rejected", "code": "source_mismatch",
             "reason": "'source' must name the title of the calling key."},
        ],
        "counts": {"accepted": 1, "duplicate": 1, "ignored": 1, "rejected": 1},
    }  # fmt: skip
    assert recorded.ids == ["a"]
    assert dict(InboxEvent.objects.values_list("event_id", "state")) == {
        "a": "applied",
        "b": "ignored",
    }


@pytest.mark.parametrize("content_type", ["application/cloudevents-batch+json", "application/json"])
def test_batch_media_types_are_accepted(title_client, recorded, content_type):
    response = _post(title_client, [cloud_event(event_id="m")], content_type)

    assert response.json()["counts"]["accepted"] == 1


def test_a_single_structured_event_is_accepted(title_client, recorded):
    response = _post(title_client, cloud_event(event_id="one"), "application/cloudevents+json")

    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "accepted"


def test_republishing_the_same_batch_changes_nothing(title_client, recorded):
    batch = [cloud_event(event_id="r1"), cloud_event(event_id="r2")]
    _post(title_client, batch)

    response = _post(title_client, batch)

    assert response.json()["counts"] == {"accepted": 0, "duplicate": 2, "ignored": 0, "rejected": 0}
    assert InboxEvent.objects.count() == 2


def test_a_key_without_the_scope_is_refused_and_nothing_is_recorded(title):
    issued = title_credential_create(title=title, name="chat", scopes=[scopes.CHAT_TOKENS])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")

    response = _post(client, [cloud_event()])

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert InboxEvent.objects.count() == 0


def test_anonymous_and_player_callers_are_refused(logged_in_client):
    anonymous = APIClient().post(URL, data="[]", content_type="application/json")
    player = logged_in_client.post(URL, data="[]", content_type="application/json")

    assert anonymous.status_code == 401
    assert player.status_code == 403
    assert InboxEvent.objects.count() == 0


def test_batches_over_the_limit_empty_batches_and_bad_json_are_refused(title_client, settings):
    settings.GAME_EVENTS_HTTP_MAX_BATCH = 2

    too_many = _post(title_client, [cloud_event() for _ in range(3)])
    empty = _post(title_client, [])
    broken = title_client.post(URL, data="[{", content_type="application/json")
    wrong_type = title_client.post(URL, data="x", content_type="text/plain")

    assert (too_many.status_code, too_many.json()["error"]["code"]) == (400, "batch_too_large")
    assert too_many.json()["error"]["details"] == {"limit": 2, "received": 3}
    assert (empty.status_code, empty.json()["error"]["code"]) == (400, "empty_batch")
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "malformed_request")
    assert (wrong_type.status_code, wrong_type.json()["error"]["code"]) == (
        415,
        "unsupported_media_type",
    )
    assert InboxEvent.objects.count() == 0


def test_an_oversized_body_is_refused_before_parsing(title_client, settings):
    settings.GAME_EVENTS_HTTP_MAX_BODY_BYTES = 1000

    response = _post(title_client, [cloud_event(data={"x": "y" * 2000})])

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body is larger than the ingest limit.",
        "details": {"limit_bytes": 1000},
    }


def test_the_endpoint_is_in_the_openapi_schema_with_an_example(client):
    schema = client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/events"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "application/cloudevents-batch+json",
        "application/cloudevents+json",
    }
    example = operation["requestBody"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"][0]["type"] == "match.completed"


def _docs_rejection_codes() -> list[str]:
    text = (settings.BASE_DIR / "docs" / "events.md").read_text()
    table = text.split("## Rejection codes (per event)", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


def _codes_raised_in_code() -> set[str]:
    """Every literal code the app passes to ``EventRejected`` or a rejected ``IngestOutcome``."""
    codes = set(_SOURCE_REASONS)
    for path in (settings.BASE_DIR / "apps" / "game_events").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id == "EventRejected" and args:
                codes.add(args[0])
            elif node.func.id == "IngestOutcome" and args[:1] == ["rejected"] and len(args) > 1:
                codes.add(args[1])
    return codes


def test_every_refusal_code_is_in_the_docs_and_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    code = components["EventIngestResult"]["properties"]["code"]
    enum = [value for option in code["oneOf"]
            for value in components[option["$ref"].rsplit("/", 1)[1]]["enum"]]  # fmt: skip

    assert _docs_rejection_codes() == list(REJECTION_CODES)
    assert _codes_raised_in_code() <= set(REJECTION_CODES)
    assert set(enum) == {"", *REJECTION_CODES, *IGNORED_CODES}
    text = (settings.BASE_DIR / "docs" / "events.md").read_text()
    assert "`ignored` reasons: `unknown_type`, `unknown_version`, `no_handler`." in text
    assert IGNORED_CODES == ("unknown_type", "unknown_version", "no_handler")
