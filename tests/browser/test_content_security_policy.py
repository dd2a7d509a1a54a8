"""The portal's pages run under their Content Security Policy without a single violation."""

import pytest
from django.test import Client
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Listens before any page script runs; Playwright injects it outside the page's CSP.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""

ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password_reset/",
    "/api/docs/",
]
PLAYER_PAGES = [
    "/players/me/",
    "/players/friends/",
    "/players/notifications/",
    "/players/settings/",
    "/players/{other}/",
    "/admin/",
]


def test_the_policy_names_no_literal_nonce_and_connects_only_to_its_own_origin(db):
    policy = Client().get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))

    assert "'nonce'" not in policy
    assert directives["connect-src"] == "'self'"
    assert directives["script-src"].split() == ["'self'"]  # no page asked for a nonce


@pytest.mark.django_db(transaction=True)
def test_main_pages_log_no_csp_violation_and_the_chat_socket_connects(daphne_server):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    user = UserFactory(username="alice", is_staff=True, is_superuser=True)
    PlayerFactory(user=user, display_name="alice", display_name_key="alice")
    other = PlayerFactory()
    console: list[str] = []

    def keep_csp_messages(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            console.append(f"{message.type}: {message.text}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            page.on("console", keep_csp_messages)
            violations = []
            for path in ANONYMOUS_PAGES:
                page.goto(f"{daphne_server.url}{path}", wait_until="networkidle")
                violations += page.evaluate("window.__cspViolations")
            page.goto(f"{daphne_server.url}/accounts/login/")
            page.get_by_label("Username or email").fill("alice")
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            for path in PLAYER_PAGES:
                page.goto(f"{daphne_server.url}{path.format(other=other.id)}")
                page.wait_for_load_state("networkidle")
                violations += page.evaluate("window.__cspViolations")
            page.goto(f"{daphne_server.url}/chat/")
            expect(page.get_by_test_id("chat-status")).to_have_text("Connected", timeout=10_000)
            violations += page.evaluate("window.__cspViolations")
        finally:
            browser.close()

    assert violations == []
    assert console == []
