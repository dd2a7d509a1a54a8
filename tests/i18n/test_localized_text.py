"""Titles' names per language with a fallback: the viewer's language picks the text, a
language without one falls back to the name; bad per-language text is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from apps.common.localized_text import LocalizedTextField
from apps.common.text_safety.errors import NameRejected
from apps.common.text_safety.names import reject_reserved
from apps.players.friends import friend_request_accept, friend_request_send
from apps.players.models import PlayerTitleStats
from apps.players.presence import presence_game_session_start
from apps.titles.models import Title
from apps.titles.selectors import reserved_names
from tests.factories import TitleFactory, UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_a_titles_name_follows_the_viewers_language_with_a_fallback():
    title = TitleFactory(
        name="Starfall Arena", name_translations={"ja": "スターフォール・アリーナ"}
    )
    untranslated = TitleFactory(name="Tiny Racers", slug="tiny-racers")

    with translation.override("ja"):
        assert str(title) == "スターフォール・アリーナ"
        assert str(untranslated) == "Tiny Racers"
    with translation.override("en"):
        assert str(title) == "Starfall Arena"


@pytest.mark.parametrize(
    ("translations", "code"),
    [
        ({"xx": "Arena"}, "unknown_language"),
        ({"ja": "   "}, "invalid_text"),
        ({"ja": 5}, "invalid_text"),
        ({"ja": "ア" * 121}, "invalid_text"),
        ({"ja": "アリーナ\u202e"}, "invalid_text"),
        (["ja", "アリーナ"], "invalid"),
    ],
)
def test_bad_per_language_names_are_refused(translations, code):
    title = TitleFactory(name="Starfall Arena")
    title.name_translations = translations

    with pytest.raises(ValidationError) as refused:
        title.full_clean()

    assert [error.code for error in refused.value.error_dict["name_translations"]] == [code]


def test_a_titles_name_in_japanese_is_reserved_for_players():
    TitleFactory(name="Starfall Arena", name_translations={"ja": "スターフォール"})

    with pytest.raises(NameRejected) as refused:
        reject_reserved("スターフォール", reserved_names())

    assert refused.value.code == "name_reserved"


@pytest.fixture
def ada_plays_two_titles():  # type: ignore[no-untyped-def]
    arena = TitleFactory(
        name="Starfall Arena",
        slug="starfall-arena",
        name_translations={"ja": "スターフォール・アリーナ"},
    )
    racers = TitleFactory(name="Tiny Racers", slug="tiny-racers")
    ada = PlayerFactory(display_name="ada")
    for title in (arena, racers):
        PlayerTitleStats.objects.create(player=ada, title=title, matches_played=3)
    return ada


def test_a_profile_shows_titles_in_the_viewers_language_with_the_fallback(ada_plays_two_titles):
    pages = {}
    for locale in ("ja", "en"):
        client = Client()
        client.force_login(PlayerFactory(locale=locale).user)
        pages[locale] = client.get(f"/players/{ada_plays_two_titles.id}/").content.decode()

    assert "<bdi>スターフォール・アリーナ</bdi>" in pages["ja"]
    assert "<bdi>Tiny Racers</bdi>" in pages["ja"]  # no Japanese name: the fallback
    assert "<bdi>Starfall Arena</bdi>" in pages["en"]
    assert "スターフォール" not in pages["en"]


def test_the_api_names_titles_in_the_requests_language(ada_plays_two_titles):
    client = APIClient()
    client.force_authenticate(PlayerFactory().user)

    def names(language: str) -> dict[str, str]:
        body = client.get(
            f"/api/v1/players/{ada_plays_two_titles.id}", HTTP_ACCEPT_LANGUAGE=language
        ).json()
        return {row["title"]: row["title_name"] for row in body["stats"]}

    assert names("ja") == {
        "starfall-arena": "スターフォール・アリーナ",
        "tiny-racers": "Tiny Racers",
    }
    assert names("en") == {"starfall-arena": "Starfall Arena", "tiny-racers": "Tiny Racers"}


def test_a_friend_in_game_shows_the_titles_name_in_the_viewers_language():
    title = TitleFactory(
        name="Starfall Arena", name_translations={"ja": "スターフォール・アリーナ"}
    )
    viewer, ada = PlayerFactory(locale="ja"), PlayerFactory(display_name="ada")
    friend_request_accept(player=ada, request=friend_request_send(sender=viewer, recipient=ada))
    presence_game_session_start(player=ada, title=title, session_id="s1")
    client = Client()
    client.force_login(viewer.user)

    page = client.get("/players/friends/").content.decode()

    assert "スターフォール・アリーナ" in page


def test_staff_edit_a_titles_names_one_box_per_language_in_the_admin():
    title = TitleFactory(name="Starfall Arena", slug="starfall-arena")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    TitleForm = modelform_factory(Title, fields=["name", "slug", "name_translations"])

    form = TitleForm(
        {"name": "Starfall Arena", "slug": "starfall-arena",
         "name_translations_en": "", "name_translations_ja": "スターフォール・アリーナ"},
        instance=title,
    )  # fmt: skip
    assert form.is_valid(), form.errors
    form.save()
    page = client.get(f"/admin/titles/title/{title.id}/change/").content.decode()
    blank = TitleForm(
        {"name": "Starfall Arena", "slug": "starfall-arena", "name_translations_ja": "   "},
        instance=title,
    )

    title.refresh_from_db()
    assert title.name_translations == {"ja": "スターフォール・アリーナ"}
    assert 'name="name_translations_ja"' in page
    assert 'value="スターフォール・アリーナ"' in page
    assert 'name="name_translations_en"' in page
    assert not blank.is_valid()
    assert [error.code for error in blank.errors.as_data()["name_translations"]] == ["invalid_text"]


def test_descriptions_per_language_may_hold_line_breaks_and_are_edited_in_text_areas():
    descriptions = LocalizedTextField(max_length=500, multiline=True)
    names = LocalizedTextField(max_length=120)
    text = {"ja": "夜型プレイヤーのギルドです。\r\n毎晩22時から。"}

    descriptions.validate(text, None)
    with pytest.raises(ValidationError) as refused:
        names.validate(text, None)
    with pytest.raises(ValidationError) as hidden:
        descriptions.validate({"ja": "ギルド\u202eです"}, None)
    boxes = descriptions.formfield().widget.render("description_translations", text)

    assert refused.value.code == hidden.value.code == "invalid_text"
    assert '<textarea name="description_translations_ja"' in boxes
    assert 'name="name_translations_ja" ' in names.formfield().widget.render(
        "name_translations", {}
    )
    assert descriptions.deconstruct()[3]["multiline"] is True
    assert "multiline" not in names.deconstruct()[3]  # titles' migration state is unchanged
