"""A brand-new player's first run, at desktop and phone widths: the home page asks for a
profile, the form shows its error under the field, and the checklist follows the steps."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import UserFactory
from tests.players.test_browser import log_in
from tests.portal.browser import WIDTHS, record_console_errors, screenshot
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.django_db(transaction=True)
def test_a_new_player_creates_a_profile_and_follows_the_checklist(daphne_server, width):
    UserFactory(username="newbie")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, daphne_server.url, "newbie")
            page.set_viewport_size({"width": width, "height": 800})
            record_console_errors(page, console)
            page.goto(f"{daphne_server.url}/")
            page.get_by_test_id("create-player").get_by_role("link").click()

            name = page.get_by_label("Display name")
            name.fill(" ")
            page.get_by_role("button", name="Create profile").click()
            expect(name).to_have_attribute("aria-invalid", "true")
            error = page.locator("#id_display_name_error")
            expect(error).to_be_visible()
            screenshot(page, f"first-run-error-{width}")

            page.get_by_label("Display name").fill("Newbie")
            page.get_by_role("button", name="Create profile").click()
            page.goto(f"{daphne_server.url}/")
            checklist = page.get_by_test_id("checklist")
            expect(checklist.locator("[data-step=name]")).to_have_class("done")
            expect(checklist.locator("[data-step=friend]")).not_to_have_class(re.compile("done"))
            expect(page.get_by_test_id("home-feed")).to_contain_text("Nothing here yet")
            screenshot(page, f"first-run-home-{width}")
        finally:
            browser.close()
    assert console == []
