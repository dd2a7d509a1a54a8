"""API requests with a player token or a title key skip the portal's session middlewares
(apps/api/middleware.py BearerApiShortcut); everything a client sees stays the same."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from apps.accounts.services import api_token_create
from tests.players.factories import PlayerFactory


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.django_db
def test_a_token_request_is_answered_with_every_header_and_no_session():
    player = PlayerFactory()
    secret = api_token_create(user=player.user, name="game").secret

    response = Client().get("/api/v1/feed", **_bearer(secret))

    assert response.status_code == 200
    assert response.cookies == {}  # no session, no CSRF cookie
    assert "Cookie" not in response.get("Vary", "")
    for header in ("X-Request-ID", "X-Frame-Options", "X-Content-Type-Options",
                   "Content-Security-Policy", "Referrer-Policy", "Content-Language"):  # fmt: skip
        assert response.has_header(header), header


@pytest.mark.django_db
def test_a_token_request_speaks_the_language_it_asks_for():
    response = Client().get(
        "/api/v1/feed", HTTP_ACCEPT_LANGUAGE="ja", **_bearer("ct_not-a-real-token")
    )

    assert response.status_code == 401
    assert response["Content-Language"] == "ja"
    assert response.json()["error"]["message"] != "Invalid, expired or revoked token."


@pytest.mark.django_db
def test_the_token_decides_even_when_a_session_of_someone_else_comes_along():
    session_player, token_player = PlayerFactory(), PlayerFactory(display_name="Token Owner")
    client = Client()
    client.force_login(session_player.user)
    secret = api_token_create(user=token_player.user, name="game").secret

    me = client.get("/api/v1/me", **_bearer(secret))
    revoked = client.get("/api/v1/me", **_bearer("ct_revoked-or-never-issued"))

    assert me.status_code == 200
    assert me.json()["display_name"] == "Token Owner"
    assert revoked.status_code == 401


@pytest.mark.django_db
def test_a_bearer_secret_of_no_known_kind_still_reaches_the_session():
    player = PlayerFactory(display_name="Session Owner")
    client = Client()
    client.force_login(player.user)

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer something-else")

    assert response.status_code == 200
    assert response.json()["display_name"] == "Session Owner"


def test_the_shortcut_without_its_end_is_refused_at_start(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("ShortcutEnd")]

    with pytest.raises(ImproperlyConfigured, match="BearerApiShortcutEnd"):
        Client().get("/healthz")
