"""axe-core on every main page, at desktop and phone widths, in headless Chromium: no serious
or critical violation, no console error; screenshots kept under var/artifacts/portal/."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from apps.guilds.models import Guild
from apps.players.models import Player
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.portal.browser import (
    WIDTHS,
    axe_source,
    axe_violations,
    record_console_errors,
    screenshot,
)
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_PASSWORD = "community-demo"
VISITOR_PAGES = {
    "home-visitor": "/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "not-found": "/no-such-page/",
}
PLAYER_PAGES = {
    "home-player": "/",
    "me": "/players/me/",
    "friends": "/players/friends/",
    "notifications": "/players/notifications/",
    "settings": "/players/settings/",
    "profile": "/players/{other}/",
    "content": "/ugc/",
    "my-sanctions": "/moderation/me/",
    "guilds": "/guilds/",
    "guild": "/guilds/{guild}/",
    "guild-manage": "/guilds/{guild}/manage/",
}


def _log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("whoami")).to_have_text(username)


@pytest.mark.django_db(transaction=True)
def test_main_pages_have_no_serious_accessibility_violation_at_both_widths(daphne_server):
    source = axe_source()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    other = Player.objects.exclude(user__username="alice").filter(user__isnull=False).first()
    guild = Guild.objects.get(name="Orbital Vanguard")  # alice leads it: the manage page is hers
    base = daphne_server.url
    violations: list[str] = []
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for label, width in WIDTHS.items():
                visitor = browser.new_page(viewport={"width": width, "height": 900})
                record_console_errors(visitor, console)
                for name, path in VISITOR_PAGES.items():
                    visitor.goto(base + path)
                    violations += axe_violations(visitor, source)
                    screenshot(visitor, f"{name}-{label}")
                visitor.close()

                page = browser.new_page(viewport={"width": width, "height": 900})
                record_console_errors(page, console)
                _log_in(page, base, "alice")
                for name, path in PLAYER_PAGES.items():
                    page.goto(base + path.format(other=other.id, guild=guild.id))
                    violations += axe_violations(page, source)
                    screenshot(page, f"{name}-{label}")
                page.goto(base + "/chat/")
                expect(page.get_by_test_id("chat-status")).to_have_text("Connected")
                page.get_by_role("button", name="Starfall Arena").first.click()
                expect(page.locator("#chat-messages > li").first).to_be_visible()
                violations += axe_violations(page, source)
                screenshot(page, f"chat-{label}")
                page.close()
        finally:
            browser.close()
    # The 404 page logs its own status as a failed resource load; nothing else may log errors.
    console = [line for line in console if "404" not in line]
    assert violations == []
    assert console == []
