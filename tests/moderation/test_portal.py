"""Portal pages: report (then block), and "My sanctions and appeals"."""

from datetime import timedelta

import pytest
from django.test import Client

from apps.chat.services import message_send
from apps.moderation.models import Appeal, Report
from apps.moderation.sanctions import sanction_issue
from apps.players.models import Block

pytestmark = pytest.mark.django_db


def portal(player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def test_a_player_reports_a_message_from_the_portal_then_blocks_its_author(lobby, alice, bob):
    message = message_send(channel=lobby, author=alice, body="get lost").message
    client = portal(bob)
    url = f"/moderation/report/?target_type=message&target_id={message.id}"

    form = client.get(url)
    form_data = {"target_type": "message", "target_id": message.id, "category": "harassment",
                 "text": "rude"}  # fmt: skip
    done = client.post("/moderation/report/", form_data)
    blocked = client.post(f"/players/{alice.id}/block/", follow=True)

    assert form.status_code == 200 and 'name="category"' in form.content.decode()
    assert "Thanks, moderators will look at it." in done.content.decode()
    assert "Block alice" in done.content.decode()
    assert Report.objects.get().evidence["message"]["body"] == "get lost"
    assert blocked.status_code == 200
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()


def test_a_profile_has_a_report_link(alice, bob):
    page = portal(bob).get(f"/players/{alice.id}/")

    assert (
        f"/moderation/report/?target_type=profile&amp;target_id={alice.id}" in page.content.decode()
    )


def test_my_sanctions_shows_why_and_until_when_and_takes_one_appeal(alice):
    mute = sanction_issue(player=alice, kind="chat_mute", duration=timedelta(days=1),
                          reason="Spamming the lobby")  # fmt: skip
    client = portal(alice)

    page = client.get("/moderation/me/").content.decode()
    client.post(f"/moderation/me/{mute.id}/appeal/", {"text": "I was testing a macro, sorry."})
    again = client.post(f"/moderation/me/{mute.id}/appeal/", {"text": "Please"}, follow=True)

    assert "Spamming the lobby" in page
    # In the viewer's zone, with the UTC instant in <time datetime> (the |when filter).
    assert f'<time datetime="{mute.expires_at:%Y-%m-%dT%H:%M:%SZ}"' in page
    assert 'data-testid="appeal-submit"' in page
    assert list(Appeal.objects.values_list("text", "status")) == [
        ("I was testing a macro, sorry.", "pending")
    ]
    assert "This sanction was appealed already." in again.content.decode()
