"""Content in several languages, chosen by the viewer's language with a fallback: titles'
names on guild, chat and UGC pages and in the API; guild and UGC descriptions; announcements
with a text per language (docs/i18n.md, "Content in several languages")."""

import json

import pytest
from channels.db import database_sync_to_async
from community_chat import message_text
from django.test import Client
from playwright.sync_api import expect, sync_playwright
from rest_framework.test import APIClient

from apps.chat.channels import (
    announcement_channel_get_or_create,
    lobby_channel_get_or_create,
    match_channel_open,
)
from apps.chat.models import Message
from apps.chat.services import announcement_post
from apps.game_events.models import InboxEvent
from apps.guilds.models import Guild
from apps.players.models import Player
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.chat.support import open_socket
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.guilds.factories import make_guild
from tests.i18n.test_japanese_pages import SCREENSHOTS
from tests.players.factories import PlayerFactory
from tests.support.services import CHROMIUM

ARENA_JA = "スターフォール・アリーナ"


@pytest.fixture
def arena():  # type: ignore[no-untyped-def]
    return TitleFactory(
        name="Starfall Arena", slug="starfall-arena", name_translations={"ja": ARENA_JA}
    )


def portal_for(locale: str) -> Client:
    client = Client()
    client.force_login(PlayerFactory(locale=locale).user)
    return client


