"""The same stored (UTC) time shows in each viewer's zone and language: relative within a day
("3分前"), else Django's short date format of the language; the UTC instant stays in
``<time datetime>``."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.players.models import Notification
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STORED = datetime(2026, 12, 1, 3, 7, tzinfo=UTC)


def _notifications_page_of(player) -> str:
    client = Client()
    client.force_login(player.user)
    response = client.get(reverse("players:notifications"))
    assert response.status_code == 200
    return response.content.decode()


def _notified(player, *, at: datetime) -> None:
    notification = Notification.objects.create(recipient=player, kind="moderation")
    Notification.objects.filter(id=notification.id).update(created_at=at)


def test_one_stored_time_in_two_zones_and_languages():
    tokyo = PlayerFactory(locale="ja", time_zone="Asia/Tokyo")
    new_york = PlayerFactory(locale="en", time_zone="America/New_York")
    for player in (tokyo, new_york):
        _notified(player, at=STORED)

    in_tokyo = _notifications_page_of(tokyo)
    in_new_york = _notifications_page_of(new_york)

    assert '<time datetime="2026-12-01T03:07:00Z"' in in_tokyo
    assert '<time datetime="2026-12-01T03:07:00Z"' in in_new_york
    assert ">2026/12/01 12:07</time>" in in_tokyo
    assert ">11/30/2026 10:07 p.m.</time>" in in_new_york


def test_recent_times_are_relative_in_the_viewers_language():
    japanese = PlayerFactory(locale="ja", time_zone="Asia/Tokyo")
    english = PlayerFactory(locale="en", time_zone="Europe/London")
    for player in (japanese, english):
        _notified(player, at=timezone.now() - timedelta(minutes=3, seconds=5))

    assert ">3分前</time>" in _notifications_page_of(japanese)
    assert ">3\xa0minutes ago</time>" in _notifications_page_of(english)


def test_a_sanctions_end_on_my_sanctions_is_in_the_viewers_zone():
    from apps.moderation.sanctions import sanction_issue

    until = datetime(2027, 1, 15, 3, 7, tzinfo=UTC)
    pages = {}
    for zone, locale in (("Asia/Tokyo", "ja"), ("America/New_York", "en")):
        player = PlayerFactory(locale=locale, time_zone=zone)
        sanction_issue(player=player, kind="chat_mute", expires_at=until)
        client = Client()
        client.force_login(player.user)
        pages[zone] = client.get(reverse("moderation:my-sanctions")).content.decode()

    for page in pages.values():
        assert '<time datetime="2027-01-15T03:07:00Z"' in page
    assert ">2027/01/15 12:07</time>" in pages["Asia/Tokyo"]
    assert ">01/14/2027 10:07 p.m.</time>" in pages["America/New_York"]


def _staff_member(zone: str, locale: str):  # type: ignore[no-untyped-def]
    staff = PlayerFactory(locale=locale, time_zone=zone, user__is_staff=True)
    staff.user.is_superuser = True
    staff.user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff.user)
    return client


def test_moderation_admin_pages_show_times_in_each_staff_members_zone():
    from apps.moderation.models import Report, Sanction
    from apps.moderation.reports import report_submit
    from apps.moderation.sanctions import sanction_issue

    offender = PlayerFactory(display_name="offender")
    sanction_issue(
        player=offender, kind="chat_mute", expires_at=datetime(2027, 1, 15, 3, 7, tzinfo=UTC)
    )
    Sanction.objects.filter(player=offender).update(starts_at=STORED)
    report, _created = report_submit(
        reporter=PlayerFactory(), target_type="profile", target_id=offender.id, category="spam"
    )
    Report.objects.filter(id=report.id).update(created_at=STORED)
    sanction = Sanction.objects.get(player=offender)
    pages = {
        reverse("admin:moderation_reportcase_change", args=[report.case_id]),
        reverse("admin:moderation_sanction_lift", args=[sanction.id]),
    }
    staff = {"Asia/Tokyo": _staff_member("Asia/Tokyo", "ja"),
             "America/New_York": _staff_member("America/New_York", "en")}  # fmt: skip

    seen = {zone: "".join(client.get(page).content.decode() for page in pages)
            for zone, client in staff.items()}  # fmt: skip

    for page in seen.values():
        assert '<time datetime="2026-12-01T03:07:00Z"' in page  # the report, the mute's start
        assert '<time datetime="2027-01-15T03:07:00Z"' in page  # the mute's end
    assert seen["Asia/Tokyo"].count(">2026/12/01 12:07</time>") == 2
    assert seen["Asia/Tokyo"].count(">2027/01/15 12:07</time>") == 2  # case history and lift
    assert seen["America/New_York"].count(">11/30/2026 10:07 p.m.</time>") == 2
    assert seen["America/New_York"].count(">01/14/2027 10:07 p.m.</time>") == 2
