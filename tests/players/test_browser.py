"""A real browser against a real Daphne: friend request, live badges, accept."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.players.models import Friendship
from tests.factories import TEST_PASSWORD
from tests.players.factories import PlayerFactory
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def log_in(browser, base_url: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("whoami")).to_have_text(username)
    return page


@pytest.mark.django_db(transaction=True)
def test_friend_request_updates_badges_live_and_is_accepted(daphne_server):
    alice = PlayerFactory(user__username="alice-b", display_name="Alice B")
    bob = PlayerFactory(user__username="bob-b", display_name="Bob B")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            bob_page = log_in(browser, daphne_server.url, "bob-b")
            bob_page.goto(f"{daphne_server.url}/players/friends/")
            bob_badge = bob_page.get_by_test_id("notification-badge")
            expect(bob_badge).to_be_hidden()
            # The badge marks itself once its socket got `welcome`: no push can be missed.
            expect(bob_badge).to_have_attribute("data-live", "connected")

            alice_page = log_in(browser, daphne_server.url, "alice-b")
            alice_page.goto(f"{daphne_server.url}/players/{bob.id}/")
            alice_page.get_by_role("button", name="Add friend").click()
            expect(alice_page.get_by_test_id("request-pending")).to_be_visible()

            expect(bob_badge).to_have_text("1", timeout=15_000)  # no reload: pushed live
            alice_badge = alice_page.get_by_test_id("notification-badge")
            expect(alice_badge).to_be_hidden()
            expect(alice_badge).to_have_attribute("data-live", "connected")
            bob_page.reload()
            expect(bob_page.get_by_test_id("requests-received")).to_contain_text("Alice B")
            bob_page.get_by_role("button", name="Accept").click()

            expect(alice_badge).to_have_text("1", timeout=15_000)  # friend_accepted, live
            friend_list = bob_page.get_by_test_id("friend-list")
            expect(friend_list).to_contain_text("Alice B")
            alice_presence = friend_list.locator(f'[data-presence-player="{alice.id}"]')
            expect(alice_presence).to_have_text("Online")
            expect(bob_badge).to_have_attribute("data-live", "connected")

            alice_page.context.close()  # her last socket closes: bob sees it live
            expect(alice_presence).to_have_text("Offline", timeout=15_000)
        finally:
            browser.close()

    assert Friendship.objects.filter(player_low__in=[alice, bob]).count() == 1