def api_for(player=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate((player or PlayerFactory()).user)
    return client


@pytest.mark.django_db
def test_guild_pages_name_the_title_in_the_viewers_language(arena):
    guild = make_guild(title=arena, name="Night Owls")
    pages = {
        locale: [portal_for(locale).get(url).content.decode()
                 for url in (f"/guilds/{guild.id}/", "/guilds/")]
        for locale in ("ja", "en")
    }  # fmt: skip

    assert all(f"<bdi>{ARENA_JA}</bdi>" in page for page in pages["ja"])
    assert all("<bdi>Starfall Arena</bdi>" in page for page in pages["en"])
    assert not any(ARENA_JA in page for page in pages["en"])


@pytest.mark.django_db
def test_the_titles_api_names_titles_in_the_requests_language(arena):
    untranslated = TitleFactory(name="Tiny Racers", slug="tiny-racers")
    client = APIClient()

    ja = client.get("/api/v1/titles", HTTP_ACCEPT_LANGUAGE="ja").json()
    en = client.get(f"/api/v1/titles/{arena.slug}", HTTP_ACCEPT_LANGUAGE="en").json()

    assert {row["slug"]: row["name"] for row in ja} == {
        "starfall-arena": ARENA_JA, untranslated.slug: "Tiny Racers",
    }  # fmt: skip
    assert (en["name"], en["name_translations"]) == ("Starfall Arena", {"ja": ARENA_JA})


@pytest.mark.django_db
def test_the_chat_page_and_channel_list_name_title_channels_in_the_viewers_language(arena):
    lobby_channel_get_or_create(title=arena)
    ada = PlayerFactory(locale="ja")
    match_channel_open(title=arena, match_id="m-7", player_ids=[ada.id])
    client = Client()
    client.force_login(ada.user)

    page = client.get("/chat/").content.decode()
    listed = api_for(ada).get("/api/v1/chat/channels", HTTP_ACCEPT_LANGUAGE="ja").json()
    in_english = api_for(ada).get("/api/v1/chat/channels", HTTP_ACCEPT_LANGUAGE="en").json()

    config = json.loads(page.split('id="chat-config" type="application/json">')[1].split("<")[0])
    assert [lobby["name"] for lobby in config["lobbies"]] == [ARENA_JA]
    assert [row["name"] for row in listed] == [f"{ARENA_JA} · マッチ m-7"]
    assert [row["name"] for row in in_english] == ["Starfall Arena · match m-7"]


@pytest.mark.django_db(transaction=True)
async def test_a_socket_learns_of_a_new_match_channel_named_in_its_language(arena):
    ada = await database_sync_to_async(PlayerFactory)(locale="ja")
    bob = await database_sync_to_async(PlayerFactory)(locale="en")
    sockets = [await open_socket(ada.user), await open_socket(bob.user)]

    await database_sync_to_async(match_channel_open)(
        title=arena, match_id="m-8", player_ids=[ada.id, bob.id]
    )
    names = [(await socket.next_of("channel_joined"))["channel"]["name"] for socket in sockets]

    assert names == [f"{ARENA_JA} · マッチ m-8", "Starfall Arena · match m-8"]
    for socket in sockets:
        await socket.close()


def title_client(title) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    key = title_credential_create(title=title, name="server", scopes=[scopes.CHAT_ANNOUNCE]).key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


SEASON_JA = "今夜シーズン4開幕"
SEASON = {"body": "Season 4 starts tonight!", "body_translations": {"ja": SEASON_JA}}


@pytest.mark.django_db
def test_one_announcement_is_read_in_each_players_language(arena):
    posted = title_client(arena).post("/api/v1/chat/announcements", SEASON, format="json")
    channel_id = posted.json()["channel_id"]
    reader = api_for()

    history = {
        language: reader.get(
            f"/api/v1/chat/channels/{channel_id}/messages", HTTP_ACCEPT_LANGUAGE=language
        ).json()["results"][0]
        for language in ("ja", "en")
    }
    message = Message.objects.get()

    assert posted.status_code == 201
    assert posted.json()["body_translations"] == {"ja": SEASON_JA}
    assert (message.body, message.body_translations) == (
        "Season 4 starts tonight!", {"ja": SEASON_JA},
    )  # fmt: skip
    assert history["ja"] == history["en"]  # the same object: the client picks the language
    assert history["ja"]["body_translations"] == {"ja": SEASON_JA}
    assert message_text(history["ja"], "ja-JP") == SEASON_JA
    assert message_text(history["en"], "en") == "Season 4 starts tonight!"
    assert message_text(history["en"], "fr") == "Season 4 starts tonight!"  # the fallback


def announcement_event(event_id: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": event_id, "source": "/titles/starfall-arena",
            "type": "announcement.posted", "time": "2026-01-10T12:00:00Z",
            "data": data}  # fmt: skip


@pytest.mark.django_db
def test_a_game_event_posts_one_announcement_in_every_language(
    arena, django_capture_on_commit_callbacks
):
    key = title_credential_create(title=arena, name="events", scopes=[scopes.EVENTS_PUBLISH]).key
    events = APIClient()
    events.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    unknown = {**SEASON, "body_translations": {"xx": "?"}}

    with django_capture_on_commit_callbacks(execute=True):
        events.post("/api/v1/events", data=json.dumps([announcement_event("a1", SEASON),
                                                        announcement_event("a2", unknown)]),
                    content_type="application/json")  # fmt: skip

    message = Message.objects.get()
    refused = InboxEvent.objects.get(event_id="a2")
    assert (message.body, message.body_translations) == (SEASON["body"], {"ja": SEASON_JA})
    assert InboxEvent.objects.get(event_id="a1").state == "applied"
    assert (refused.state, refused.reason) == ("failed", "unknown_language")


@pytest.mark.django_db
def test_a_plain_announcement_carries_no_translations(arena):
    posted = title_client(arena).post(
        "/api/v1/chat/announcements", {"body": "Maintenance at 10:00"}, format="json"
    )

    assert posted.status_code == 201
    assert "body_translations" not in posted.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("translations", "code", "details"),
    [
        (
            {"fr": "Saison 4 ce soir !"},
            "unknown_language",
            {"field": "body_translations", "language": "fr"},
        ),
        (
            {"ja": "あ" * 2001},
            "too_long",
            {"field": "body_translations", "max_length": 2000, "language": "ja"},
        ),
        ({"ja": "   "}, "empty_message", {"field": "body_translations", "language": "ja"}),
    ],
)
def test_bad_translations_of_an_announcement_are_refused(arena, translations, code, details):
    body = {"body": "Season 4 starts tonight!", "body_translations": translations}

    refused = title_client(arena).post("/api/v1/chat/announcements", body, format="json")

    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["details"]) == (
        code, details,
    )  # fmt: skip
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
async def test_the_announcement_frame_carries_every_language_once(arena):
    ada = await database_sync_to_async(PlayerFactory)(locale="ja")
    bob = await database_sync_to_async(PlayerFactory)(locale="en")
    channel = await database_sync_to_async(announcement_channel_get_or_create)(title=arena)
    sockets = [await open_socket(ada.user), await open_socket(bob.user)]
    for socket in sockets:
        await socket.call({"type": "subscribe", "channels": [{"channel_id": channel.id}]})

    await database_sync_to_async(announcement_post)(title=arena, **SEASON)
    frames = [(await socket.next_of("message"))["message"] for socket in sockets]

    assert frames[0] == frames[1]
    assert frames[0]["body_translations"] == {"ja": SEASON_JA}
    assert (message_text(frames[0], "ja"), message_text(frames[1], "en")) == (
        SEASON_JA, "Season 4 starts tonight!",
    )  # fmt: skip
    for socket in sockets:
        await socket.close()


GUILD_JA = "夜型プレイヤーのギルドです。\n毎晩22時から。"


@pytest.fixture
def owls(arena):  # type: ignore[no-untyped-def]
    guild = make_guild(title=arena, name="Night Owls")
    Guild.objects.filter(id=guild.id).update(
        description="A guild for night owls.", description_translations={"ja": GUILD_JA}
    )
    guild.refresh_from_db()
    return guild


