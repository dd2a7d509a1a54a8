"""The shell on a phone and a desktop: outcomes as toasts (a success leaves by itself, an
error stays until dismissed, each announced), the navigation folded behind a Menu button on
phone widths (keyboard: aria-expanded, Escape), and a mention notification that opens its
message, scrolled to and highlighted."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.services import message_send
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.portal.browser import axe_source, axe_violations, record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _player(name: str):  # type: ignore[no-untyped-def]
    return PlayerFactory(user=UserFactory(username=name), display_name=name, display_name_key=name)


def _log_in(browser, base_url: str, username: str, width: int, next_path: str = "/"):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def test_outcomes_are_toasts_and_the_menu_folds_on_a_phone(daphne_server):
    _player("alice")
    console: list[str] = []
    axe = axe_source()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, daphne_server.url, "alice", 390, "/players/me/")
            record_console_errors(page, console)
            page.clock.install()

            # Phone width: the links are behind Menu, which says whether it is open.
            menu = page.get_by_test_id("nav-toggle")
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(page.get_by_role("link", name="Friends")).to_be_hidden()
            menu.focus()
            page.keyboard.press("Enter")
            expect(menu).to_have_attribute("aria-expanded", "true")
            expect(page.get_by_role("link", name="Friends")).to_be_visible()
            screenshot(page, "shell-menu-open-390")
            page.keyboard.press("Escape")
            expect(menu).to_have_attribute("aria-expanded", "false")
            expect(menu).to_be_focused()

            # A success is a status toast that leaves by itself.
            page.get_by_role("button", name="Save profile").click()
            saved = page.get_by_test_id("toasts").locator("li:has([role=status])")
            expect(saved).to_contain_text("Profile saved.")
            assert axe_violations(page, axe) == []
            page.clock.run_for(9000)
            expect(saved).to_have_count(0)

            # An error is an alert toast that stays until dismissed.
            page.get_by_label("Display name").fill("x" * 3)
            page.get_by_label("Country (two letters)").fill("1")
            page.get_by_role("button", name="Save profile").click()
            error = page.get_by_test_id("toasts").locator("li:has([role=alert])")
            expect(error).to_have_count(1)
            page.clock.run_for(60_000)
            expect(error).to_have_count(1)
            error.get_by_role("button", name="Dismiss").click()
            expect(error).to_have_count(0)

            # Desktop width: no Menu button, the links show.
            page.set_viewport_size({"width": 1280, "height": 800})
            expect(menu).to_be_hidden()
            expect(page.get_by_role("link", name="Friends")).to_be_visible()
        finally:
            browser.close()
    assert console == []


def test_a_mention_notification_opens_its_message_scrolled_to_and_highlighted(daphne_server):
    title = TitleFactory(slug="starfall-arena", name="Starfall Arena")
    _player("alice")
    others = [_player(name) for name in ("bob", "carol", "dave", "erin")]
    lobby = lobby_channel_get_or_create(title=title)
    message_send(channel=lobby, author=others[0], body="@alice are you there?")
    for number in range(16):  # below the per-player send limits
        message_send(channel=lobby, author=others[number % 4], body=f"filler {number}")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, daphne_server.url, "alice", 390, "/players/notifications/")
            record_console_errors(page, console)
            page.get_by_test_id("mention-link").first.click()
            target = page.locator(".chat-highlight")
            expect(target).to_have_count(1, timeout=10_000)
            expect(target).to_contain_text("are you there?")
            expect(target).to_be_in_viewport()
            expect(target).to_be_focused()
            screenshot(page, "chat-mention-highlighted-390")
        finally:
            browser.close()
    assert console == []
