"""The portal's scripts speak the page's language: Django's JavaScript catalog (domain
``djangojs``) at ``/jsi18n/<language>/``, cached by the server and the browser under an address
that changes with the language and the compiled catalogs; and what the chat script draws
passes the pseudo-locale gate."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.chat.channels import lobby_channel_get_or_create, match_channel_open
from apps.chat.models import Channel
from apps.chat.services import message_send
from apps.players.friends import block_create
from apps.portal.jsi18n import catalog_url
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.i18n.test_pseudo_locale_gate import USER_CONTENT, VISIBLE_TEXT, untranslated_words
from tests.players.factories import PlayerFactory
from tests.portal.browser import record_console_errors, screenshot
from tests.support.services import CHROMIUM


def _js(text: str) -> str:
    """As the catalog writes a string (JSON, non-ASCII escaped)."""
    return json.dumps(text)


def test_the_catalog_gives_the_scripts_the_languages_strings():
    japanese = Client().get(catalog_url("ja"))
    english = Client().get(catalog_url("en"))

    assert japanese.status_code == 200
    assert japanese["Content-Type"].startswith("text/javascript")
    body = japanese.content.decode()
    assert _js("今日") in body  # Today, the chat's day separator
    assert _js("%(title)s をプレイ中") in body  # the friends page's presence
    assert english.status_code == 200
    assert _js("今日") not in english.content.decode()
    assert Client().get("/jsi18n/xx/").status_code == 404


def test_the_catalog_is_cached_under_an_address_per_language_and_catalog_version():
    cache.clear()
    url = catalog_url("ja")

    first = Client().get(url)
    again = Client().get(url)

    assert url != catalog_url("en")
    assert url.startswith("/jsi18n/ja/?v=")
    assert "max-age=86400" in first["Cache-Control"]
    # The second answer came from the server's cache: the same bytes, the same Expires.
    assert again.content == first.content
    assert again["Expires"] == first["Expires"]


def test_every_page_loads_the_catalog_of_its_language():
    page = Client(headers={"accept-language": "ja"}).get("/accounts/login/")

    assert f'<script src="{catalog_url("ja")}" defer></script>' in page.content.decode()


def _player(name: str, locale: str = "en"):  # type: ignore[no-untyped-def]
    return PlayerFactory(
        user=UserFactory(username=name), display_name=name, display_name_key=name, locale=locale
    )


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_what_the_chat_script_draws_is_translated_in_the_pseudo_locale(daphne_server):
    """Channel sections, day separators, the unread line, a blocked player's note, edited and
    deleted marks, the actions toolbar, the reaction picker, the delete confirmation and the
    state of an ended match: all drawn by chat.js, all through its catalog."""
    title = TitleFactory(slug="starfall-arena", name="Starfall Arena")
    alice = _player("alice", locale="en-xa")
    bob, carol = _player("bob"), _player("carol")
    lobby = lobby_channel_get_or_create(title=title)
    own = message_send(channel=lobby, author=alice, body="hello").message
    message_send(channel=lobby, author=carol, body="blocked words")
    message_send(channel=lobby, author=bob, body="@alice gg")
    block_create(blocker=alice, blocked=carol)
    ended = match_channel_open(title=title, match_id="m-ended", player_ids=[alice.id, bob.id])
    Channel.objects.filter(id=ended.id).update(closed_at=timezone.now() - timedelta(hours=1))
    match_channel_open(title=title, match_id="m-live", player_ids=[alice.id, bob.id])
    console: list[str] = []
    problems: list[str] = []

    def check(page, where: str) -> None:  # type: ignore[no-untyped-def]
        seen = page.evaluate(VISIBLE_TEXT, USER_CONTENT)
        for words, what in [
            (untranslated_words(seen["text"]), "text"),
            *[(untranslated_words(v.split("=", 1)[1]), v) for v in seen["attributes"]],
        ]:
            if words:
                problems.append(f"{where} {what}: {' '.join(words)}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            record_console_errors(page, console)
            page.goto(f"{daphne_server.url}/accounts/login/?next=/chat/?channel={lobby.id}")
            page.locator("input[name=username]").fill("alice")
            page.locator("input[name=password]").fill(TEST_PASSWORD)
            page.locator("main form button[type=submit]").first.click()
            messages = page.get_by_test_id("message")
            expect(messages).to_have_count(3, timeout=10_000)
            expect(page.get_by_test_id("day-separator")).to_have_count(1)
            expect(page.get_by_test_id("chat-status")).to_contain_text("\uff3b")
            check(page, "chat, lobby open")
            screenshot(page, "chat-pseudo-locale")

            mine = messages.filter(has_text="hello")
            mine.focus()
            mine.get_by_test_id("react").click()
            check(page, "toolbar and reaction picker")
            mine.get_by_test_id("delete").click()
            expect(page.get_by_test_id("confirm-delete")).to_be_visible()
            check(page, "delete confirmation")
            page.keyboard.press("Enter")  # Cancel has the focus
            messages.filter(has_text="hello").focus()
            messages.filter(has_text="hello").get_by_test_id("edit").click()
            page.get_by_test_id("edit-input").fill("hello again")
            page.get_by_test_id("edit-input").press("Enter")
            expect(messages.filter(has_text="hello again")).to_contain_text("\uff3b")
            check(page, "edited message")

            page.get_by_test_id("channel-section-ended").get_by_role("button").click()
            expect(page.get_by_test_id("chat-state")).to_be_visible()
            check(page, "ended match")
        finally:
            browser.close()
    assert own.id
    assert problems == [], "\n".join(problems)
    assert console == []
