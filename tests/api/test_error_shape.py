"""No input gives a 500, and every error under /api/ has the one JSON shape of docs/api.md —
also the errors Django answers before or outside DRF (unknown paths, non-integer ids, request
bodies over the size limit, crashes). Pages outside /api/ keep HTML error pages."""

import base64
import io
import json

import pytest
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone, translation

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.players.models import Achievement, Player
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "details"}


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    return body["error"]


def title_key(*scope_names: str) -> str:
    title = TitleFactory(slug="starfall-arena", name="Starfall Arena")
    return title_credential_create(title=title, name="servers", scopes=list(scope_names)).key


@pytest.fixture
def player_token() -> tuple[Player, str]:
    player = PlayerFactory()
    return player, api_token_create(user=player.user, name="game").secret


# --- A title key on endpoints that act as a person ------------------------------------------


def test_a_title_key_listing_player_tokens_is_refused_not_a_crash(player_token):
    key = title_key(*scopes.SCOPES)

    response = Client().get("/api/v1/auth/tokens/mine", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_a_title_key_revoking_a_player_token_is_refused_and_the_token_lives(player_token):
    _player, secret = player_token
    token = ApiToken.objects.get()
    key = title_key(*scopes.SCOPES)

    response = Client().delete(
        f"/api/v1/auth/tokens/{token.id}", HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    token.refresh_from_db()
    assert token.revoked_at is None
    mine = Client().get("/api/v1/auth/tokens/mine", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert mine.status_code == 200


# --- Errors Django answers outside DRF, with DEBUG off (test settings, as production) ----------


def test_an_unknown_api_path_is_a_json_not_found():
    response = Client().get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_non_integer_id_in_an_api_path_is_a_json_not_found(player_token):
    _player, secret = player_token

    response = Client().get("/api/v1/players/abc", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_the_error_message_follows_the_language_of_the_request():
    response = Client().get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="ja")

    with translation.override("ja"):
        expected = translation.gettext("Not found.")
    assert error_of(response)["message"] == expected


def test_pages_outside_the_api_keep_an_html_not_found_page():
    response = Client().get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "<title>" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_form_fields_over_the_size_limit_are_a_json_payload_too_large(player_token):
    player, secret = player_token
    body = encode_multipart(BOUNDARY, {"note": "x" * 2000, "image": io.BytesIO(b"not read")})

    response = Client().put(
        "/api/v1/me/avatar", body, content_type=MULTIPART_CONTENT,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip

    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"limit_bytes": 1000}
    player.refresh_from_db()
    assert not player.avatar_large


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_form_fields_are_a_json_payload_too_large(player_token):
    _player, secret = player_token
    fields = {f"field{index}": "x" for index in range(10)}

    response = Client().put(
        "/api/v1/me/avatar", encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip

    assert response.status_code == 413
    assert error_of(response)["details"] == {"limit_fields": 5}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_json_body_over_the_size_limit_is_refused_before_it_is_parsed():
    UserFactory(username="alice")
    body = json.dumps({"login": "alice", "password": TEST_PASSWORD, "name": "x" * 2000})

    response = Client().post("/api/v1/auth/tokens", body, content_type="application/json")

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert ApiToken.objects.count() == 0


@override_settings(ROOT_URLCONF="tests.api.urls_crash")
def test_a_crash_under_the_api_is_a_json_internal_error():
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/crash")

    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "ZeroDivisionError" not in response.content.decode()


@override_settings(ROOT_URLCONF="tests.api.urls_crash")
def test_a_crash_on_a_portal_page_is_an_html_server_error_page():
    client = Client(raise_request_exception=False)

    response = client.get("/crash")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "<title>" in response.content.decode()


@override_settings(ROOT_URLCONF="tests.api.urls_crash")
def test_a_bad_request_under_the_api_is_json_and_html_elsewhere():
    client = Client(raise_request_exception=False)

    api = client.get("/api/v1/suspicious")
    portal = client.get("/suspicious")

    assert api.status_code == portal.status_code == 400
    assert error_of(api)["code"] == "bad_request"
    assert portal["Content-Type"].startswith("text/html")


@override_settings(ROOT_URLCONF="tests.api.urls_crash", DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_django_refuses_outside_a_view_is_a_json_payload_too_large():
    response = Client(raise_request_exception=False).get("/api/v1/too-big")

    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"limit_bytes": 1000}


# --- Crafted cursors ----------------------------------------------------------------------------


def crafted(position: str) -> str:
    return base64.b64encode(position.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        crafted("p=1"),  # cD0x: a position that is not a time
        crafted("p=2026-13-45T99:00:00"),
        crafted("o=abc"),
        crafted("r=x&p=1"),
        "%%%not-base64",
        crafted("p=\x00"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/notifications", "/api/v1/feed", "activity"])
def test_a_crafted_cursor_is_invalid_cursor(player_token, path, cursor):
    player, secret = player_token
    if path == "activity":
        path = f"/api/v1/players/{player.id}/activity"

    response = Client().get(path, {"cursor": cursor}, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_cursor"


def test_a_cursor_from_a_page_still_works(player_token):
    from apps.players.services import activity_record

    player, secret = player_token
    for index in range(3):
        activity_record(player=player, kind="achievement", data={"index": index})
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    first = client.get("/api/v1/feed", {"limit": 2}).json()
    second = client.get(first["next"]).json()

    assert [entry["data"]["index"] for entry in first["results"] + second["results"]] == [2, 1, 0]


# --- JSON nested deeper than the parser allows --------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_json_on_anonymous_login_is_json_too_deep():
    UserFactory(username="alice")

    response = Client().post("/api/v1/auth/tokens", nested(950), content_type="application/json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "json_too_deep"
    assert error["details"] == {"max_depth": 32}
    assert ApiToken.objects.count() == 0


def test_deep_json_inside_a_field_is_json_too_deep(player_token):
    player, secret = player_token
    body = '{"bio": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}"

    response = Client().patch(
        "/api/v1/me", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "json_too_deep"
    player.refresh_from_db()
    assert player.bio == ""


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v1/me"),
        ("put", "/api/v1/me/showcase"),
        ("put", "/api/v1/me/notification-preferences"),
        ("post", "/api/v1/friends/requests/new"),
        ("post", "/api/v1/blocks/new"),
        ("post", "/api/v1/me/identities/claim"),
        ("post", "/api/v1/chat/direct-channels"),
    ],
)
def test_deep_json_is_json_too_deep_on_player_endpoints(player_token, method, path):
    _player, secret = player_token

    response = getattr(Client(), method)(
        path, nested(950), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "json_too_deep"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/identities/resolve",
        "/api/v1/identities/claim-codes",
        "/api/v1/chat/tokens",
        "/api/v1/chat/announcements",
        "/api/v1/title-client/credentials/rotate",
    ],
)
def test_deep_json_is_json_too_deep_on_game_server_endpoints(path):
    key = title_key(*scopes.SCOPES)

    response = Client().post(
        path, nested(950), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "json_too_deep"


def test_json_at_the_depth_limit_is_parsed(player_token):
    player, secret = player_token
    achievement = Achievement.objects.create(
        player=player, title=TitleFactory(), key="first-win", name="First win",
        unlocked_at=timezone.now(),
    )  # fmt: skip
    # {"achievement_ids": [id]} is depth 2; pad the list's neighbours up to the limit.
    body = json.dumps({"achievement_ids": [achievement.id], "extra": json.loads(nested(30))})

    response = Client().put(
        "/api/v1/me/showcase", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip

    assert response.status_code == 204
    achievement.refresh_from_db()
    assert achievement.is_showcased
