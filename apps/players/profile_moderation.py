"""Moderation of a profile's content (called by ``apps.moderation``'s ``profile`` report
target): hide it pending review, restore it when the report is dismissed, remove it for good.

Hiding replaces the display name with ``HIDDEN_NAME``, empties the bio and takes the avatar
off the profile; the returned state (the former values, JSON) is what ``player_profile_restore``
puts back. The avatar files are kept while hidden (a dismissal brings them back) and deleted by
``player_profile_remove``. A restore never overwrites what the player changed in the meantime.
"""

from typing import Any

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from apps.players.models import Player

HIDDEN_NAME = "Hidden player"
_CONTENT_FIELDS = ("display_name", "display_name_key", "bio", "avatar_large", "avatar_small")


def _files_delete_on_commit(names: list[str]) -> None:
    kept = [name for name in names if name]

    def delete() -> None:
        for name in kept:
            default_storage.delete(name)

    transaction.on_commit(delete)


def _hidden_key(player: Player) -> str:
    # Never a normalized name (no name keeps a colon), so it collides with no one.
    return f"hidden:{player.id}"


def player_profile_hide(*, player: Player) -> dict[str, Any]:
    """Hide the profile's content; returns the former values (for the restore). Locks the
    player row. Idempotent: a profile already hidden returns ``{}``."""
    with transaction.atomic():
        locked = Player.objects.select_for_update().get(id=player.id)
        if locked.display_name_key == _hidden_key(locked):
            return {}
        former = {field: getattr(locked, field) for field in _CONTENT_FIELDS}
        locked.display_name, locked.display_name_key = HIDDEN_NAME, _hidden_key(locked)
        locked.bio = locked.avatar_large = locked.avatar_small = ""
        locked.save(update_fields=[*_CONTENT_FIELDS, "updated_at"])
    return former


def player_profile_restore(*, player: Player, former: dict[str, Any]) -> None:
    """Put back what ``player_profile_hide`` took, field by field, only where the hidden value
    is still there (the player may have set a new name, bio or avatar since). A former name
    someone else took meanwhile stays hidden. Locks the player row."""
    if not former:
        return
    with transaction.atomic():
        locked = Player.objects.select_for_update().get(id=player.id)
        changed: list[str] = []
        if not locked.bio:
            locked.bio = former["bio"]
            changed.append("bio")
        kept_files = [former["avatar_large"], former["avatar_small"]]
        if not locked.avatar_large and not locked.avatar_small:
            locked.avatar_large, locked.avatar_small = kept_files
            changed += ["avatar_large", "avatar_small"]
        else:  # a new avatar replaced it: the hidden one is nobody's
            _files_delete_on_commit(kept_files)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if locked.display_name_key == _hidden_key(locked):
            locked.display_name = former["display_name"]
            locked.display_name_key = former["display_name_key"]
            try:
                with transaction.atomic():
                    locked.save(update_fields=["display_name", "display_name_key", "updated_at"])
            except IntegrityError:
                pass  # someone took the name while it was hidden: the player picks a new one


def player_profile_remove(*, player: Player, former: dict[str, Any] | None = None) -> None:
    """Remove the profile's content for good (the queue's "remove content"): hidden as above
    and the avatar files deleted — also those a hide kept (``former``)."""
    hidden = player_profile_hide(player=player) or dict(former or {})
    _files_delete_on_commit([hidden.get("avatar_large", ""), hidden.get("avatar_small", "")])
