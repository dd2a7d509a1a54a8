"""Bad input gets a documented error code, never a crash."""

import pytest
from rest_framework.test import APIClient

from apps.players.models import FriendRequest
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db
HUGE = 10**30


@pytest.fixture
def client() -> APIClient:
    client = APIClient()
    client.force_authenticate(PlayerFactory().user)
    return client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/friends/requests/new", {"player_id": HUGE}),
        ("post", "/api/v1/friends/requests/new", {"player_id": "abc"}),
        ("post", "/api/v1/blocks/new", {"player_id": -1}),
        ("post", f"/api/v1/notifications/{HUGE}/read", None),
        ("get", f"/api/v1/players/{HUGE}", None),
        ("delete", f"/api/v1/friends/requests/{HUGE}", None),
        ("patch", "/api/v1/me", {"display_name": ["not", "a", "string"]}),
        ("patch", "/api/v1/me", {"bio": "x" * 501}),
        ("patch", "/api/v1/me", {"privacy": "everyone"}),
        ("put", "/api/v1/me/showcase", {"achievement_ids": "nope"}),
        ("post", "/api/v1/me/identities/claim", {"code": "\x00" * 8}),
    ],
)
def test_bad_input_is_answered_with_an_error_envelope(client, method, path, body):
    response = getattr(client, method)(path, body, format="json")

    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert FriendRequest.objects.count() == 0
