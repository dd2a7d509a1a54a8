"""Friend requests arrive on the open friends page without a reload, and the row that appears
answers them; profiles and the friends list offer "Message", and the friends list "Invite to"
the viewer's guilds, both only where the friend's privacy admits them."""

import pytest
from playwright.sync_api import expect, sync_playwright

from apps.chat.models import Channel
from apps.guilds.models import GuildInvite
from apps.players.friends import friend_request_accept, friend_request_send
from apps.players.models import Friendship
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.guilds.factories import make_guild
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


def _befriend(player, other) -> None:  # type: ignore[no-untyped-def]
    request = friend_request_send(sender=player, recipient=other)
    friend_request_accept(player=other, request=request)


@pytest.mark.django_db(transaction=True)
def test_invite_a_friend_to_my_guild_from_the_friends_list_and_message_them(daphne_server):
    alice = PlayerFactory(user__username="alice-i", display_name="Alice I")
    bob = PlayerFactory(user__username="bob-i", display_name="Bob I")
    carol = PlayerFactory(user__username="carol-i", display_name="Carol I", privacy="private")
    for friend in (bob, carol):
        _befriend(alice, friend)
    guild = make_guild(leader=alice, name="Night Owls")
    make_guild(leader=bob, name="Bobs Own")  # bob's guild: alice may not invite to it
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = log_in(browser, daphne_server.url, "alice-i")
            record_console_errors(page, console)
            page.goto(f"{daphne_server.url}/players/friends/")
            bob_row = page.get_by_test_id(f"friend-{bob.id}")
            carol_row = page.get_by_test_id(f"friend-{carol.id}")
            expect(carol_row).to_contain_text("Carol I")
            # Carol's privacy admits nobody: neither a message nor an invitation is offered.
            expect(carol_row.get_by_test_id("message-friend")).to_have_count(0)
            expect(carol_row.get_by_test_id("invite-friend")).to_have_count(0)
            expect(bob_row.get_by_test_id("invite-friend")).to_have_count(1)
            screenshot(page, "friends-invite-and-message")

            bob_row.get_by_role("button", name="Invite to Night Owls").click()
            expect(page.get_by_test_id("profile-name")).to_have_text("Bob I")
            expect(page.get_by_text("Invitation sent.")).to_be_visible()

            page.get_by_test_id("message-player").click()
            expect(page.locator("#chat-channel-name")).to_contain_text("Bob I")
            expect(page.locator("#chat-input")).to_be_enabled()
            assert "?channel=" in page.url
        finally:
            browser.close()
    assert list(GuildInvite.objects.values_list("guild_id", "player_id")) == [(guild.id, bob.id)]
    assert Channel.objects.filter(key=f"direct:{alice.id}:{bob.id}").exists()
    assert console == []
