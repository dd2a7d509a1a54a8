"""The chat page as a chat app, in headless Chromium at desktop and phone widths: channel
addresses, mentions, tabs kept in sync, blocked players collapsed, ended matches set apart."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from apps.chat.channels import lobby_channel_get_or_create, match_channel_open
from apps.chat.models import Channel, Membership
from apps.chat.services import message_send
from apps.players.friends import block_create
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.chat.test_portal_browser import say
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.portal.browser import WIDTHS, record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(browser, base_url: str, username: str):  # type: ignore[no-untyped-def]
    """Logged in, on the chat page, in the Starfall Arena lobby (exactly: match channels'
    names start the same)."""
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/accounts/login/?next=/chat/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("chat-status")).to_have_text("Connected", timeout=10_000)
    page.get_by_role("button", name="Starfall Arena", exact=True).click()
    return page


def wait_until_read(player, title_slug: str, *, seq: int, timeout: float = 5.0) -> None:
    """The page's read marker is stored (it is sent a moment after the messages are shown).
    Queried from a thread of its own: Playwright's sync API runs an event loop in this one."""

    def stored() -> int | None:
        return (
            Membership.objects.filter(
                player=player, channel__kind="lobby", channel__title__slug=title_slug
            )
            .values_list("last_read_seq", flat=True)
            .first()
        )

    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=1) as thread:
        while thread.submit(stored).result() != seq:
            assert time.monotonic() < deadline, "the read marker was never stored"
            time.sleep(0.05)
        thread.submit(connections.close_all).result()


def has_class(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){name}(\s|$)")


def _players(*names: str):  # type: ignore[no-untyped-def]
    return [
        PlayerFactory(user=UserFactory(username=name), display_name=name, display_name_key=name)
        for name in names
    ]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.django_db(transaction=True)
def test_mentions_link_the_channel_has_an_address_and_tabs_share_read_state(daphne_server, width):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    alice, _bob = _players("alice", "bob")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            viewport = {"width": width, "height": 800}
            first = log_in(browser, daphne_server.url, "alice")
            first.set_viewport_size(viewport)
            record_console_errors(first, console)
            bob = log_in(browser, daphne_server.url, "bob")
            assert "?channel=" in first.url

            say(bob, "@alice gg")
            say(bob, "well played")
            mention = first.get_by_test_id("mention")
            expect(mention).to_have_text("@alice")
            expect(mention).to_have_attribute("href", f"/players/{alice.id}/")
            messages = first.get_by_test_id("message")
            expect(messages.first).to_have_class(has_class("chat-mentions-me"))
            expect(messages.last).to_have_class(
                has_class("chat-continued")
            )  # same author, minutes apart
            expect(first.get_by_test_id("day-separator")).to_have_count(1)
            screenshot(first, f"chat-conversation-{width}")

            # A reload (and the address) keep the open channel.
            first.reload()
            expect(first.locator("#chat-channel-name")).to_have_text("Starfall Arena")
            expect(first.get_by_test_id("message")).to_have_count(2)
            wait_until_read(alice, "starfall-arena", seq=2)

            # A second tab of the same player, on no channel, counts what bob says next; the
            # first tab reading it clears the count in the second (through the websocket).
            first.goto(f"{daphne_server.url}/chat/")
            second = first.context.new_page()
            second.set_viewport_size(viewport)
            record_console_errors(second, console)
            second.goto(f"{daphne_server.url}/chat/")
            expect(second.get_by_test_id("chat-status")).to_have_text("Connected")
            expect(first.get_by_test_id("chat-status")).to_have_text("Connected")
            say(bob, "one more?")
            lobby_in_second = second.get_by_role("button", name=re.compile("^Starfall Arena"))
            expect(lobby_in_second.get_by_test_id("unread")).to_have_text("1")
            first.get_by_role("button", name=re.compile("^Starfall Arena")).click()
            expect(first.get_by_test_id("message").last).to_contain_text("one more?")
            expect(lobby_in_second.get_by_test_id("unread")).to_have_count(0)

            # Leaving for another page and coming back with the back button lands in the channel.
            if first.get_by_test_id("nav-toggle").is_visible():  # phone: links behind Menu
                first.get_by_test_id("nav-toggle").click()
            first.get_by_role("link", name="My profile").click()
            first.go_back()
            expect(first.locator("#chat-channel-name")).to_have_text("Starfall Arena")
            expect(first.get_by_test_id("message")).to_have_count(3)
        finally:
            browser.close()
    assert console == []


@pytest.mark.django_db(transaction=True)
def test_blocked_players_are_collapsed_and_ended_matches_leave_the_live_list(daphne_server):
    title = TitleFactory(slug="starfall-arena", name="Starfall Arena")
    alice, carol, dave = _players("alice", "carol", "dave")
    lobby = lobby_channel_get_or_create(title=title)
    message_send(channel=lobby, author=carol, body="see you later")
    message_send(channel=lobby, author=dave, body="hello everyone")
    block_create(blocker=alice, blocked=carol)
    live = match_channel_open(title=title, match_id="m-live", player_ids=[alice.id, dave.id])
    ended = match_channel_open(title=title, match_id="m-ended", player_ids=[alice.id, dave.id])
    old = match_channel_open(title=title, match_id="m-old", player_ids=[alice.id, dave.id])
    Channel.objects.filter(id=ended.id).update(closed_at=timezone.now())
    Channel.objects.filter(id=old.id).update(closed_at=timezone.now() - timedelta(days=2))
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, daphne_server.url, "alice")
            record_console_errors(page, console)
            messages = page.get_by_test_id("message")
            expect(messages).to_have_count(2)
            expect(messages.first).not_to_contain_text("see you later")
            expect(messages.first).to_have_class(has_class("chat-blocked"))
            expect(messages.last).to_contain_text("hello everyone")
            messages.first.get_by_test_id("show-blocked").click()
            expect(messages.first).to_contain_text("see you later")

            live_section = page.get_by_test_id("channel-section-match")
            ended_section = page.get_by_test_id("channel-section-ended")
            expect(live_section).to_contain_text(live.name)
            expect(ended_section).to_contain_text(ended.name)
            expect(live_section).not_to_contain_text(ended.name)
            expect(page.get_by_test_id("channel-list")).not_to_contain_text(old.name)
            ended_section.get_by_role("button").click()
            expect(page.get_by_test_id("chat-state")).to_be_visible()
            expect(page.locator("#chat-input")).to_be_disabled()
            screenshot(page, "chat-ended-match")
        finally:
            browser.close()
    assert console == []
