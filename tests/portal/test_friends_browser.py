"""Friend requests arrive on the open friends page without a reload, and the row that appears
answers them; profiles and the friends list offer "Message"."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.players.models import Friendship
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.players.factories import PlayerFactory
from tests.players.test_browser import log_in
from tests.portal.browser import WIDTHS, record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.django_db(transaction=True)
def test_a_friend_request_arrives_live_and_leads_to_a_direct_message(daphne_server, width):
    alice = PlayerFactory(user__username="alice-f", display_name="Alice F")
    bob = PlayerFactory(user__username="bob-f", display_name="Bob F")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            bob_page = log_in(browser, daphne_server.url, "bob-f")
            bob_page.set_viewport_size({"width": width, "height": 800})
            record_console_errors(bob_page, console)
            bob_page.goto(f"{daphne_server.url}/players/friends/")
            expect(bob_page.get_by_test_id("notification-badge")).to_have_attribute(
                "data-live", "connected"
            )
            alice_page = log_in(browser, daphne_server.url, "alice-f")
            alice_page.goto(f"{daphne_server.url}/players/{bob.id}/")
            alice_page.get_by_role("button", name="Add friend").click()

            live_request = bob_page.get_by_test_id("live-request")  # no reload
            expect(live_request).to_contain_text("Alice F")
            screenshot(bob_page, f"friends-live-request-{width}")
            live_request.get_by_role("button", name="Accept").click()
            friend_list = bob_page.get_by_test_id("friend-list")
            expect(friend_list).to_contain_text("Alice F")

            friend_list.get_by_test_id("message-friend").click()
            expect(bob_page.locator("#chat-channel-name")).to_contain_text("Alice F")
            expect(bob_page.locator("#chat-input")).to_be_enabled()
            assert "?channel=" in bob_page.url
        finally:
            browser.close()
    assert Friendship.objects.filter(player_low__in=[alice, bob]).count() == 1
    assert console == []