@pytest.mark.django_db
def test_guild_reads_show_the_description_in_the_requests_language(owls):
    client = api_for()
    detail = {
        language: client.get(f"/api/v1/guilds/{owls.id}", HTTP_ACCEPT_LANGUAGE=language).json()
        for language in ("ja", "en")
    }
    browse = client.get("/api/v1/guilds", HTTP_ACCEPT_LANGUAGE="ja").json()["results"]
    page = portal_for("ja").get(f"/guilds/{owls.id}/").content.decode()
    in_english = portal_for("en").get(f"/guilds/{owls.id}/").content.decode()

    assert detail["ja"]["description"] == GUILD_JA
    assert detail["en"]["description"] == "A guild for night owls."  # the fallback
    assert detail["en"]["description_translations"] == {"ja": GUILD_JA}
    assert [row["description"] for row in browse] == [GUILD_JA]
    assert "夜型プレイヤーのギルドです。<br>毎晩22時から。" in page
    assert "A guild for night owls." in in_english


@pytest.mark.django_db
def test_the_leader_edits_the_description_per_language_over_rest_and_the_portal(arena):
    leader = PlayerFactory()
    guild = make_guild(title=arena, leader=leader)
    client = Client()
    client.force_login(leader.user)

    patched = api_for(leader).patch(
        f"/api/v1/guilds/{guild.id}",
        {"description": "Raids on Fridays.", "description_translations": {"ja": "金曜はレイド"}},
        format="json",
    )
    client.post(f"/guilds/{guild.id}/manage/settings/", {
        "description": "Raids on Fridays.", "join_policy": "open", "language": "ja",
        "region": "", "description_translations_ja": "金曜日はレイドです。",
        "description_translations_en": "",
    })  # fmt: skip
    manage = client.get(f"/guilds/{guild.id}/manage/").content.decode()

    guild.refresh_from_db()
    assert patched.status_code == 200
    assert patched.json()["description_translations"] == {"ja": "金曜はレイド"}
    assert guild.description_translations == {"ja": "金曜日はレイドです。"}
    assert '<textarea name="description_translations_ja"' in manage
    assert "金曜日はレイドです。</textarea>" in manage


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("translations", "code", "details"),
    [
        ({"xx": "Raids"}, "unknown_language",
         {"field": "description_translations", "language": "xx"}),
        ({"ja": "レ" * 1001}, "invalid_text",
         {"field": "description_translations", "max_length": 1000, "language": "ja"}),
        ({"ja": "レイド\u202e"}, "invalid_text",
         {"field": "description_translations", "max_length": 1000, "language": "ja"}),
    ],
)  # fmt: skip
def test_bad_guild_descriptions_per_language_are_refused(owls, translations, code, details):
    leader = Player.objects.get(guild_memberships__guild=owls)

    refused = api_for(leader).patch(
        f"/api/v1/guilds/{owls.id}", {"description_translations": translations}, format="json"
    )

    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["details"]) == (code, details)
    assert Guild.objects.get(id=owls.id).description_translations == {"ja": GUILD_JA}


@pytest.mark.django_db
def test_staff_edit_a_guilds_description_per_language_in_the_admin(owls):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/guilds/guild/{owls.id}/change/").content.decode()

    assert 'name="description_translations_ja"' in page
    assert "毎晩22時から。</textarea>" in page


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_japanese_player_sees_the_guild_description_and_announcement_in_japanese(
    daphne_server, arena
):
    ada = PlayerFactory(user=UserFactory(username="ada"), locale="ja", display_name="ada")
    guild = make_guild(title=arena, leader=ada)
    Guild.objects.filter(id=guild.id).update(
        description="A guild for night owls.", description_translations={"ja": GUILD_JA}
    )
    announcement_post(title=arena, **SEASON)
    base = daphne_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/accounts/login/")
            page.locator("input[name=username]").fill("ada")
            page.locator("input[name=password]").fill(TEST_PASSWORD)
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state("networkidle")
            page.goto(f"{base}/guilds/{guild.id}/")
            description = page.get_by_test_id("guild-description")
            expect(description).to_contain_text("夜型プレイヤーのギルドです。")
            lines = description.inner_text().splitlines()
            page.screenshot(path=str(SCREENSHOTS / "guild-description.png"))
            page.goto(f"{base}/chat/")
            page.get_by_role("button", name=f"{ARENA_JA} · お知らせ").click()
            expect(page.get_by_test_id("message").last).to_contain_text(SEASON_JA)
            page.screenshot(path=str(SCREENSHOTS / "chat-announcement.png"))
            shown = page.get_by_test_id("message").last.inner_text()
        finally:
            browser.close()

    assert lines == ["夜型プレイヤーのギルドです。", "毎晩22時から。"]
    assert "Season 4 starts tonight!" not in shown
