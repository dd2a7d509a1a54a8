"""The audit log: every moderator, automod and game-server action, appended, never changed."""

from typing import Any

from apps.moderation.models import AuditEntry, IssuerKind


def _name(actor: Any) -> str:
    if actor is None:
        return ""
    return str(getattr(actor, "username", None) or actor)


def audit_record(
    *,
    actor_kind: str,
    action: str,
    target_type: str,
    target_id: object,
    actor: Any = None,
    actor_name: str = "",
    target_player: Any = None,
    title: Any = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (in the caller's transaction: it commits with the action it records).
    ``actor`` is the moderator's ``User`` when ``actor_kind`` is ``moderator``; other actors
    are named by ``actor_name`` (an automod rule, a title's game server)."""
    return AuditEntry.objects.create(
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None) if actor_kind == IssuerKind.MODERATOR else None,
        actor_name=actor_name or _name(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_player_id=getattr(target_player, "id", None),
        target_player_name=getattr(target_player, "display_name", "") or "",
        title_slug=getattr(title, "slug", "") or "",
        reason=reason,
        before=before or {},
        after=after or {},
    )
