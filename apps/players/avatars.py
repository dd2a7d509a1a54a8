"""Avatar uploads, validated by content and re-encoded (stack-pitfalls §4.5).

Order of checks: size (before reading more than the limit), then the shared image checks of
``apps.common.images`` (magic bytes: PNG, JPEG, WebP only; pixel count from the header before
decoding: the decompression-bomb guard; a full decode restricted to the detected format). The
stored files are re-encoded
WebP renditions (metadata dropped, EXIF orientation applied) under server-generated names;
nothing the client sent (name, declared type, metadata) is kept.
"""

import io
import uuid
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from apps.common.exceptions import InvalidInput
from apps.common.images import ImageProblem, ImageRejected, image_open_bytes_checked
from apps.common.reversing import reverse_per_id
from apps.moderation.enforcement import Action, sanction_check
from apps.players.models import Player

AVATAR_SIZES = {"large": 256, "small": 64}


class AvatarRejected(InvalidInput):
    code = "avatar_invalid"
    default_message = _("This image cannot be used as an avatar.")


def _read_limited(upload: IO[bytes]) -> bytes:
    data = upload.read(settings.PLAYERS_AVATAR_MAX_BYTES + 1)
    if len(data) > settings.PLAYERS_AVATAR_MAX_BYTES:
        raise AvatarRejected(
            _("The image is larger than %(size)d KiB.")
            % {"size": settings.PLAYERS_AVATAR_MAX_BYTES // 1024},
            code="avatar_too_large",
            status_code=413,
        )
    return data


_REJECTIONS = {
    ImageProblem.UNSUPPORTED_TYPE: (
        "avatar_unsupported_type",
        _("Upload a PNG, JPEG or WebP image."),
    ),
    ImageProblem.TOO_MANY_PIXELS: ("avatar_too_many_pixels", _("The image has too many pixels.")),
    ImageProblem.CORRUPT: (
        "avatar_corrupt",
        _("The image is damaged or not what its header says."),
    ),
}


def _decode(data: bytes) -> Image.Image:
    try:
        return image_open_bytes_checked(data, max_pixels=settings.PLAYERS_AVATAR_MAX_PIXELS)
    except ImageRejected as rejected:
        code, message = _REJECTIONS[rejected.problem]
        raise AvatarRejected(message, code=code) from rejected


def _rendition(image: Image.Image, size: int) -> bytes:
    square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="WEBP", quality=85)  # no exif/icc passed: metadata is dropped
    return out.getvalue()


def square_renditions_checked(upload: IO[bytes], *, sizes: dict[str, int]) -> dict[str, bytes]:
    """Square WebP renditions (``sizes``: key → pixels) of an untrusted upload, checked as
    avatars are (size, then ``apps.common.images``); refusals are ``AvatarRejected`` with the
    avatar codes. Shared with guild emblems, which follow the same rules."""
    image = _decode(_read_limited(upload))
    image = ImageOps.exif_transpose(image).convert("RGBA")
    return {key: _rendition(image, size) for key, size in sizes.items()}


def avatar_set(*, player: Player, upload: IO[bytes]) -> Player:
    """Validate and store a new avatar; the old files are removed after commit. A banned or
    suspended player cannot change it."""
    sanction_check(player=player, action=Action.PROFILE_EDIT)
    renditions = square_renditions_checked(upload, sizes=AVATAR_SIZES)
    stem = f"avatars/{player.id}/{uuid.uuid4().hex}"
    names = {
        key: default_storage.save(f"{stem}-{AVATAR_SIZES[key]}.webp", ContentFile(data))
        for key, data in renditions.items()
    }
    previous = (player.avatar_large, player.avatar_small)
    old = [name for name in previous if name]
    player.avatar_large, player.avatar_small = names["large"], names["small"]
    try:
        with transaction.atomic():
            player.save(update_fields=["avatar_large", "avatar_small", "updated_at"])
    except Exception:
        # The files were written first (storage is not transactional): nothing that the
        # database does not point at may stay behind.
        rendition_files_delete(list(names.values()))
        player.avatar_large, player.avatar_small = previous
        raise
    transaction.on_commit(lambda: rendition_files_delete(old))
    return player


def avatar_remove(*, player: Player) -> Player:
    old = [name for name in (player.avatar_large, player.avatar_small) if name]
    player.avatar_large = player.avatar_small = ""
    player.save(update_fields=["avatar_large", "avatar_small", "updated_at"])
    transaction.on_commit(lambda: rendition_files_delete(old))
    return player


def rendition_files_delete(names: list[str]) -> None:
    """Delete stored renditions (avatars, guild emblems); missing ones are fine."""
    for name in names:
        default_storage.delete(name)


def avatar_urls(size: str = "large") -> Callable[[int, str, bool], str | None]:
    """``avatar_url`` for a page of players read as rows: ``(player_id, rendition name,
    is_deleted) -> URL or None``, the URL reversed once for the page."""
    path_of = reverse_per_id("players:avatar", "player_id", size=size)

    def url(player_id: int, name: str, is_deleted: bool) -> str | None:
        if not name or is_deleted:
            return None
        return f"{path_of(player_id)}?v={rendition_version(name)}"

    return url


def avatar_url(player: Player, size: str = "large") -> str | None:
    """URL of a rendition; the file name in ``v`` changes with every upload (cache busting)."""
    name = player.avatar_large if size == "large" else player.avatar_small
    if not name or player.is_deleted:
        return None
    version = rendition_version(name)
    path = reverse("players:avatar", kwargs={"player_id": player.id, "size": size})
    return f"{path}?v={version}"


def rendition_version(name: str) -> str:
    """The cache-busting token of a rendition's URL: it changes with every upload."""
    return name.rsplit("/", 1)[-1].split("-", 1)[0][:12]


def player_cards_of_rows(prefix: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """The player card (``PlayerCardSerializer``: id, name, avatar URLs) of the player whose
    columns a row holds as ``{prefix}_id``, ``{prefix}__display_name``,
    ``{prefix}__avatar_large``, ``{prefix}__avatar_small`` and ``{prefix}__deleted_at``
    (``prefix=""``: the row is the player's own: ``id``, ``display_name``, …). None when the
    row has no such player. Avatar URLs are reversed once per page, and only if a row has one."""
    large, small = avatar_urls("large"), avatar_urls("small")
    at = f"{prefix}__" if prefix else ""
    pid = f"{prefix}_id" if prefix else "id"
    name, large_name, small_name = f"{at}display_name", f"{at}avatar_large", f"{at}avatar_small"
    deleted_at = f"{at}deleted_at"

    def card(row: dict[str, Any]) -> dict[str, Any] | None:
        player_id = row[pid]
        if player_id is None:
            return None
        is_deleted = row[deleted_at] is not None
        return {
            "id": player_id,
            "display_name": row[name],
            "avatar_url": large(player_id, row[large_name], is_deleted),
            "avatar_small_url": small(player_id, row[small_name], is_deleted),
        }

    return card
