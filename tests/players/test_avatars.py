"""Avatar uploads are validated by content and re-encoded; rejected files store nothing."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from apps.players.models import Player
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def image_bytes(image_format: str, size=(300, 200), **save) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=image_format, **save)
    return out.getvalue()


def upload(player: Player, name: str, content: bytes, content_type="image/png"):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(player.user)
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.put("/api/v1/me/avatar", {"image": file}, format="multipart")


def jpeg_with_gps_exif() -> bytes:
    image = Image.new("RGB", (120, 120), (0, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (35.0, 39.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("me.png", image_bytes("PNG")),
        ("me.jpg", jpeg_with_gps_exif()),
        ("me.webp", image_bytes("WEBP")),
        ("me.png", image_bytes("JPEG")),  # the extension lies, the content is fine
    ],
)
def test_valid_images_are_stored_as_metadata_free_webp_renditions(media, name, content):
    player = PlayerFactory()

    response = upload(player, name, content)

    assert response.status_code == 200
    player.refresh_from_db()
    files = stored_files(media)
    assert len(files) == 2
    assert all(f.startswith(f"avatars/{player.id}/") and f.endswith(".webp") for f in files)
    assert name.split(".")[0] not in "".join(files)  # server-generated names only
    with Image.open(media / player.avatar_large) as large:
        assert (large.format, large.size) == ("WEBP", (256, 256))
        assert not large.getexif()
        assert "exif" not in large.info
    with Image.open(media / player.avatar_small) as small:
        assert small.size == (64, 64)
    assert response.json()["avatar_url"].startswith(f"/players/{player.id}/avatar/large?v=")


@pytest.mark.parametrize(
    ("name", "content", "code", "http_status"),
    [
        ("me.png", b"<html><script>alert(1)</script></html>", "avatar_unsupported_type", 400),
        ("me.png", image_bytes("GIF"), "avatar_unsupported_type", 400),
        ("me.png", image_bytes("PNG")[:60], "avatar_corrupt", 400),
        ("me.png", b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024), "avatar_too_large", 413),
    ],
    ids=["html-named-png", "gif-named-png", "truncated-png", "oversized"],
)
def test_rejected_uploads_store_nothing(media, name, content, code, http_status):
    player = PlayerFactory()

    response = upload(player, name, content)

    assert response.status_code == http_status
    assert response.json()["error"]["code"] == code
    assert stored_files(media) == []
    player.refresh_from_db()
    assert (player.avatar_large, player.avatar_small) == ("", "")


def test_decompression_bomb_is_refused_before_decoding(media):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 200_000  # small file, 100 megapixels once decoded
    player = PlayerFactory()

    response = upload(player, "bomb.png", bomb)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "avatar_too_many_pixels"
    assert stored_files(media) == []


def test_replacing_the_avatar_removes_the_old_files_and_serves_resized(
    media, django_capture_on_commit_callbacks
):
    player = PlayerFactory()
    upload(player, "a.png", image_bytes("PNG"))
    player.refresh_from_db()
    old = player.avatar_large

    with django_capture_on_commit_callbacks(execute=True):
        body = upload(player, "b.png", image_bytes("PNG", size=(800, 800))).json()
    served = Client().get(body["avatar_small_url"])

    assert len(stored_files(media)) == 2
    assert not (media / old).exists()
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size == (64, 64)


def test_an_upload_whose_database_write_fails_leaves_no_files(media):
    from django.db import DatabaseError

    from apps.players.avatars import avatar_set

    player = PlayerFactory()
    Player.objects.filter(id=player.id).delete()  # gone between the request and the write

    with pytest.raises(DatabaseError):
        avatar_set(player=player, upload=io.BytesIO(image_bytes("PNG")))

    assert stored_files(media) == []


def test_an_avatar_follows_the_visibility_of_its_profile(media):
    from apps.players.friends import block_create

    owner, blocked, stranger = PlayerFactory(), PlayerFactory(), PlayerFactory()
    url = upload(owner, "me.png", image_bytes("PNG")).json()["avatar_url"]
    block_create(blocker=owner, blocked=blocked)
    as_blocked, as_stranger = Client(), Client()
    as_blocked.force_login(blocked.user)
    as_stranger.force_login(stranger.user)

    blocked_profile = as_blocked.get(f"/players/{owner.id}/")
    blocked_avatar = as_blocked.get(url)
    stranger_avatar = as_stranger.get(url)
    anonymous_avatar = Client().get(url)

    assert (blocked_profile.status_code, blocked_avatar.status_code) == (404, 404)
    assert (stranger_avatar.status_code, anonymous_avatar.status_code) == (200, 200)
    assert stranger_avatar["Cache-Control"] == "private, max-age=86400"
