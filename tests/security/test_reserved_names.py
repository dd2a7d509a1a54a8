"""Reserved display names: staff words, the brand and every title's name and slug, compared
after normalization and confusable folding (docs/players.md, "Display names")."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.common.text_safety import ReservedNames
from apps.players.models import Player
from apps.players.services import player_create, player_get_or_create_by_identity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.accounts.test_signup import link_in_last_email, start_signup
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STAFF_HINTS = ["Moderator", "Admin", "Community Support"]


@pytest.fixture
def starfall():
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


def game_server(title) -> APIClient:  # type: ignore[no-untyped-def]
    key = title_credential_create(title=title, name="s", scopes=[scopes.IDENTITIES_WRITE]).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.parametrize("hint", STAFF_HINTS)
def test_a_staff_name_hint_gives_the_shadow_player_a_generated_name(starfall, hint):
    body = {"provider": "steam", "external_id": f"7656-{hint}", "display_name_hint": hint}

    response = game_server(starfall).post("/api/v1/identities/resolve", body, format="json")

    assert response.status_code == 200
    assert response.json()["display_name"].startswith("Player-")
    assert not Player.objects.filter(display_name=hint).exists()


def test_a_free_name_hint_is_still_taken(starfall):
    body = {"provider": "steam", "external_id": "7656-kai", "display_name_hint": "Kai"}

    response = game_server(starfall).post("/api/v1/identities/resolve", body, format="json")

    assert response.json()["display_name"] == "Kai"


def test_game_events_cannot_create_a_shadow_named_after_a_title(starfall):
    shadow = player_get_or_create_by_identity(
        provider="custom", external_id="x1", title=starfall, display_name_hint="Starfall_Arena"
    )

    assert shadow.display_name.startswith("Player-")


@pytest.mark.parametrize(
    "name",
    ["Moderator", "\uff2d\uff2f\uff24", "ADMlN", "Adm1n", "ModeratorKai", "Official Kai", "GM7",
     "Starfall Arena", "starfall-arena", "Game Community", "Kaiju Kingdoms"],
)  # fmt: skip
def test_signup_refuses_reserved_display_names(starfall, name, django_capture_on_commit_callbacks):
    TitleFactory(slug="kaiju-kingdoms", name="Kaiju Kingdoms", is_active=False)
    client = Client()
    start_signup(client, "n@example.test", django_capture_on_commit_callbacks)

    response = client.post(
        link_in_last_email(),
        {"username": "nova", "display_name": name, "password": TEST_PASSWORD},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["display_name"] == [
        "This name is reserved: it looks like a staff, brand or game name."
    ]
    assert not User.objects.filter(username="nova").exists()
    assert Player.objects.count() == 0


def test_a_profile_edit_to_a_reserved_name_is_refused_and_nothing_changes():
    player = PlayerFactory(display_name="Nova", display_name_key="nova")
    client = APIClient()
    client.force_authenticate(player.user)

    response = client.patch("/api/v1/me", {"display_name": "Community Support"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_reserved"
    player.refresh_from_db()
    assert player.display_name == "Nova"


def test_a_player_keeps_a_name_they_hold_when_the_list_grows(settings):
    player = player_create(user=UserFactory(), display_name="Sentinel")
    settings.RESERVED_NAMES = [*settings.RESERVED_NAMES, "sentinel"]
    client = APIClient()
    client.force_authenticate(player.user)

    kept = client.patch("/api/v1/me", {"display_name": "Sentinel", "bio": "hi"}, format="json")
    other = PlayerFactory()
    client.force_authenticate(other.user)
    taken = client.patch("/api/v1/me", {"display_name": "SENTINEL2"}, format="json")

    assert kept.status_code == 200
    assert taken.json()["error"]["code"] == "name_reserved"


@pytest.mark.parametrize("name", ["Badminton", "Supportive", "Sigma", "Starfall", "Modest",
                                  "大輔", "Taro太郎", "Gman"])  # fmt: skip
def test_names_that_only_contain_a_reserved_word_stay_free(starfall, name):
    assert player_create(user=UserFactory(), display_name=name).display_name == name


def test_the_list_is_extendable_from_the_environment(monkeypatch):
    from community import env as env_module

    monkeypatch.setenv("RESERVED_NAMES_EXTRA", "Ranger Corps,Helper")
    extra = env_module.env.list("RESERVED_NAMES_EXTRA", default=[])

    names = ReservedNames(extra)

    assert names.is_reserved("RangerCorps") and names.is_reserved("helper_01")
