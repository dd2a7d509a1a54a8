import pytest
from playwright.sync_api import sync_playwright

from tests.factories import TEST_PASSWORD, UserFactory
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_player_logs_in_through_the_portal_and_sees_the_home_page(daphne_server):
    UserFactory(username="alice")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{daphne_server.url}/")
            page.get_by_role("link", name="Log in").click()
            page.get_by_label("Username or email").fill("alice")
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Log in").click()

            assert page.get_by_test_id("welcome").inner_text() == "Welcome back, alice"
            assert page.get_by_test_id("whoami").inner_text() == "alice"
        finally:
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_a_locked_out_player_is_told_why_on_the_login_page(daphne_server):
    UserFactory(username="alice")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{daphne_server.url}/accounts/login/")
            for _ in range(10):  # LOGIN_LOCKOUT_FAILURE_LIMIT
                page.get_by_label("Username or email").fill("alice")
                page.get_by_label("Password").fill("not-the-password")
                with page.expect_navigation():
                    page.get_by_role("button", name="Log in").click()
            page.get_by_label("Username or email").fill("alice")
            page.get_by_label("Password").fill(TEST_PASSWORD)
            with page.expect_navigation() as navigation:
                page.get_by_role("button", name="Log in").click()

            assert navigation.value is not None and navigation.value.status == 429
            assert "Too many failed logins" in page.locator(".errorlist").inner_text()
            assert page.get_by_test_id("whoami").count() == 0
        finally:
            browser.close()
