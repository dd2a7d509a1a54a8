# ruff: noqa: RUF001, RUF003 -- look-alike characters are this file's subject
"""Names go through ICU's spoof checker at the documented restriction level (Highly
Restrictive, per word): Japanese names pass, look-alike alphabets mixed in a word do not."""

import icu
import pytest
from django.test import Client

from apps.accounts.services import api_token_create
from apps.common.text_safety.errors import NameRejected
from apps.common.text_safety.names import NAME_RESTRICTION_LEVEL, validate_display_name
from tests.players.factories import PlayerFactory


def test_the_documented_restriction_level_is_highly_restrictive():
    assert NAME_RESTRICTION_LEVEL == icu.URestrictionLevel.HIGHLY_RESTRICTIVE


@pytest.mark.parametrize(
    "name", ["たろう", "Taro太郎", "サトシ_ケッチャム", "ゲーマー123", "김철수", "Алексей Smith"]
)
def test_names_in_one_script_or_japanese_mixes_pass(name):
    assert validate_display_name(name) == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("pаypal", "name_mixed_script"),  # Cyrillic а
        ("ЅЕGА", "name_mixed_script"),  # Cyrillic Ѕ, Е, А around a Latin G
        ("Αdmin", "name_mixed_script"),  # Greek Α
        ("١٢٣abc", "name_mixed_script"),
        ("ab12 ١٢", "name_mixed_script"),  # two digit systems in one name
        ("ax\u0336\u0336yz", "name_invalid_characters"),  # the same mark twice: invisible
    ],
)
def test_look_alike_names_are_refused_with_their_code(name, code):
    with pytest.raises(NameRejected) as refused:
        validate_display_name(name)

    assert refused.value.code == code


@pytest.mark.django_db
def test_a_look_alike_display_name_is_refused_by_the_api_and_the_name_stays():
    player = PlayerFactory(display_name="taro")
    secret = api_token_create(user=player.user, name="game").secret

    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").patch(
        "/api/v1/me", {"display_name": "pаypal"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_mixed_script"
    player.refresh_from_db()
    assert player.display_name == "taro"
