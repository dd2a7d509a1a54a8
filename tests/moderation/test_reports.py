"""Reports: evidence snapshots, one report per reporter, escalation, queue actions,
reporter notices and report spam limits."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.chat.actions import message_delete, message_edit
from apps.chat.models import Message
from apps.chat.services import message_send
from apps.moderation.exceptions import NotAllowed
from apps.moderation.models import (
    AuditEntry,
    CaseStatus,
    Report,
    ReportCase,
    Sanction,
    TitleModerationSettings,
)
from apps.moderation.reports import CaseClaimed, case_act, case_claim, cases_act_bulk
from apps.players.models import Notification
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def report(client, target_id, *, target_type="message", category="harassment", text=""):
    return client.post(
        "/api/v1/moderation/reports",
        {"target_type": target_type, "target_id": str(target_id), "category": category,
         "text": text},
        format="json",
    )  # fmt: skip


def test_evidence_survives_the_edit_and_delete_of_the_reported_message(lobby, alice, bob):
    before = [message_send(channel=lobby, author=bob, body=f"b{n}").message for n in range(7)]
    reported = message_send(channel=lobby, author=alice, body="you are trash").message
    after = [message_send(channel=lobby, author=bob, body=f"a{n}").message for n in range(7)]

    response = report(client_for(bob), reported.id, text="insult")
    message_edit(message=reported, player=alice, body="hello friend")
    message_delete(message=Message.objects.get(id=reported.id), player=alice)

    assert response.status_code == 201
    assert response.json()["reported_player_id"] == alice.id
    assert response.json()["can_block"] is True
    evidence = Report.objects.get().evidence
    assert evidence["message"]["body"] == "you are trash"
    assert evidence["message"]["author_id"] == alice.id
    context = [entry["body"] for entry in evidence["context"]]
    assert context == [m.body for m in before[2:]] + [m.body for m in after[:5]]
    assert Message.objects.get(id=reported.id).is_deleted


def test_a_repeat_report_updates_the_open_one(lobby, alice, bob):
    message = message_send(channel=lobby, author=alice, body="spam spam").message
    client = client_for(bob)

    first = report(client, message.id, category="spam")
    second = report(client, message.id, category="harassment", text="also rude")

    assert (first.status_code, second.status_code) == (201, 200)
    assert list(Report.objects.values_list("category", "text")) == [("harassment", "also rude")]
    case = ReportCase.objects.get()
    assert (case.reporter_count, case.severity) == (1, 3)


def test_a_message_the_reporter_cannot_see_and_own_messages_cannot_be_reported(lobby, alice):
    from apps.chat.services import direct_message_send

    bob, carol = PlayerFactory(), PlayerFactory()
    private = direct_message_send(sender=alice, recipient=bob, body="secret").message
    own = message_send(channel=lobby, author=carol, body="mine").message

    hidden = report(client_for(carol), private.id)
    missing = report(client_for(carol), 999999)
    self_report = report(client_for(carol), own.id)

    assert hidden.json()["error"]["code"] == "unknown_target"
    assert missing.json()["error"]["code"] == "unknown_target"
    assert self_report.json()["error"]["code"] == "self_report"
    assert Report.objects.count() == 0 and ReportCase.objects.count() == 0


def test_enough_distinct_reporters_hide_the_message_and_the_case_jumps_the_queue(
    title, lobby, alice
):
    TitleModerationSettings.objects.create(title=title, escalation_reporters=3)
    calm = message_send(channel=lobby, author=alice, body="meh").message
    bad = message_send(channel=lobby, author=alice, body="awful").message
    report(client_for(PlayerFactory()), calm.id, category="hate")
    reporters = [PlayerFactory() for _ in range(3)]

    for number, reporter in enumerate(reporters):
        report(client_for(reporter), bad.id, category="spam")
        if number == 1:
            assert not Message.objects.get(id=bad.id).is_deleted  # 2 < 3

    case = ReportCase.objects.get(target_id=str(bad.id))
    assert (case.is_hidden, case.reporter_count) == (True, 3)
    assert Message.objects.get(id=bad.id).is_deleted
    queue = ReportCase.objects.filter(status="open").order_by(
        "-is_hidden", "-severity", "-reporter_count", "created_at"
    )
    assert [c.target_id for c in queue] == [str(bad.id), str(calm.id)]
    assert AuditEntry.objects.filter(action="case.escalated").count() == 1


@override_settings(MODERATION_REPORTS_BURST=2, MODERATION_REPORTS_PER_HOUR=1)
def test_report_spam_is_rate_limited_and_stores_nothing(lobby, alice, bob):
    messages = [message_send(channel=lobby, author=alice, body=f"m{n}").message for n in range(3)]
    client = client_for(bob)

    answers = [report(client, message.id) for message in messages]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert answers[2].json()["error"]["details"]["retry_after"] > 0
    assert Report.objects.count() == 2


def test_resolving_a_case_mutes_the_player_and_tells_reporters_without_details(
    lobby, alice, bob, moderator
):
    message = message_send(channel=lobby, author=alice, body="grr").message
    report(client_for(bob), message.id)
    case = ReportCase.objects.get()

    case_claim(case=case, moderator=moderator)
    case_act(case=case, moderator=moderator, action="mute_24h", reason="insults")

    mute = Sanction.objects.get(player=alice)
    assert (mute.kind, mute.title_id, mute.reason_category) == ("chat_mute", lobby.title_id,
                                                                "harassment")  # fmt: skip
    assert mute.evidence == [{"kind": "report_case", "id": case.id}]
    notice = Notification.objects.get(recipient=bob, kind="moderation")
    assert notice.data == {"event": "report_resolved", "report_id": Report.objects.get().id,
                           "target_type": "message", "outcome": "action_taken"}  # fmt: skip
    case.refresh_from_db()
    assert (case.status, case.resolution, case.resolved_by) == ("resolved", "mute_24h", moderator)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["case.claimed", "sanction.issued", "case.mute_24h"]


def test_a_moderator_is_refused_a_senior_action_and_nothing_changes(lobby, alice, bob, moderator):
    message = message_send(channel=lobby, author=alice, body="grr").message
    report(client_for(bob), message.id)
    case = ReportCase.objects.get()

    with pytest.raises(NotAllowed):
        case_act(case=case, moderator=moderator, action="ban")

    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert Sanction.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert not Notification.objects.filter(kind="moderation").exists()


def test_a_claimed_case_is_not_acted_on_by_another_moderator(lobby, alice, bob, moderator, senior):
    message = message_send(channel=lobby, author=alice, body="grr").message
    report(client_for(bob), message.id)
    case = ReportCase.objects.get()
    case_claim(case=case, moderator=moderator)

    with pytest.raises(CaseClaimed):
        case_act(case=case, moderator=senior, action="dismiss")

    case.refresh_from_db()
    assert (case.status, case.claimed_by) == ("open", moderator)


def test_bulk_dismiss_handles_each_case_and_reports_refusals(lobby, alice, bob, moderator, senior):
    messages = [message_send(channel=lobby, author=alice, body=f"m{n}").message for n in range(3)]
    for message in messages:
        report(client_for(bob), message.id, category="spam")
    cases = list(ReportCase.objects.order_by("id"))
    case_claim(case=cases[2], moderator=senior)

    outcome = cases_act_bulk(cases=cases, moderator=moderator, action="dismiss")

    assert outcome == {cases[0].id: None, cases[1].id: None, cases[2].id: "case_claimed"}
    states = list(ReportCase.objects.order_by("id").values_list("status", flat=True))
    assert states == ["dismissed", "dismissed", "open"]
    notices = Notification.objects.filter(recipient=bob, kind="moderation")
    assert sorted(n.data["outcome"] for n in notices) == ["no_action", "no_action"]


def test_a_profile_can_be_reported_with_its_snapshot(alice, bob):
    alice.bio = "rude bio"
    alice.save(update_fields=["bio"])

    response = report(client_for(bob), alice.id, target_type="profile", category="hate")
    alice.bio = "nice now"
    alice.save(update_fields=["bio"])

    assert response.status_code == 201
    assert Report.objects.get().evidence["player"]["bio"] == "rude bio"
