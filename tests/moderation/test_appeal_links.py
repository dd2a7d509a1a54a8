"""A banned or suspended player cannot log in, so they appeal through the signed link the
login refusal, the refusal details and the sanction notice carry: no session, that sanction
only, rate-limited."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.moderation.appeal_links import appeal_link_token
from apps.moderation.appeals import appeal_decide
from apps.moderation.models import Appeal
from apps.moderation.sanctions import sanction_issue, sanction_issue_by_moderator
from apps.players.models import Notification
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def login(client: Client, player):
    return client.post("/accounts/login/",
                       {"username": player.user.username, "password": TEST_PASSWORD})  # fmt: skip


def appeal_link_in(page: str) -> str:
    match = re.search(r'data-testid="appeal-link"><a href="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_a_banned_player_appeals_from_the_login_refusal_and_logs_in_once_accepted(alice, senior):
    ban = sanction_issue_by_moderator(
        moderator=senior, player=alice, kind="ban", duration=None,
        reason_category="cheating", reason="Aimbot in ranked",
    )  # fmt: skip
    visitor = Client()

    refused = login(visitor, alice)
    link = appeal_link_in(refused.content.decode())
    page = visitor.get(link)
    sent = visitor.post(link, {"text": "It was my brother on my account."}, follow=True)
    again = visitor.post(link, {"text": "Please!"}, follow=True)
    appeal = Appeal.objects.get()
    appeal_decide(appeal=appeal, moderator=senior, accept=True, decision_text="Cleared")
    decided = visitor.get(link).content.decode()
    back_in = login(Client(), alice)

    assert "Your account is banned." in refused.content.decode()
    assert page.status_code == 200
    assert "Aimbot in ranked" in page.content.decode()
    assert "permanent" in page.content.decode()
    assert 'data-testid="appeal-submit"' in page.content.decode()
    assert "Your appeal was sent." in sent.content.decode()
    assert "This sanction was appealed already." in again.content.decode()
    assert (appeal.player, appeal.sanction, appeal.text) == (
        alice, ban, "It was my brother on my account.")  # fmt: skip
    assert Appeal.objects.count() == 1
    assert "accepted" in decided and "Cleared" in decided
    assert back_in.status_code == 302  # lifted: the login works again


def test_an_ended_session_sends_the_player_to_a_login_page_with_the_appeal_link(alice):
    portal = Client()
    portal.force_login(alice.user)
    suspension = sanction_issue(player=alice, kind="suspension", duration=timedelta(days=2),
                                reason="Griefing")  # fmt: skip

    page = portal.get("/players/me/", follow=True).content.decode()

    assert "Your account is suspended until" in page
    link = appeal_link_in(page)
    assert "Griefing" in Client().get(link).content.decode()
    assert link == f"/moderation/appeal/{link.split('/')[3]}/"
    assert suspension.id  # the link is this suspension's (next test: never another's)


def test_the_refusal_details_and_the_notice_carry_the_link_to_that_sanction_only(alice):
    suspension = sanction_issue(player=alice, kind="suspension", duration=timedelta(days=2))
    mute = sanction_issue(player=alice, kind="chat_mute", duration=timedelta(days=2))
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=alice.user, name='t').secret}"
    )

    refused = api.get("/api/v1/me").json()["error"]
    notices = {n.data["sanction_id"]: n.data for n in Notification.objects.filter(recipient=alice)}
    link = refused["details"]["appeal_url"]
    Client().post(link, {"text": "Not me"})

    assert refused["code"] == "suspended"
    assert notices[suspension.id]["appeal_url"].startswith("/moderation/appeal/")
    assert notices[mute.id]["appeal_url"] is None  # a mute is appealed from "My sanctions"
    assert list(Appeal.objects.values_list("sanction_id", flat=True)) == [suspension.id]


def test_a_forged_or_altered_link_shows_nothing_and_stores_nothing(alice):
    ban = sanction_issue(player=alice, kind="ban")
    token = appeal_link_token(sanction_id=ban.id, player_id=alice.id)
    # The same sanction id signed for another player, and a tampered signature.
    other_player = appeal_link_token(sanction_id=ban.id, player_id=alice.id + 1)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    visitor = Client(REMOTE_ADDR="192.0.2.10")

    answers = [visitor.post(f"/moderation/appeal/{t}/", {"text": "let me in"})
               for t in (other_player, tampered, "not-a-token")]  # fmt: skip

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert "This appeal link is not valid or has expired." in answers[0].content.decode()
    assert Appeal.objects.count() == 0


def test_a_link_that_outlived_its_sanction_takes_no_appeal(alice, senior):
    from apps.moderation.sanctions import sanction_lift

    ban = sanction_issue(player=alice, kind="ban", duration=timedelta(days=1))
    link = f"/moderation/appeal/{appeal_link_token(sanction_id=ban.id, player_id=alice.id)}/"
    sanction_lift(sanction=ban, reason="mistake", lifted_by=senior)

    page = Client().get(link).content.decode()
    posted = Client().post(link, {"text": "Still want to appeal"}, follow=True).content.decode()

    assert 'data-testid="appeal-closed"' in page
    assert "This sanction cannot be appealed." in posted
    assert Appeal.objects.count() == 0


def test_using_a_link_is_rate_limited(alice, settings):
    settings.MODERATION_APPEAL_LINK_BURST = 2
    settings.MODERATION_APPEAL_LINK_PER_HOUR = 1
    ban = sanction_issue(player=alice, kind="ban")
    link = f"/moderation/appeal/{appeal_link_token(sanction_id=ban.id, player_id=alice.id)}/"
    # Different addresses: the per-sanction limit holds however the client moves.
    first, second = (
        Client(REMOTE_ADDR="192.0.2.21").get(link),
        Client(REMOTE_ADDR="192.0.2.22").get(link),
    )

    third = Client(REMOTE_ADDR="192.0.2.23").post(link, {"text": "one more time"})

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert "You are doing that too often." in third.content.decode()
    assert Appeal.objects.count() == 0


def test_guessing_links_is_rate_limited_per_address(settings):
    settings.MODERATION_APPEAL_LINK_BURST = 2
    guesser = Client(REMOTE_ADDR="192.0.2.31")

    answers = [guesser.get(f"/moderation/appeal/guess-{n}/").status_code for n in range(3)]

    assert answers == [404, 404, 429]
