"""UGC descriptions in several languages: the creator writes them (REST and the portal's edit
form), each goes through the description's checks, and viewers read their language's text
(the default description as the fallback) on the item page, the gallery and the API."""

import pytest
from django.test import Client

from apps.moderation.automod.services import filter_rule_save
from apps.moderation.models import FilterRule
from apps.ugc.models import Item
from apps.ugc.services.fields import ItemInput
from apps.ugc.services.items import item_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.ugc.conftest import client_for

pytestmark = pytest.mark.django_db

DESCRIPTION_JA = "決勝ラウンドのクラッチです。"


@pytest.fixture
def arena():  # type: ignore[no-untyped-def]
    return TitleFactory(
        slug="starfall-arena", name="Starfall Arena",
        name_translations={"ja": "スターフォール・アリーナ"},
    )  # fmt: skip


@pytest.fixture
def clip(arena, alice):  # type: ignore[no-untyped-def]
    data = ItemInput(kind="clip", name="Ace clutch", link_url="https://youtu.be/x",
                     description="The final round's clutch.")  # fmt: skip
    return item_create(creator=alice, title=arena, data=data)


def edit(creator, item, **fields):  # type: ignore[no-untyped-def]
    return client_for(creator).patch(f"/api/v1/ugc/items/{item.id}", fields, format="json")


def test_the_creator_writes_a_japanese_description_that_japanese_readers_see(clip, alice):
    edited = edit(alice, clip, description_translations={"ja": DESCRIPTION_JA})
    reader = client_for(PlayerFactory())

    ja = reader.get(f"/api/v1/ugc/items/{clip.id}", HTTP_ACCEPT_LANGUAGE="ja").json()
    en = reader.get(f"/api/v1/ugc/items/{clip.id}", HTTP_ACCEPT_LANGUAGE="en").json()
    gallery = reader.get(
        "/api/v1/ugc/titles/starfall-arena/items", HTTP_ACCEPT_LANGUAGE="ja"
    ).json()["results"]

    assert edited.status_code == 200
    assert edited.json()["description_translations"] == {"ja": DESCRIPTION_JA}
    assert (ja["description"], ja["title_name"]) == (DESCRIPTION_JA, "スターフォール・アリーナ")
    assert (en["description"], en["title_name"]) == ("The final round's clutch.", "Starfall Arena")
    assert en["description_translations"] == {"ja": DESCRIPTION_JA}
    assert [row["description"] for row in gallery] == [DESCRIPTION_JA]
    assert "description_translations" not in gallery[0]  # lists stay lean


def test_the_item_page_and_gallery_show_the_viewers_language(clip, alice):
    edit(alice, clip, description_translations={"ja": DESCRIPTION_JA})
    pages = {}
    for locale in ("ja", "en"):
        client = Client()
        client.force_login(PlayerFactory(locale=locale).user)
        pages[locale] = [client.get(f"/ugc/items/{clip.id}/").content.decode(),
                         client.get("/ugc/t/starfall-arena/").content.decode()]  # fmt: skip

    assert DESCRIPTION_JA in pages["ja"][0]
    assert "<bdi>スターフォール・アリーナ</bdi>" in pages["ja"][1]
    assert "The final round&#x27;s clutch." in pages["en"][0]
    assert DESCRIPTION_JA not in pages["en"][0]


def test_the_portal_edit_form_has_a_box_per_language(clip, alice):
    client = Client()
    client.force_login(alice.user)

    client.post(f"/ugc/items/{clip.id}/manage/edit/", {
        "name": "Ace clutch", "description": "The final round's clutch.", "tags": "",
        "visibility": "public", "description_translations_ja": DESCRIPTION_JA,
        "description_translations_en": "",
    })  # fmt: skip
    page = client.get(f"/ugc/items/{clip.id}/").content.decode()

    clip.refresh_from_db()
    assert clip.description_translations == {"ja": DESCRIPTION_JA}
    assert '<textarea name="description_translations_ja"' in page


@pytest.mark.parametrize(
    ("translations", "code", "details"),
    [
        ({"fr": "Clutch"}, "unknown_language",
         {"field": "description_translations", "language": "fr"}),
        ({"ja": "あ" * 5001}, "text_too_long",
         {"field": "description_translations", "max_length": 5000, "language": "ja"}),
        ({"ja": "チーターの動画"}, "content_rejected",
         {"field": "description_translations", "language": "ja"}),
    ],
)  # fmt: skip
def test_each_languages_description_goes_through_the_descriptions_checks(
    clip, alice, arena, translations, code, details, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filter_rule_save(rule=FilterRule(pattern="チーター", action="block", title=arena))

    refused = edit(alice, clip, description_translations=translations)

    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["details"]) == (code, details)
    assert Item.objects.get(id=clip.id).description_translations == {}


@pytest.mark.postgres  # full-text; the SQLite search matches name, tags, description
def test_search_finds_an_item_by_its_japanese_description(clip, alice):
    edit(alice, clip, description_translations={"ja": "決勝 クラッチ"})

    found = client_for(PlayerFactory()).get("/api/v1/ugc/items", {"q": "クラッチ"}).json()

    assert [row["id"] for row in found["results"]] == [clip.id]
