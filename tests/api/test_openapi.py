"""The OpenAPI schema says what the API does: every operation's errors and codes, the duplicate
chat post, the paginated lists; ``make schema`` validates with warnings as errors; and every
code it lists is in docs/api.md."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def error_codes(operation: dict, status: str) -> list[str]:
    response = operation["responses"][status]
    body = response["content"]["application/json"]["schema"]
    return body["properties"]["error"]["properties"]["code"]["enum"]


def test_every_operation_lists_its_error_responses_with_their_codes(schema):
    missing = []
    for method, path, operation in operations(schema):
        errors = {status for status in operation["responses"] if status >= "400"}
        if "429" not in errors:
            missing.append(f"{method} {path}: no 429")
        for status in errors:
            codes = error_codes(operation, status)
            description = operation["responses"][status]["description"]
            assert codes, (method, path, status)
            assert all(f"`{code}`" in description for code in codes), (method, path, status)

    assert len(operations(schema)) > 40
    assert missing == []


@pytest.mark.parametrize(
    ("method", "path", "status", "codes"),
    [
        ("GET", "/api/v1/auth/tokens/mine", "403", {"permission_denied"}),
        ("GET", "/api/v1/auth/tokens/mine", "401", {"not_authenticated", "authentication_failed"}),
        ("POST", "/api/v1/auth/tokens", "401", {"invalid_credentials"}),
        ("POST", "/api/v1/auth/tokens", "400", {"validation_error", "json_too_deep"}),
        ("POST", "/api/v1/auth/tokens", "413", {"payload_too_large"}),
        ("PATCH", "/api/v1/me", "400", {"name_too_short", "bio", "unknown_time_zone"}),
        ("PATCH", "/api/v1/me", "409", {"display_name_taken"}),
        ("GET", "/api/v1/players/{player_id}", "404", {"not_found"}),
        ("GET", "/api/v1/feed", "400", {"invalid_cursor", "validation_error"}),
        ("PUT", "/api/v1/me/avatar", "413", {"avatar_too_large", "payload_too_large"}),
        ("POST", "/api/v1/chat/channels/{channel_id}/messages", "403", {"muted", "blocked"}),
        ("POST", "/api/v1/chat/channels/{channel_id}/messages", "429", {"rate_limited"}),
        ("POST", "/api/v1/events", "400", {"empty_batch", "batch_too_large"}),
        ("POST", "/api/v1/friends/requests/new", "409", {"already_friends"}),
    ],
)
def test_an_operation_names_its_own_codes(schema, method, path, status, codes):
    operation = schema["paths"][path][method.lower()]

    assert codes <= set(error_codes(operation, status))


def test_a_public_endpoint_lists_no_permission_errors(schema):
    responses = schema["paths"]["/api/v1/titles"]["get"]["responses"]

    assert "403" not in responses
    assert error_codes(schema["paths"]["/api/v1/titles"]["get"], "401") == ["authentication_failed"]


def test_a_duplicate_chat_post_is_documented_as_200_with_the_message(schema):
    responses = schema["paths"]["/api/v1/chat/channels/{channel_id}/messages"]["post"]["responses"]

    assert set(responses) >= {"200", "201"}
    assert "client_msg_id" in responses["200"]["description"]
    ok = responses["200"]["content"]["application/json"]["schema"]
    created = responses["201"]["content"]["application/json"]["schema"]
    assert ok == created == {"$ref": "#/components/schemas/MessageOutput"}


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/feed", "Activity"),
        ("/api/v1/notifications", "Notification"),
        ("/api/v1/players/{player_id}/activity", "Activity"),
    ],
)
def test_paginated_lists_are_documented_as_pages(schema, path, item):
    operation = schema["paths"][path]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]

    assert page["type"] == "object"
    assert set(page["properties"]) == {"next", "previous", "results"}
    assert page["properties"]["next"]["nullable"] is True
    assert page["properties"]["results"]["items"] == {"$ref": f"#/components/schemas/{item}"}
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["cursor"]["schema"] == {"type": "string"}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_string_inputs_are_documented_without_nul(schema):
    me = schema["components"]["schemas"]["PatchedMeInputRequest"]["properties"]
    login = schema["components"]["schemas"]["ApiTokenCreateInputRequest"]["properties"]

    assert me["bio"]["oneOf"][0]["pattern"] == "^[^\\u0000]+$"
    assert login["login"]["pattern"] == "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def test_make_schema_validates_with_warnings_as_errors(tmp_path):
    target = tmp_path / "openapi.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/feed" in target.read_text()


def test_every_error_code_of_the_schema_is_in_docs_api_md(schema):
    docs = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    documented = set(re.findall(r"`([a-z_]+)`", docs))
    codes = {
        code
        for _method, _path, operation in operations(schema)
        for status in operation["responses"]
        if status >= "400"
        for code in error_codes(operation, status)
    }

    assert codes - documented == set()
