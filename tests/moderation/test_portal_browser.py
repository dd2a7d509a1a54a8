"""Moderation seen in headless Chromium: a banned player's chat says why and until when."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.moderation.sanctions import sanction_issue
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.chat.test_portal_browser import log_in
from tests.factories import TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.support.services import CHROMIUM

# The sanction is issued in this process and reaches the Daphne process's sockets through the
# shared channel layer: Redis (the in-memory layer of a bare run is per process).
pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_a_banned_players_chat_says_why_and_until_when_instead_of_reconnecting(daphne_server):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    dave = PlayerFactory(user=UserFactory(username="dave"), display_name="dave",
                         display_name_key="dave")  # fmt: skip

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, daphne_server.url, "dave")
            # Playwright's sync API runs an event loop in this thread: the ORM goes elsewhere.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(sanction_issue, player=dave, kind="ban", duration=timedelta(days=2),
                            reason="Repeated harassment").result()  # fmt: skip

            expect(page.get_by_test_id("chat-status")).to_have_text("Disconnected by moderation")
            error = page.get_by_test_id("chat-error")
            expect(error).to_contain_text("You are banned.")
            expect(error).to_contain_text("Until:")
            expect(error).to_contain_text("Repeated harassment")
            expect(page.locator("#chat-input")).to_be_disabled()
            page.reload()
            expect(page.locator(".messages")).to_contain_text("Your account is banned until")
            expect(page.locator(".messages")).to_contain_text("Repeated harassment")
        finally:
            browser.close()
