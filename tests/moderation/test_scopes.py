"""Roles optionally limited to titles."""

import pytest
from django.test import Client

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.services import message_send
from apps.moderation.exceptions import NotAllowed
from apps.moderation.models import ModeratorScope, ReportCase, Sanction
from apps.moderation.reports import case_act, report_submit
from apps.moderation.sanctions import sanction_issue_by_moderator

pytestmark = pytest.mark.django_db


def test_a_title_limited_moderator_works_only_in_their_titles(
    title, other_title, lobby, alice, bob, moderator
):
    ModeratorScope.objects.create(user=moderator).titles.add(title)
    other_lobby = lobby_channel_get_or_create(title=other_title)
    mine = message_send(channel=lobby, author=alice, body="rude here").message
    theirs = message_send(channel=other_lobby, author=alice, body="rude there").message
    for message in (mine, theirs):
        report_submit(reporter=bob, target_type="message", target_id=message.id,
                      category="harassment")  # fmt: skip
    my_case = ReportCase.objects.get(target_id=str(mine.id))
    other_case = ReportCase.objects.get(target_id=str(theirs.id))
    client = Client()
    client.force_login(moderator)

    queue = client.get("/admin/moderation/reportcase/").content.decode()
    with pytest.raises(NotAllowed):
        case_act(case=other_case, moderator=moderator, action="dismiss")
    with pytest.raises(NotAllowed):
        sanction_issue_by_moderator(moderator=moderator, player=alice, kind="chat_mute")
    case_act(case=my_case, moderator=moderator, action="mute_1h")

    assert "rude here" in queue and "rude there" not in queue
    other_case.refresh_from_db()
    assert other_case.status == "open"
    assert list(Sanction.objects.values_list("kind", "title")) == [("chat_mute", title.id)]
