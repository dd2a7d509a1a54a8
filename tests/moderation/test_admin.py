"""The admin as moderators use it: readable names, name-searching player pickers, links from a
player to everything moderation needs, the audit log append-only even for superusers, CSV."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import Client

from apps.chat.services import message_send
from apps.moderation.models import Appeal, AuditEntry, Sanction
from apps.moderation.sanctions import sanction_issue
from apps.players.models import PlayerTitleStats
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_show_readable_names_not_object_ids(title, lobby, alice, moderator):
    stats = PlayerTitleStats.objects.create(player=alice, title=title)
    message_send(channel=lobby, author=alice, body="hello")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = admin_client(superuser)

    pages = [client.get(url).content.decode() for url in (
        "/admin/players/player/", f"/admin/players/player/{alice.id}/change/",
        "/admin/chat/message/", "/admin/moderation/sanction/",
    )]  # fmt: skip

    assert str(stats) == "alice in Starfall Arena"
    assert all("object (" not in page for page in pages)


def test_the_moderator_group_can_work_and_the_sanction_picker_searches_by_name(alice, moderator):
    client = admin_client(moderator)

    index = client.get("/admin/")
    form = client.get("/admin/moderation/sanction/add/").content.decode()
    found = client.get("/admin/autocomplete/", {"app_label": "moderation",
                                                "model_name": "sanction",
                                                "field_name": "player", "term": "ali"})  # fmt: skip

    assert "permission to view or edit anything" not in index.content.decode()
    assert "Report cases" in index.content.decode()
    assert "admin-autocomplete" in form and 'name="player"' in form
    assert "vForeignKeyRawIdAdminField" not in form
    assert [r["text"] for r in found.json()["results"]] == ["alice"]


def test_a_player_page_links_to_their_messages_sanctions_and_reports(lobby, alice, bob):
    message_send(channel=lobby, author=alice, body="mine")
    message_send(channel=lobby, author=bob, body="not mine")
    sanction_issue(player=alice, kind="warning")
    client = admin_client(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/players/player/{alice.id}/change/").content.decode()
    messages_page = client.get(f"/admin/chat/message/?author__id__exact={alice.id}")
    sanctions_page = client.get(f"/admin/moderation/sanction/?player__id__exact={alice.id}")

    assert f"/admin/chat/message/?author__id__exact={alice.id}" in page
    assert f"/admin/moderation/sanction/?player__id__exact={alice.id}" in page
    assert messages_page.status_code == 200 and "mine" in messages_page.content.decode()
    assert "not mine" not in messages_page.content.decode()
    assert sanctions_page.status_code == 200 and "Warning" in sanctions_page.content.decode()


@pytest.mark.postgres  # the trigger is PostgreSQL's (SQLite flushes tests with DELETE)
def test_the_audit_log_is_append_only_even_for_superusers(alice, senior, moderator):
    sanction_issue(player=alice, kind="chat_mute", issued_by=senior)
    entry = AuditEntry.objects.get()
    client = admin_client(UserFactory(is_staff=True, is_superuser=True))

    change = client.post(f"/admin/moderation/auditentry/{entry.id}/change/", {"reason": "x"})
    delete = client.post(f"/admin/moderation/auditentry/{entry.id}/delete/", {"post": "yes"})
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_auditentry SET reason = 'edited'")  # the trigger

    assert delete.status_code == 403
    assert change.status_code in (403, 200)
    assert AuditEntry.objects.get().reason == ""


@pytest.mark.django_db(transaction=True)
def test_senior_moderators_export_the_audit_log_as_csv_and_moderators_cannot(
    alice, senior, moderator
):
    sanction_issue(player=alice, kind="chat_mute", issued_by=senior, reason="=HYPERLINK(1)")
    ids = [str(entry.id) for entry in AuditEntry.objects.all()]
    action = {"action": "export_csv", "_selected_action": ids}

    csv = admin_client(senior).post("/admin/moderation/auditentry/", action)
    refused = admin_client(moderator).post("/admin/moderation/auditentry/", action)

    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("created_at,actor_kind,actor_id,actor_name,action")
    assert "sanction.issued" in lines[1] and "'=HYPERLINK(1)" in lines[1]
    assert not refused.get("Content-Type", "").startswith("text/csv")


def test_senior_moderators_decide_appeals_in_the_admin(alice, senior):
    mute = sanction_issue(player=alice, kind="chat_mute")
    appeal = Appeal.objects.create(sanction=mute, player=alice, text="sorry")

    client = admin_client(senior)
    listing = client.get("/admin/moderation/appeal/").content.decode()
    client.post(f"/admin/moderation/appeal/{appeal.id}/decide/",
                {"decision": "accept", "text": "ok, be nice"})  # fmt: skip

    assert f"/admin/moderation/appeal/{appeal.id}/decide/" in listing
    assert Appeal.objects.get().status == "accepted"
    assert Sanction.objects.get().lifted_at is not None
    assert (
        Group.objects.get(name="senior moderators")
        .permissions.filter(codename="decide_appeal")
        .exists()
    )
