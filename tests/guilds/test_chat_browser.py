"""Guild chat in the portal's chat page, in headless Chromium at desktop and phone widths: a
player joins a guild and its channel appears on their open chat page at once, they write and
the leader receives it live; kicked, their page says why the channel went read-only."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from apps.chat.models import Message
from apps.guilds.chat import guild_channel
from apps.guilds.membership import guild_join, guild_member_kick
from apps.guilds.services import guild_disband
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.chat.test_portal_browser import say
from tests.factories import TEST_PASSWORD, TitleFactory
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory
from tests.portal.browser import WIDTHS, record_console_errors, screenshot
from tests.support.services import CHROMIUM

# The kick is made in the test process and reaches the Daphne process through the channel
# layer: the shared (Redis) one, not the embedded in-memory one.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.redis]


def chat_page(browser, base_url: str, username: str, width: int):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{base_url}/accounts/login/?next=/chat/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("chat-status")).to_have_text("Connected", timeout=10_000)
    return page


def in_a_thread(function, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Playwright's sync API runs an event loop in this thread: the ORM works in another."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(function, **kwargs).result()
        thread.submit(connections.close_all).result()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.django_db(transaction=True)
def test_a_new_member_gets_the_guild_channel_live_writes_and_is_cut_off_when_kicked(
    daphne_server, width
):
    title = TitleFactory(slug="guild-chat", name="Guild Chat")
    alice = PlayerFactory(user__username="alice-gc", display_name="Alice GC")
    bob = PlayerFactory(user__username="bob-gc", display_name="Bob GC")
    guild = make_guild(leader=alice, title=title, name="Night Owls")
    channel_name = f"[{guild.tag}] Night Owls"
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            leader = chat_page(browser, daphne_server.url, "alice-gc", width)
            record_console_errors(leader, console)
            leader_guilds = leader.get_by_test_id("channel-section-guild")
            # The leader is in both: everyone's channel and the officers' channel.
            expect(leader_guilds.get_by_role("button")).to_have_count(2)
            leader_guilds.get_by_role("button", name=channel_name, exact=True).click()

            player = chat_page(browser, daphne_server.url, "bob-gc", width)
            record_console_errors(player, console)
            expect(player.get_by_test_id("channel-section-guild")).to_have_count(0)
            guild_tab = player.context.new_page()
            record_console_errors(guild_tab, console)
            guild_tab.goto(f"{daphne_server.url}/guilds/{guild.id}/")
            guild_tab.get_by_test_id("guild-action").get_by_role("button", name="Join").click()
            expect(guild_tab.get_by_role("button", name="Leave the guild")).to_be_visible()
            guild_tab.close()

            # The chat page that was already open lists the guild's channel, not the officers'.
            player_guilds = player.get_by_test_id("channel-section-guild")
            expect(player_guilds.get_by_role("button")).to_have_count(1)
            player_guilds.get_by_role("button", name=channel_name, exact=True).click()
            say(player, "hello owls")
            expect(leader.get_by_test_id("message").last).to_contain_text("hello owls")
            screenshot(player, f"guild-chat-{width}")

            in_a_thread(guild_member_kick, actor=alice, guild=guild, target=bob)
            state = player.get_by_test_id("chat-state")
            expect(state).to_have_text(
                "You are no longer in this guild: its chat is read-only for you."
            )
            expect(player.locator("#chat-input")).to_be_disabled()
        finally:
            browser.close()
    assert console == []


@pytest.mark.django_db(transaction=True)
def test_manage_chat_holders_delete_a_members_message_and_set_slow_mode_others_see_no_controls(
    daphne_server,
):
    title = TitleFactory(slug="guild-mod", name="Guild Mod")
    alice = PlayerFactory(user__username="alice-gm", display_name="Alice GM")
    guild = make_guild(leader=alice, title=title, name="Quiet Owls")
    for username in ("bob-gm", "carol-gm"):
        guild_join(player=PlayerFactory(user__username=username), guild=guild)
    channel_name = f"[{guild.tag}] Quiet Owls"
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pages = {}
            for username in ("alice-gm", "bob-gm", "carol-gm"):
                page = chat_page(browser, daphne_server.url, username, WIDTHS["desktop"])
                record_console_errors(page, console)
                guilds = page.get_by_test_id("channel-section-guild")
                guilds.get_by_role("button", name=channel_name, exact=True).click()
                pages[username] = page
            leader, author, onlooker = pages["alice-gm"], pages["bob-gm"], pages["carol-gm"]
            say(author, "buy gold here")
            expect(leader.get_by_test_id("message").last).to_contain_text("buy gold here")
            expect(onlooker.get_by_test_id("message").last).to_contain_text("buy gold here")
            expect(onlooker.get_by_test_id("moderator-delete")).to_have_count(0)
            expect(onlooker.get_by_test_id("slow-mode")).to_be_hidden()

            leader.get_by_test_id("message").last.hover()
            leader.get_by_test_id("moderator-delete").last.click()
            leader.get_by_test_id("confirm-delete").click()
            expect(onlooker.get_by_test_id("message").last).to_contain_text("Message deleted")

            slow_mode = leader.get_by_test_id("slow-mode")
            slow_mode.get_by_label("Slow mode").select_option(label="30 seconds")
            slow_mode.get_by_role("button", name="Set slow mode").click()
            expect(slow_mode.get_by_role("status")).to_have_text("Slow mode saved.")
            screenshot(leader, "guild-chat-moderation")

            in_a_thread(guild_disband, actor=alice, guild=guild)
            expect(leader.get_by_test_id("chat-state")).to_have_text(
                "This guild was disbanded: its chat is a read-only archive."
            )
            expect(leader.get_by_test_id("slow-mode")).to_be_hidden()
        finally:
            browser.close()
    channel = guild_channel(guild=guild)
    assert channel.slow_mode_seconds == 30
    assert Message.objects.get(channel=channel, body="buy gold here").is_deleted
    assert console == []
