"""Sanction writes: issue and lift. Every interface (admin, queue, REST for game servers, game
events, automod) calls these, so each issue and lift is audited, notified and enforced live
the same way.

Live effects, after commit: a global ban or suspension closes every open socket of the player
in every process (``sanction`` frame, then close 4008 / 4009); any other sanction, and any lift,
sends the ``sanction`` frame to their sockets. A moderation notice is stored for the player.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.moderation.appeal_links import appeal_link_url_of
from apps.moderation.audit import audit_record
from apps.moderation.enforcement import CLOSE_CODES, iso
from apps.moderation.exceptions import InvalidSanction, NotAllowed, SanctionNotActive
from apps.moderation.models import IssuerKind, ReasonCategory, Sanction, SanctionKind
from apps.moderation.scopes import moderator_scope_check
from apps.players.models import NotificationKind, Player
from apps.players.services import notification_create
from apps.realtime.broadcast import frame_send_to_user_on_commit, sockets_close_for_user_on_commit

# Kinds a moderator (``moderation.add_sanction``) may issue; a ban, a suspension longer than
# MODERATION_MODERATOR_MAX_SUSPENSION_HOURS and lifting need a senior moderator.
MODERATOR_KINDS = frozenset(
    {
        SanctionKind.WARNING,
        SanctionKind.CHAT_MUTE,
        SanctionKind.DM_RESTRICTION,
        SanctionKind.UPLOAD_BAN,
        SanctionKind.GUILD_CREATION_BAN,
        SanctionKind.SUSPENSION,
    }
)


def sanction_snapshot(sanction: Sanction) -> dict[str, Any]:
    """The sanction as the audit log and the API show it."""
    return {
        "id": sanction.id,
        "player_id": sanction.player_id,
        "kind": sanction.kind,
        "title": sanction.title.slug if sanction.title_id and sanction.title else None,
        "starts_at": iso(sanction.starts_at),
        "expires_at": iso(sanction.expires_at),
        "reason_category": sanction.reason_category,
        "reason": sanction.reason,
        "issuer_kind": sanction.issuer_kind,
        "lifted_at": iso(sanction.lifted_at),
        "lift_reason": sanction.lift_reason,
    }


def sanction_frame(sanction: Sanction) -> dict[str, Any]:
    """The ``sanction`` websocket frame (docs/websocket-protocol.md)."""
    return {
        "type": "sanction",
        "id": sanction.id,
        "status": "lifted" if sanction.lifted_at is not None else "active",
        "kind": sanction.kind,
        "title": sanction.title.slug if sanction.title_id and sanction.title else None,
        "reason_category": sanction.reason_category,
        "reason": sanction.reason,
        "until": iso(sanction.expires_at),
        "appeal_url": None if sanction.lifted_at is not None else appeal_link_url_of(sanction),
    }


def _enforce_live_on_commit(sanction: Sanction) -> None:
    user_id = sanction.player.user_id
    is_over = sanction.expires_at is not None and sanction.expires_at <= timezone.now()
    if user_id is None or (is_over and sanction.lifted_at is None):
        return
    frame = sanction_frame(sanction)
    ends_sessions = (
        sanction.lifted_at is None and sanction.title_id is None and sanction.kind in CLOSE_CODES
    )
    if ends_sessions:
        sockets_close_for_user_on_commit(
            user_id=user_id, close_code=CLOSE_CODES[sanction.kind], frame=frame
        )
    else:
        frame_send_to_user_on_commit(user_id=user_id, frame=frame)


def _notify(sanction: Sanction, event: str) -> None:
    notification_create(
        recipient=sanction.player,
        kind=NotificationKind.MODERATION,
        data={"event": event, "sanction_id": sanction.id, "kind": sanction.kind,
              "until": iso(sanction.expires_at),
              # A banned or suspended player cannot log in to appeal: the link works without.
              "appeal_url": appeal_link_url_of(sanction) if event == "sanction_issued" else None},
    )  # fmt: skip


def _validate(
    *, kind: str, expires_at: datetime | None, reason_category: str, starts_at: datetime
) -> None:
    if kind not in SanctionKind.values:
        raise InvalidSanction(details={"field": "kind", "allowed": SanctionKind.values})
    if reason_category not in ReasonCategory.values:
        raise InvalidSanction(
            details={"field": "reason_category", "allowed": ReasonCategory.values}
        )
    if expires_at is not None and expires_at <= starts_at:
        raise InvalidSanction(details={"field": "expires_at", "problem": "not_after_start"})


def sanction_issue(
    *,
    player: Player,
    kind: str,
    title: Any = None,
    expires_at: datetime | None = None,
    duration: timedelta | None = None,
    reason_category: str = ReasonCategory.OTHER,
    reason: str = "",
    evidence: list[Any] | None = None,
    issuer_kind: str = IssuerKind.MODERATOR,
    issued_by: Any = None,
    issuer_detail: str = "",
    source_title: Any = None,
    external_id: str | None = None,
    starts_at: datetime | None = None,
) -> Sanction:
    """Issue a sanction now (``duration`` or ``expires_at``; neither: permanent). Audited,
    notified, enforced live after commit. With ``external_id`` (a game server's id, unique per
    ``source_title``) a repeat returns the stored sanction and changes nothing.
    ``starts_at`` (never later than now) records when a game server issued it: an in-game
    sanction delivered after it ran out is kept as history and enforces nothing."""
    now = timezone.now()
    if duration is not None:
        expires_at = now + duration
    if starts_at is None or starts_at > now:
        starts_at = now
    _validate(
        kind=kind, expires_at=expires_at, reason_category=reason_category, starts_at=starts_at
    )
    if external_id is not None:
        existing = Sanction.objects.filter(source_title=source_title, external_id=external_id)
        if (found := existing.first()) is not None:
            return found
    try:
        with transaction.atomic():
            sanction = Sanction.objects.create(
                player=player, kind=kind, title=title, starts_at=starts_at, expires_at=expires_at,
                reason_category=reason_category, reason=reason, evidence=evidence or [],
                issuer_kind=issuer_kind, issued_by=issued_by, issuer_detail=issuer_detail,
                source_title=source_title, external_id=external_id,
            )  # fmt: skip
            audit_record(
                actor_kind=issuer_kind, actor=issued_by, actor_name=issuer_detail,
                action="sanction.issued", target_type="sanction", target_id=sanction.id,
                target_player=player, title=title, reason=reason,
                after=sanction_snapshot(sanction),
            )  # fmt: skip
            _notify(sanction, "sanction_issued")
            _enforce_live_on_commit(sanction)
    except IntegrityError:
        if external_id is None:
            raise
        return Sanction.objects.get(source_title=source_title, external_id=external_id)
    return sanction


def moderator_may_issue(
    *, moderator: Any, kind: str, expires_at: datetime | None, duration: timedelta | None = None
) -> bool:
    if moderator.has_perm("moderation.issue_ban"):
        return True
    if kind not in MODERATOR_KINDS or not moderator.has_perm("moderation.add_sanction"):
        return False
    if kind != SanctionKind.SUSPENSION:
        return True
    limit = timedelta(hours=settings.MODERATION_MODERATOR_MAX_SUSPENSION_HOURS)
    if duration is not None:
        return duration <= limit
    return expires_at is not None and expires_at - timezone.now() <= limit + timedelta(minutes=1)


def sanction_issue_by_moderator(*, moderator: Any, player: Player, kind: str,
                                **options: Any) -> Sanction:  # fmt: skip
    """``sanction_issue`` for a staff user, after checking their role allows ``kind`` and
    its duration (``moderation_forbidden`` otherwise; nothing is stored)."""
    if not moderator_may_issue(
        moderator=moderator, kind=kind, expires_at=options.get("expires_at"),
        duration=options.get("duration"),
    ):  # fmt: skip
        raise NotAllowed()
    title = options.get("title")
    moderator_scope_check(moderator=moderator, title_id=title.id if title is not None else None)
    return sanction_issue(
        player=player, kind=kind, issuer_kind=IssuerKind.MODERATOR, issued_by=moderator,
        **options,
    )  # fmt: skip


def sanction_lift(
    *,
    sanction: Sanction,
    reason: str,
    lifted_by: Any = None,
    actor_kind: str = IssuerKind.MODERATOR,
    actor_name: str = "",
) -> Sanction:
    """End a sanction early (audited, notified; the player's sockets get ``sanction`` with
    ``status: lifted``). ``sanction_not_active`` when it was lifted already or is over."""
    with transaction.atomic():
        locked = Sanction.objects.select_for_update(of=("self",)).select_related("player", "title")
        current = locked.get(id=sanction.id)
        now = timezone.now()
        is_pending = current.lifted_at is None and current.starts_at > now
        if not current.is_active_at(now) and not is_pending:
            raise SanctionNotActive()
        before = sanction_snapshot(current)
        current.lifted_at = now
        current.lifted_by = lifted_by if actor_kind == IssuerKind.MODERATOR else None
        current.lift_reason = reason
        current.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "updated_at"])
        audit_record(
            actor_kind=actor_kind, actor=lifted_by, actor_name=actor_name,
            action="sanction.lifted", target_type="sanction", target_id=current.id,
            target_player=current.player, title=current.title, reason=reason, before=before,
            after=sanction_snapshot(current),
        )  # fmt: skip
        _notify(current, "sanction_lifted")
        _enforce_live_on_commit(current)
    return current


def sanction_lift_by_moderator(*, moderator: Any, sanction: Sanction, reason: str) -> Sanction:
    if not moderator.has_perm("moderation.lift_sanction"):
        raise NotAllowed()
    moderator_scope_check(moderator=moderator, title_id=sanction.title_id)
    return sanction_lift(sanction=sanction, reason=reason, lifted_by=moderator)
