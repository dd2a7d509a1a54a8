"""Guilds for moderation: a report target, and staff rename/disband recorded in the
moderation audit log (docs/moderation.md). Registered in GuildsConfig.ready()."""

from typing import Any

from django.db import transaction
from django.urls import reverse

from apps.common.exceptions import ApplicationError
from apps.common.text_safety import name_key
from apps.guilds.models import AuditAction, Guild
from apps.guilds.selectors import guild_get
from apps.guilds.services import audit_record, guild_disband, guild_lock
from apps.moderation.audit import audit_record as moderation_audit_record
from apps.moderation.models import IssuerKind, TargetType
from apps.moderation.targets import ResolvedTarget, TargetKind, UnknownTarget


def _resolve(target_id: str, reporter: Any) -> ResolvedTarget:
    try:
        guild = guild_get(guild_id=int(target_id))
    except (ValueError, ApplicationError) as error:  # not a number, or no live guild
        raise UnknownTarget() from error
    leader = guild.memberships.filter(is_leader=True).select_related("player").first()
    snapshot = {
        "type": TargetType.GUILD,
        "guild": {"id": guild.id, "name": guild.name, "tag": guild.tag,
                  "description": guild.description,
                  # Evidence in every language: a reported text may be a translation only.
                  "description_translations": guild.description_translations},
    }  # fmt: skip
    return ResolvedTarget(
        target_id=str(guild.id),
        owner=leader.player if leader else None,
        title=guild.title,
        summary=f"[{guild.tag}] {guild.name}: {guild.description}"[:200],
        snapshot=snapshot,
    )


def _links(target_id: str) -> dict[str, str]:
    return {"guild": reverse("admin:guilds_guild_change", args=[target_id])}


GUILD_TARGET = TargetKind(TargetType.GUILD, _resolve, None, None, _links)


def guild_staff_rename(*, staff: Any, guild: Guild, name: str, tag: str, reason: str) -> Guild:
    """Rename a guild as staff (names are not re-validated against the reserved list: staff
    may pick a neutral placeholder). Recorded in both audit logs."""
    with transaction.atomic():
        guild = guild_lock(guild_id=guild.id)
        before = {"name": guild.name, "tag": guild.tag}
        guild.name, guild.tag = name, tag
        guild.name_key, guild.tag_key = name_key(name), name_key(tag)
        guild.save(update_fields=["name", "tag", "name_key", "tag_key", "updated_at"])
        after = {"name": name, "tag": tag}
        audit_record(guild=guild, actor=None, action=AuditAction.STAFF_RENAMED,
                     data={"before": before, "after": after, "reason": reason})  # fmt: skip
        moderation_audit_record(
            actor_kind=IssuerKind.MODERATOR, actor=staff, action="guild_renamed",
            target_type=TargetType.GUILD, target_id=guild.id, title=guild.title,
            reason=reason, before=before, after=after,
        )  # fmt: skip
    return guild


def guild_staff_disband(*, staff: Any, guild: Guild, reason: str) -> None:
    with transaction.atomic():
        guild_disband(actor=None, guild=guild, reason=reason)
        moderation_audit_record(
            actor_kind=IssuerKind.MODERATOR, actor=staff, action="guild_disbanded",
            target_type=TargetType.GUILD, target_id=guild.id, title=guild.title, reason=reason,
        )  # fmt: skip
