"""The time-zone setting in headless Chromium: a new player starts in the browser's zone
(Intl), and the profile's list of every IANA zone is searchable, with the browser's zone one
click away for a profile still on the default (UTC)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.players.models import Player
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, UserFactory
from tests.players.factories import PlayerFactory
from tests.portal.browser import record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _log_in(browser, base_url: str, username: str, zone: str, next_path: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(timezone_id=zone).new_page()
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def _zone_of(username: str) -> str:
    # Playwright's sync API runs an event loop in this thread: the ORM goes to another.
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def read() -> str:
        try:
            return Player.objects.get(user__username=username).time_zone
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(read).result()


def test_a_new_player_starts_in_the_zone_of_their_browser(daphne_server):
    UserFactory(username="newcomer")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, daphne_server.url, "newcomer", "Asia/Tokyo", "/players/create/")
            record_console_errors(page, console)
            page.get_by_label("Display name").fill("Newcomer")
            page.get_by_role("button", name="Create profile").click()
            expect(page).to_have_url(f"{daphne_server.url}/players/me/")
            expect(page.locator("#id_time_zone")).to_have_value("Asia/Tokyo")
        finally:
            browser.close()
    assert _zone_of("newcomer") == "Asia/Tokyo"
    assert console == []


def test_the_zone_list_is_searchable_and_offers_the_browsers_zone(daphne_server):
    PlayerFactory(user=UserFactory(username="alice"), display_name="alice",
                  display_name_key="alice", time_zone="UTC")  # fmt: skip
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = _log_in(browser, daphne_server.url, "alice", "America/Sao_Paulo", "/players/me/")
            record_console_errors(page, console)
            select = page.locator("#id_time_zone")
            expect(select).to_have_value("UTC")  # offered, not switched behind the player's back
            page.get_by_test_id("use-browser-time-zone").click()
            expect(select).to_have_value("America/Sao_Paulo")

            page.get_by_label("Search time zones").fill("tokyo")
            expect(page.get_by_test_id("time-zone-matches")).to_have_text("1 zone matches")
            expect(select).to_have_value("Asia/Tokyo")
            page.get_by_label("Search time zones").press("Enter")  # to the list, not a submit
            expect(select).to_be_focused()
            screenshot(page, "time-zone-search")
            page.get_by_role("button", name="Save profile").click()
            expect(page.get_by_test_id("messages")).to_contain_text("Profile saved.")
        finally:
            browser.close()
    assert _zone_of("alice") == "Asia/Tokyo"
    assert console == []
