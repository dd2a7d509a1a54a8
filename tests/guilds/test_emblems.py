"""Guild emblems (apps/guilds/emblems.py): checked and re-encoded as avatars are (the same
pipeline and error codes), set by holders of ``edit_guild`` from REST and the manage page,
shown on the guild and browse pages, and a 404 once the guild is disbanded. Replaced, removed
or disbanded, the old files leave storage once the transaction commits."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from apps.guilds.models import AuditAction, Guild, GuildAuditEntry
from apps.guilds.moderation import guild_staff_disband
from apps.guilds.services import guild_disband
from apps.players.models import Player
from tests.factories import UserFactory
from tests.guilds.factories import make_guild
from tests.guilds.test_manage_portal import field_errors, staffed_guild
from tests.players.test_avatars import image_bytes, jpeg_with_gps_exif, media, stored_files

pytestmark = pytest.mark.django_db
__all__ = ["media"]  # the fixture, used by name


def put_emblem(player: Player, guild: Guild, name: str, content: bytes):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(player.user)
    file = SimpleUploadedFile(name, content, content_type="image/png")
    return client.put(f"/api/v1/guilds/{guild.id}/emblem", {"image": file}, format="multipart")


def test_a_lying_extension_with_gps_exif_is_stored_as_clean_webp_and_shown(media):
    guild, leader, _officer, _member = staffed_guild()

    response = put_emblem(leader, guild, "emblem.png", jpeg_with_gps_exif())  # a JPEG, really

    assert response.status_code == 200, response.content
    guild.refresh_from_db()
    files = stored_files(media)
    assert len(files) == 2 and all(name.endswith(".webp") for name in files)
    assert all(name.startswith(f"emblems/{guild.id}/") for name in files)
    for name in files:
        raw = (media / name).read_bytes()
        assert b"SpyCam" not in raw  # the EXIF block (camera, GPS) is gone
        with Image.open(io.BytesIO(raw)) as stored:
            assert stored.format == "WEBP" and not stored.getexif()
    url = response.json()["emblem_url"]
    served = Client().get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size == (256, 256)
    page = Client().get(f"/guilds/{guild.id}/").content.decode()
    browse = Client().get("/guilds/").content.decode()
    assert url in page
    assert url.replace("/large", "/small") in browse
    assert GuildAuditEntry.objects.filter(guild=guild, action=AuditAction.EMBLEM_CHANGED).exists()


@pytest.mark.parametrize(
    ("content", "code", "http_status"),
    [
        (b"<html><script>alert(1)</script></html>", "avatar_unsupported_type", 400),
        (image_bytes("GIF"), "avatar_unsupported_type", 400),
        (image_bytes("PNG")[:60], "avatar_corrupt", 400),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024), "avatar_too_large", 413),
    ],
    ids=["html-named-png", "gif-named-png", "truncated-png", "oversized"],
)
def test_refused_images_get_the_avatar_codes_and_store_nothing(media, content, code, http_status):
    guild, leader, _officer, _member = staffed_guild()

    response = put_emblem(leader, guild, "emblem.png", content)

    assert response.status_code == http_status
    assert response.json()["error"]["code"] == code
    assert stored_files(media) == []
    guild.refresh_from_db()
    assert (guild.emblem_large, guild.emblem_small) == ("", "")


def test_only_edit_guild_holders_set_it_and_a_disbanded_guilds_emblem_is_gone(media):
    guild, leader, officer, member = staffed_guild()
    refusals = [
        put_emblem(player, guild, "e.png", image_bytes("PNG")).json()["error"]["code"]
        for player in (officer, member, make_guild().memberships.get().player)
    ]
    assert refusals == ["not_permitted", "not_permitted", "not_member"]
    assert stored_files(media) == []

    url = put_emblem(leader, guild, "e.png", image_bytes("PNG")).json()["emblem_url"]
    assert Client().get(url).status_code == 200
    guild_disband(actor=leader, guild=guild)
    assert Client().get(url).status_code == 404
    assert Client().get(url.replace("/large", "/small")).status_code == 404


def test_the_manage_page_uploads_shows_errors_under_the_field_and_removes(media):
    guild, leader, _officer, _member = staffed_guild()
    client = Client()
    client.force_login(leader.user)
    url = f"/guilds/{guild.id}/manage/emblem/"

    refused = client.post(url, {"image": SimpleUploadedFile("e.png", image_bytes("GIF"))})
    assert "Upload a PNG, JPEG or WebP image." in field_errors(refused, "emblem_image")
    assert stored_files(media) == []
    done = client.post(url, {"image": SimpleUploadedFile("e.png", image_bytes("PNG"))}, follow=True)
    assert 'data-testid="guild-emblem-current"' in done.content.decode()
    client.post(f"/guilds/{guild.id}/manage/emblem/remove/")
    guild.refresh_from_db()
    assert guild.emblem_large == ""


def emblem_files(media, guild: Guild) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name in stored_files(media) if name.startswith(f"emblems/{guild.id}/")]


def test_replacing_then_removing_an_emblem_deletes_the_old_files(
    media, django_capture_on_commit_callbacks
):
    guild, leader, _officer, _member = staffed_guild()
    with django_capture_on_commit_callbacks(execute=True):
        put_emblem(leader, guild, "first.png", image_bytes("PNG"))
    first = emblem_files(media, guild)
    assert len(first) == 2

    with django_capture_on_commit_callbacks(execute=True):
        put_emblem(leader, guild, "second.png", image_bytes("PNG", size=(400, 400)))
    second = emblem_files(media, guild)
    assert len(second) == 2 and not set(first) & set(second)

    client = Client()
    client.force_login(leader.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/guilds/{guild.id}/manage/emblem/remove/")
    assert emblem_files(media, guild) == []


def test_disbanding_by_the_leader_deletes_every_emblem_rendition(
    media, django_capture_on_commit_callbacks
):
    guild, leader, _officer, _member = staffed_guild()
    other = make_guild()
    with django_capture_on_commit_callbacks(execute=True):
        put_emblem(leader, guild, "e.png", image_bytes("PNG"))
        put_emblem(other.memberships.get().player, other, "e.png", image_bytes("PNG"))
    assert len(emblem_files(media, guild)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        guild_disband(actor=leader, guild=guild)

    assert emblem_files(media, guild) == []
    assert len(emblem_files(media, other)) == 2  # another guild's emblem stays
    guild.refresh_from_db()
    assert (guild.emblem_large, guild.emblem_small) == ("", "")


def test_disbanding_by_staff_deletes_the_emblem_files(media, django_capture_on_commit_callbacks):
    guild, leader, _officer, _member = staffed_guild()
    with django_capture_on_commit_callbacks(execute=True):
        put_emblem(leader, guild, "e.png", image_bytes("PNG"))
    assert len(emblem_files(media, guild)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        guild_staff_disband(staff=UserFactory(is_staff=True), guild=guild, reason="abuse")

    assert emblem_files(media, guild) == []


def test_a_rolled_back_disband_keeps_the_emblem_files(media, django_capture_on_commit_callbacks):
    guild, leader, _officer, _member = staffed_guild()
    with django_capture_on_commit_callbacks(execute=True):
        url = put_emblem(leader, guild, "e.png", image_bytes("PNG")).json()["emblem_url"]
    files = emblem_files(media, guild)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        guild_disband(actor=leader, guild=guild)
        raise RuntimeError("the caller's transaction fails after the disband")

    assert emblem_files(media, guild) == files
    guild.refresh_from_db()
    assert guild.disbanded_at is None
    assert Client().get(url).status_code == 200
