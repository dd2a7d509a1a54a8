"""The portal chat page in headless Chromium: two players exchange messages live."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS = "<img src=x onerror=\"document.title='pwned'\">"


def log_in(browser, base_url: str, username: str, *, network=None):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    if network is not None:
        context.route_web_socket("**/ws/", network.route)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/?next=/chat/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("chat-status")).to_have_text("Connected", timeout=10_000)
    page.get_by_role("button", name="Starfall Arena").click()
    expect(page.locator("#chat-input")).to_be_enabled()
    return page


@contextmanager
def alice_and_bob_in_the_lobby(base_url: str) -> Iterator[tuple]:
    """Two players logged in, in two browser contexts, both on the Starfall Arena lobby."""
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    for name in ("alice", "bob"):
        PlayerFactory(user=UserFactory(username=name), display_name=name, display_name_key=name)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield log_in(browser, base_url, "alice"), log_in(browser, base_url, "bob")
        finally:
            browser.close()


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Send as a player does: type, press Send, and wait for the box to clear (the page clears
    it when the server answers `sent`), so the next line is not typed into a box that the
    previous answer then empties."""
    box = page.locator("#chat-input")
    box.fill(text)
    page.get_by_role("button", name="Send").click()
    expect(box).to_have_value("", timeout=15_000)


@pytest.mark.django_db(transaction=True)
def test_two_players_chat_live_in_the_portal(daphne_server):
    with alice_and_bob_in_the_lobby(daphne_server.url) as (alice, bob):
        say(alice, "gl hf")
        expect(bob.get_by_test_id("message").last).to_contain_text("alicegl hf")
        say(bob, XSS)
        expect(alice.get_by_test_id("message").last).to_contain_text(XSS)
        bob.locator("#chat-input").press_sequentially("typing")
        expect(alice.get_by_test_id("typing")).to_have_text("bob is typing…")

        assert alice.title() != "pwned"
        assert alice.locator("img[src=x]").count() == 0
        assert [t for t in alice.get_by_test_id("message").all_inner_texts() if "gl hf" in t]


@pytest.mark.django_db(transaction=True)
def test_a_player_starts_a_direct_message_from_a_lobby_message(daphne_server):
    with alice_and_bob_in_the_lobby(daphne_server.url) as (alice, bob):
        say(alice, "anyone for a duo?")
        lobby_message = bob.get_by_test_id("message").last
        expect(lobby_message).to_contain_text("anyone for a duo?")

        lobby_message.get_by_test_id("direct-message").click()
        expect(bob.locator("#chat-channel-name")).to_have_text("alice · bob")
        say(bob, "me!")
        direct = alice.get_by_role("button", name="alice · bob")
        expect(direct.get_by_test_id("unread")).to_have_text("1")
        direct.click()

        expect(alice.get_by_test_id("message").last).to_contain_text("bobme!")
        assert alice.get_by_test_id("direct-message").count() == 1  # on bob's message only


class Network:
    """Between one browser and the server: ``drop()`` cuts the page's socket as a network
    failure would, and refuses its reconnects until ``restore()``."""

    def __init__(self) -> None:
        self.is_down = False
        self.sockets: list = []

    def route(self, socket) -> None:  # type: ignore[no-untyped-def]
        if self.is_down:
            socket.close(code=1001, reason="network down")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    def drop(self) -> None:
        self.is_down = True
        for socket in self.sockets:
            socket.close(code=1001, reason="network down")
        self.sockets.clear()

    def restore(self) -> None:
        self.is_down = False


def shown(page) -> list[list]:  # type: ignore[no-untyped-def]
    """The messages on screen, top to bottom: (seq, text)."""
    return page.eval_on_selector_all(
        "[data-testid=message]",
        "items => items.map("
        "li => [Number(li.dataset.seq), li.querySelector('.chat-body').textContent])",
    )


@pytest.mark.django_db(transaction=True)
def test_messages_sent_while_a_player_was_away_appear_below_the_history(daphne_server):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    for name in ("alice", "bob"):
        PlayerFactory(user=UserFactory(username=name), display_name=name, display_name_key=name)
    network = Network()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            alice = log_in(browser, daphne_server.url, "alice", network=network)
            bob = log_in(browser, daphne_server.url, "bob")
            for count, text in enumerate(("one", "two"), start=1):
                say(bob, text)
                expect(bob.get_by_test_id("message")).to_have_count(count)
            expect(alice.get_by_test_id("message")).to_have_count(2)

            network.drop()
            expect(alice.get_by_test_id("chat-status")).to_have_text("Reconnecting…")
            for count, text in enumerate(("three", "four"), start=3):
                say(bob, text)
                expect(bob.get_by_test_id("message")).to_have_count(count)
            network.restore()
            expect(alice.get_by_test_id("chat-status")).to_have_text("Connected", timeout=20_000)
            expect(alice.get_by_test_id("message")).to_have_count(4)
            say(bob, "five")
            expect(alice.get_by_test_id("message")).to_have_count(5)

            assert shown(alice) == [[1, "one"], [2, "two"], [3, "three"], [4, "four"], [5, "five"]]
        finally:
            browser.close()
