"""Appeals: one per sanction, decided by a senior moderator, notified and audited."""

import pytest
from rest_framework.test import APIClient

from apps.moderation.appeals import appeal_decide
from apps.moderation.exceptions import NotAllowed
from apps.moderation.models import Appeal, AuditEntry
from apps.moderation.sanctions import sanction_issue
from apps.players.models import Notification

pytestmark = pytest.mark.django_db


def client_for(player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def test_a_player_sees_their_sanctions_and_appeals_one_once(alice, bob):
    mute = sanction_issue(player=alice, kind="chat_mute", reason="spam")
    sanction_issue(player=bob, kind="chat_mute")
    client = client_for(alice)

    listing = client.get("/api/v1/moderation/me/sanctions")
    url = f"/api/v1/moderation/me/sanctions/{mute.id}/appeal"
    first = client.post(url, {"text": "It was a joke between friends."}, format="json")
    second = client.post(url, {"text": "Please?"}, format="json")
    foreign = client_for(bob).post(url, {"text": "not mine"}, format="json")

    assert [(s["id"], s["kind"], s["status"], s["reason"]) for s in listing.json()] == [
        (mute.id, "chat_mute", "active", "spam")
    ]
    assert first.status_code == 201
    assert first.json()["appeal"]["status"] == "pending"
    assert second.json()["error"]["code"] == "appeal_exists"
    assert foreign.json()["error"]["code"] == "unknown_sanction"
    assert list(Appeal.objects.values_list("text", flat=True)) == ["It was a joke between friends."]


def test_a_senior_accepts_an_appeal_which_lifts_and_notifies(alice, moderator, senior):
    mute = sanction_issue(player=alice, kind="chat_mute")
    appeal = Appeal.objects.create(sanction=mute, player=alice, text="sorry")

    with pytest.raises(NotAllowed):
        appeal_decide(appeal=appeal, moderator=moderator, accept=True, decision_text="ok")
    assert Appeal.objects.get().status == "pending"

    appeal_decide(appeal=appeal, moderator=senior, accept=True, decision_text="fair enough")

    mute.refresh_from_db()
    assert mute.lifted_at is not None
    assert Appeal.objects.get().status == "accepted"
    events = [n.data["event"] for n in Notification.objects.filter(recipient=alice)]
    assert "appeal_decided" in events
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "sanction.issued", "sanction.lifted", "appeal.accepted",
    ]  # fmt: skip
