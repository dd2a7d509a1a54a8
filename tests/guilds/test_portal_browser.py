"""The guild portal journey in headless Chromium: a player creates a guild through the form, a
second player (another browser context) finds it by searching, joins it and sees themself in
its members list."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.guilds.models import Guild, GuildMembership
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.players.test_browser import log_in
from tests.portal.browser import record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_create_a_guild_then_a_second_player_joins_it(daphne_server):
    TitleFactory(slug="guild-journey", name="Guild Journey")
    alice = PlayerFactory(user__username="alice-g", display_name="Alice G")
    bob = PlayerFactory(user__username="bob-g", display_name="Bob G")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            alice_page = log_in(browser, daphne_server.url, "alice-g")
            record_console_errors(alice_page, console)
            alice_page.goto(f"{daphne_server.url}/guilds/create/")
            form = alice_page.get_by_test_id("guild-create-form")
            form.get_by_label("Game").select_option("guild-journey")
            form.get_by_label("Name:", exact=True).fill("Moonlight Crew")
            form.get_by_label("Tag:", exact=True).fill("MOON")
            form.get_by_label("Description").fill("Night races only.")
            form.get_by_role("button", name="Create").click()
            expect(alice_page.get_by_test_id("guild-name")).to_have_text("[MOON] Moonlight Crew")
            expect(alice_page.get_by_test_id("guild-members")).to_contain_text("Alice G")

            bob_page = log_in(browser, daphne_server.url, "bob-g")
            record_console_errors(bob_page, console)
            bob_page.goto(f"{daphne_server.url}/guilds/?q=moon")
            bob_page.get_by_test_id("guild-list").get_by_role("link").first.click()
            expect(bob_page.get_by_test_id("guild-name")).to_have_text("[MOON] Moonlight Crew")
            bob_page.get_by_test_id("guild-action").get_by_role("button", name="Join").click()
            members = bob_page.get_by_test_id("guild-members")
            expect(members).to_contain_text("Bob G")
            expect(members).to_contain_text("Alice G")
            expect(bob_page.get_by_role("button", name="Leave the guild")).to_be_visible()
            screenshot(bob_page, "guild-joined")
        finally:
            browser.close()
    guild = Guild.objects.get(name="Moonlight Crew")
    players = set(GuildMembership.objects.filter(guild=guild).values_list("player", flat=True))
    assert players == {alice.id, bob.id}
    assert console == []
