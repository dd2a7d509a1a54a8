"""Input is taken as sent or refused with a documented code: a number is not a string, a form
body is not JSON, an empty-looking name is too short."""

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.views import APIView

from apps.accounts.services import api_token_create
from apps.api.fields import StrictCharField
from apps.players.models import Achievement, Player
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def player() -> Player:
    return PlayerFactory(display_name="Hanako", bio="hello")


@pytest.fixture
def client(player) -> Client:
    secret = api_token_create(user=player.user, name="game").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize("value", [0, 1.5, True, ["text"], {"text": 1}, None])
def test_a_bio_that_is_not_a_string_is_refused_and_nothing_is_stored(client, player, value):
    response = client.patch("/api/v1/me", {"bio": value}, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]["fields"]) == ["bio"]
    player.refresh_from_db()
    assert player.bio == "hello"


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", 12345), ("locale", 0), ("time_zone", 9), ("country", 12)],
)
def test_no_profile_string_field_takes_a_number(client, player, field, value):
    response = client.patch("/api/v1/me", {field: value}, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == [field]
    player.refresh_from_db()
    assert (player.display_name, player.locale) == ("Hanako", "en")


def test_a_lone_surrogate_is_refused_not_a_crash(client, player):
    response = client.patch(
        "/api/v1/me", '{"bio": "\\ud800 broken"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["bio"]
    player.refresh_from_db()
    assert player.bio == "hello"


def test_a_game_server_cannot_send_a_number_for_an_external_id():
    title = TitleFactory(slug="starfall-arena")
    key = title_credential_create(title=title, name="s", scopes=[scopes.IDENTITIES_WRITE]).key

    response = Client().post(
        "/api/v1/identities/resolve",
        {"provider": "steam", "external_id": 76561198000000001},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["external_id"]
    assert not Player.objects.filter(identities__isnull=False).exists()


def test_a_login_that_is_a_number_is_refused():
    response = Client().post(
        "/api/v1/auth/tokens", {"login": 1, "password": 2}, content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]["fields"]) == {"login", "password"}


@pytest.mark.parametrize("name", ["  ", "", "\u3000\u3000"])
def test_a_display_name_of_only_spaces_is_name_too_short(client, player, name):
    response = client.patch("/api/v1/me", {"display_name": name}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_too_short"
    player.refresh_from_db()
    assert player.display_name == "Hanako"


def showcased(player: Player) -> Achievement:
    return Achievement.objects.create(
        player=player, title=TitleFactory(), key="first-win", name="First win",
        unlocked_at=timezone.now(), is_showcased=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [{}, {"other": "1"}, {"achievement_ids": ""}],
)
def test_a_form_body_never_clears_the_showcase(client, player, body):
    achievement = showcased(player)

    response = client.put(
        "/api/v1/me/showcase", encode_multipart(BOUNDARY, body), content_type=MULTIPART_CONTENT
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    achievement.refresh_from_db()
    assert achievement.is_showcased


def test_a_json_body_without_the_list_does_not_clear_the_showcase(client, player):
    achievement = showcased(player)

    response = client.put("/api/v1/me/showcase", {}, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["achievement_ids"]
    achievement.refresh_from_db()
    assert achievement.is_showcased


def test_an_empty_json_list_clears_the_showcase(client, player):
    achievement = showcased(player)

    response = client.put(
        "/api/v1/me/showcase", {"achievement_ids": []}, content_type="application/json"
    )

    assert response.status_code == 204
    achievement.refresh_from_db()
    assert not achievement.is_showcased


# --- Every string field of the REST API is strict ---------------------------------------------


def api_views() -> list[type[APIView]]:
    found: list[type[APIView]] = []

    def walk(patterns: list) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None)
                if view is not None and issubclass(view, APIView):
                    found.append(view)

    walk(get_resolver().url_patterns)
    return found


def input_serializers(view: type[APIView]) -> list[serializers.Serializer]:
    names = ("InputSerializer", "FilterSerializer")
    found = [getattr(view, name)() for name in names if hasattr(view, name)]
    if view.__module__.endswith("identities"):
        from apps.players.apis.identities import IdentityInputSerializer

        found.append(IdentityInputSerializer())
    return found


def string_fields(serializer: serializers.Serializer, prefix: str = "") -> list[tuple[str, object]]:
    fields: list[tuple[str, object]] = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            fields += string_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ListField | serializers.DictField):
            fields.append((f"{prefix}{name}[]", field.child))
        else:
            fields.append((f"{prefix}{name}", field))
    return fields


def test_every_string_input_of_the_rest_api_is_a_strict_string_field():
    views = api_views()
    checked, loose = [], []
    for view in views:
        for serializer in input_serializers(view):
            for name, field in string_fields(serializer):
                if not isinstance(field, serializers.CharField):
                    continue
                checked.append(name)
                if not isinstance(field, StrictCharField):
                    loose.append(f"{view.__name__}.{type(serializer).__name__}.{name}")

    assert len(views) > 30 and len(checked) > 15
    assert loose == []
