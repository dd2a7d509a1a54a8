"""Guild emblems: uploads checked and re-encoded exactly as avatars are (the same pipeline,
``apps.players.avatars.square_renditions_checked`` over ``apps.common.images``, and the same
error codes: ``avatar_too_large``, ``avatar_unsupported_type``, ``avatar_too_many_pixels``,
``avatar_corrupt``). Stored as square WebP renditions under server-made names; served only
while the guild is live (a disbanded guild's emblem is a 404, like its page)."""

import uuid
from collections.abc import Callable
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from apps.common.reversing import reverse_per_id
from apps.guilds import permissions
from apps.guilds.models import AuditAction, Guild, Permission
from apps.guilds.services import audit_record, guild_lock, membership_of
from apps.moderation.enforcement import Action, sanction_check
from apps.players.avatars import (
    rendition_files_delete,
    rendition_version,
    square_renditions_checked,
)
from apps.players.models import Player

EMBLEM_SIZES = {"large": 256, "small": 64}


def _permitted(*, actor: Player, guild: Guild) -> Guild:
    """Lock the guild; ``edit_guild`` and no sanction on guild edits. Call in a transaction."""
    guild = guild_lock(guild_id=guild.id)
    membership = membership_of(guild=guild, player=actor)
    permissions.permission_require(membership=membership, permission=Permission.EDIT_GUILD)
    sanction_check(player=actor, action=Action.GUILD_EDIT, title=guild.title)
    return guild


def _store(guild: Guild, names: dict[str, str], *, actor: Player) -> list[str]:
    old = [name for name in (guild.emblem_large, guild.emblem_small) if name]
    guild.emblem_large, guild.emblem_small = names.get("large", ""), names.get("small", "")
    guild.save(update_fields=["emblem_large", "emblem_small", "updated_at"])
    audit_record(
        guild=guild, actor=actor, action=AuditAction.EMBLEM_CHANGED, data={"set": bool(names)}
    )
    return old


def guild_emblem_set(*, actor: Player, guild: Guild, upload: IO[bytes]) -> Guild:
    """Validate, re-encode and store a new emblem (needs ``edit_guild``); the old files go
    after commit, the new ones are removed again if the write fails."""
    with transaction.atomic():
        _permitted(actor=actor, guild=guild)
    renditions = square_renditions_checked(upload, sizes=EMBLEM_SIZES)
    stem = f"emblems/{guild.id}/{uuid.uuid4().hex}"
    names = {
        key: default_storage.save(f"{stem}-{EMBLEM_SIZES[key]}.webp", ContentFile(data))
        for key, data in renditions.items()
    }
    try:
        with transaction.atomic():
            guild = _permitted(actor=actor, guild=guild)
            old = _store(guild, names, actor=actor)
            transaction.on_commit(lambda: rendition_files_delete(old))
    except Exception:
        rendition_files_delete(list(names.values()))  # storage is not transactional
        raise
    return guild


def guild_emblem_remove(*, actor: Player, guild: Guild) -> Guild:
    """Remove the emblem (needs ``edit_guild``)."""
    with transaction.atomic():
        guild = _permitted(actor=actor, guild=guild)
        old = _store(guild, {}, actor=actor)
        transaction.on_commit(lambda: rendition_files_delete(old))
    return guild


def emblem_urls(size: str = "large") -> Callable[[int, str], str | None]:
    """``emblem_url`` for a page of live guilds read as rows: ``(guild_id, rendition name)
    -> URL or None``, the URL reversed once for the page."""
    path_of = reverse_per_id("guilds:emblem", "guild_id", size=size)

    def url(guild_id: int, name: str) -> str | None:
        return f"{path_of(guild_id)}?v={rendition_version(name)}" if name else None

    return url


def emblem_url(guild: Guild, size: str = "large") -> str | None:
    """URL of a rendition; the file name in ``v`` changes with every upload (cache busting)."""
    name = guild.emblem_large if size == "large" else guild.emblem_small
    if not name or guild.is_disbanded:
        return None
    version = rendition_version(name)
    path = reverse("guilds:emblem", kwargs={"guild_id": guild.id, "size": size})
    return f"{path}?v={version}"
