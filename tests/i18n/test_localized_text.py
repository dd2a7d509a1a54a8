"""Titles' names per language with a fallback: the viewer's language picks the text, a
language without one falls back to the name; bad per-language text is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.common.text_safety.errors import NameRejected
from apps.common.text_safety.names import reject_reserved
from apps.titles.selectors import reserved_names
from tests.factories import TitleFactory

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
