"""The API answers JSON to the Accept headers clients send, the browsable API to browsers, and
406 to a type it cannot give (apps/api/negotiation.py answers the usual ones without parsing)."""

import pytest
from django.test import Client

from apps.accounts.services import api_token_create
from tests.players.factories import PlayerFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "status", "content_type"),
    [
        (None, 200, "application/json"),
        ("*/*", 200, "application/json"),
        ("application/json", 200, "application/json"),
        ("application/json; indent=4", 200, "application/json"),
        ("text/html", 200, "text/html; charset=utf-8"),
        ("text/html, */*", 200, "text/html; charset=utf-8"),
        ("application/xml", 406, "application/json"),
    ],
)
def test_each_accept_header_gets_its_answer(accept, status, content_type):
    secret = api_token_create(user=PlayerFactory().user, name="t").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept

    response = Client().get("/api/v1/notifications", **headers)

    assert response.status_code == status
    assert response["Content-Type"] == content_type
    if status == 406:
        assert response.json()["error"]["code"] == "not_acceptable"


@pytest.mark.django_db
def test_a_format_override_still_wins():
    secret = api_token_create(user=PlayerFactory().user, name="t").secret

    response = Client().get(
        "/api/v1/notifications?format=api", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response["Content-Type"] == "text/html; charset=utf-8"
