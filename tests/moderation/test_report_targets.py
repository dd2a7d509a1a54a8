"""Every report target in one queue: UGC items and comments (registered by apps/ugc) become
moderation reports; escalation hides messages, profiles (name, bio, avatar), items and
comments; dismissing the case gives back what escalation hid, and "remove" takes it for good."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from apps.chat.models import Message
from apps.chat.services import message_send
from apps.moderation.models import CaseStatus, Report, ReportCase, TitleModerationSettings
from apps.moderation.reports import case_act
from apps.players.avatars import avatar_set
from apps.players.models import Player
from apps.ugc.models import Comment, Item
from tests.players.factories import PlayerFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, ugc_storage, upload  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


def published_level(title, creator, seed: int = 1) -> int:
    content = corpus.level_zip(seed)
    response = upload(client_for(creator), title.slug, kind="level", content=content,
                      filename="l.zip", name="Lava run")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()["id"]


def moderation_report(reporter, target_type: str, target_id, category: str = "hate"):
    return client_for(reporter).post("/api/v1/moderation/reports", {
        "target_type": target_type, "target_id": str(target_id), "category": category,
    }, format="json")  # fmt: skip


def escalate(title, target_type: str, target_id, reporters: int = 2) -> ReportCase:
    TitleModerationSettings.objects.update_or_create(
        title=title, defaults={"escalation_reporters": reporters}
    )
    for _ in range(reporters):
        assert moderation_report(PlayerFactory(), target_type, target_id).status_code == 201
    return ReportCase.objects.get(target_type=target_type, target_id=str(target_id))


# --- UGC reports reach the queue --------------------------------------------------------------


def test_reporting_an_item_through_ugc_files_a_moderation_report_with_evidence(title, alice, bob):
    item_id = published_level(title, alice)
    url = f"/api/v1/ugc/items/{item_id}/report"

    first = client_for(bob).post(url, {"reason": "copyright", "details": "my map"})
    again = client_for(bob).post(url, {"reason": "spam", "details": "and spam"})
    own = client_for(alice).post(url, {"reason": "spam"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert (own.status_code, own.json()["error"]["code"]) == (400, "self_report")
    report = Report.objects.get()  # the repeat updated it
    case = report.case
    assert (case.target_type, case.target_id, case.target_player, case.title) == (
        "ugc", str(item_id), alice, title)  # fmt: skip
    assert (report.reporter, report.category, report.text) == (bob, "spam", "and spam")
    assert report.evidence["name"] == "Lava run" and len(report.evidence["sha256"]) == 64


def test_a_ugc_reason_moderation_has_no_category_for_is_kept_in_the_text(title, alice, bob):
    item_id = published_level(title, alice)

    client_for(bob).post(f"/api/v1/ugc/items/{item_id}/report",
                         {"reason": "malware", "details": "my antivirus flagged it"})  # fmt: skip

    report = Report.objects.get()
    assert (report.category, report.text) == ("other", "[malware] my antivirus flagged it")


def test_a_comment_reported_through_ugc_and_through_moderation_is_one_case(title, alice, bob):
    item_id = published_level(title, alice)
    comment = client_for(alice).post(f"/api/v1/ugc/items/{item_id}/comments",
                                     {"body": "you all suck"}).json()  # fmt: skip
    carol = PlayerFactory()

    via_ugc = client_for(bob).post(f"/api/v1/ugc/comments/{comment['id']}/report",
                                   {"reason": "harassment"})  # fmt: skip
    via_moderation = moderation_report(carol, "comment", comment["id"])

    assert (via_ugc.status_code, via_moderation.status_code) == (202, 201)
    case = ReportCase.objects.get()
    assert (case.target_type, case.reporter_count, case.target_player) == ("comment", 2, alice)
    assert Report.objects.get(reporter=bob).evidence["body"] == "you all suck"


def test_content_the_reporter_cannot_see_is_unknown_to_the_moderation_api(title, alice, bob):
    private_id = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(2),
                        filename="l.zip", visibility="private").json()["id"]  # fmt: skip

    answers = [moderation_report(bob, "ugc", private_id), moderation_report(bob, "ugc", "x"),
               moderation_report(bob, "comment", 999999)]  # fmt: skip

    assert [a.json()["error"]["code"] for a in answers] == ["unknown_target"] * 3
    assert not Report.objects.exists()


# --- escalation hides every kind; a dismissal gives it back ------------------------------------


def test_an_escalated_item_is_hidden_and_a_dismissal_shows_it_again(title, alice, moderator):
    item_id = published_level(title, alice)
    viewer = client_for(PlayerFactory())

    case = escalate(title, "ugc", item_id)
    while_hidden = viewer.get(f"/api/v1/ugc/items/{item_id}")
    case_act(case=case, moderator=moderator, action="dismiss")
    after = viewer.get(f"/api/v1/ugc/items/{item_id}")

    assert case.is_hidden and Item.objects.get(id=item_id).is_hidden is False
    assert while_hidden.status_code == 404
    assert after.status_code == 200
    assert ReportCase.objects.get(id=case.id).status == CaseStatus.DISMISSED


def test_removing_an_escalated_item_removes_it_for_good(title, alice, moderator):
    item_id = published_level(title, alice)
    case = escalate(title, "ugc", item_id)

    case_act(case=case, moderator=moderator, action="remove")

    assert Item.objects.get(id=item_id).state == "removed"
    assert client_for(PlayerFactory()).get(f"/api/v1/ugc/items/{item_id}").status_code == 404


def test_an_escalated_comment_is_hidden_until_the_case_is_dismissed(title, alice, bob, moderator):
    item_id = published_level(title, alice)
    comment_id = client_for(bob).post(f"/api/v1/ugc/items/{item_id}/comments",
                                      {"body": "meh"}).json()["id"]  # fmt: skip

    def visible_comments() -> list[int]:
        page = client_for(PlayerFactory()).get(f"/api/v1/ugc/items/{item_id}/comments").json()
        return [comment["id"] for comment in page["results"]]

    case = escalate(title, "comment", comment_id)
    while_hidden = visible_comments()
    case_act(case=case, moderator=moderator, action="dismiss")

    assert Comment.objects.get(id=comment_id).is_hidden is False
    assert (while_hidden, visible_comments()) == ([], [comment_id])


def test_an_escalated_message_comes_back_when_the_case_is_dismissed(title, lobby, alice, moderator):
    message = message_send(channel=lobby, author=alice, body="gg, close one").message
    reader = client_for(PlayerFactory())
    history = f"/api/v1/chat/channels/{lobby.id}/messages"

    case = escalate(title, "message", message.id)
    while_hidden = reader.get(history).json()
    case_act(case=case, moderator=moderator, action="dismiss")
    after = reader.get(history).json()

    def shown(page) -> list[tuple[str, bool]]:
        rows = page["results"] if isinstance(page, dict) else page
        return [(row["body"], row["is_deleted"]) for row in rows if row["id"] == message.id]

    assert shown(while_hidden) == [("", True)]
    assert shown(after) == [("gg, close one", False)]
    assert Message.objects.get(id=message.id).deleted_at is None


def test_a_case_acted_on_keeps_its_message_hidden(title, lobby, alice, moderator):
    message = message_send(channel=lobby, author=alice, body="you are trash").message
    case = escalate(title, "message", message.id)

    case_act(case=case, moderator=moderator, action="mute_1h")

    assert Message.objects.get(id=message.id).is_deleted


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), (0, 90, 200)).save(out, format="PNG")
    out.seek(0)
    return out


def test_an_escalated_profile_loses_name_bio_and_avatar_until_dismissed(
    alice, moderator, settings, media
):
    settings.MODERATION_ESCALATION_REPORTERS = 2
    Player.objects.filter(id=alice.id).update(bio="buy gold at scam.example")
    avatar_set(player=Player.objects.get(id=alice.id), upload=_png())
    before = Player.objects.get(id=alice.id)
    viewer = client_for(PlayerFactory())

    for _ in range(2):
        moderation_report(PlayerFactory(), "profile", alice.id, category="spam")
    case = ReportCase.objects.get(target_type="profile")
    hidden = viewer.get(f"/api/v1/players/{alice.id}").json()
    case_act(case=case, moderator=moderator, action="dismiss")
    restored = Player.objects.get(id=alice.id)

    assert case.is_hidden
    assert (hidden["display_name"], hidden.get("bio", "")) == ("Hidden player", "")
    assert not hidden.get("avatar_url") and not hidden.get("avatar")
    assert (restored.display_name, restored.bio) == ("alice", "buy gold at scam.example")
    assert (restored.avatar_large, restored.avatar_small) == (before.avatar_large,
                                                              before.avatar_small)  # fmt: skip
    assert default_storage.exists(restored.avatar_large)  # the files were kept while hidden


def test_a_dismissal_keeps_what_the_player_changed_while_hidden(alice, moderator, settings):
    settings.MODERATION_ESCALATION_REPORTERS = 1
    Player.objects.filter(id=alice.id).update(bio="old bio")
    moderation_report(PlayerFactory(), "profile", alice.id)
    Player.objects.filter(id=alice.id).update(bio="a new, friendly bio")

    case_act(case=ReportCase.objects.get(), moderator=moderator, action="dismiss")

    restored = Player.objects.get(id=alice.id)
    assert (restored.display_name, restored.bio) == ("alice", "a new, friendly bio")


def test_removing_a_profile_resets_it_and_deletes_the_avatar_files(
    alice, moderator, settings, media, django_capture_on_commit_callbacks
):
    settings.MODERATION_ESCALATION_REPORTERS = 1
    avatar_set(player=Player.objects.get(id=alice.id), upload=_png())
    files = [Player.objects.get(id=alice.id).avatar_large]
    moderation_report(PlayerFactory(), "profile", alice.id)

    with django_capture_on_commit_callbacks(execute=True):
        case_act(case=ReportCase.objects.get(), moderator=moderator, action="remove")

    removed = Player.objects.get(id=alice.id)
    assert (removed.display_name, removed.bio, removed.avatar_large) == ("Hidden player", "", "")
    assert not default_storage.exists(files[0])


def test_the_queue_shows_a_reported_item_and_links_to_it(title, alice, bob, moderator):
    from django.test import Client

    item_id = published_level(title, alice)
    client_for(bob).post(f"/api/v1/ugc/items/{item_id}/report", {"reason": "hate"})
    case = ReportCase.objects.get()
    admin = Client()
    admin.force_login(moderator)

    page = admin.get(f"/admin/moderation/reportcase/{case.id}/change/").content.decode()

    assert "Lava run (level)" in page
    assert Report.objects.get().evidence["sha256"] in page
    assert f"/admin/ugc/item/{item_id}/change/" in page
