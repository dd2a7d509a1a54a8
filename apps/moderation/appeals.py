"""Appeals: one per sanction, with text; decided by a senior moderator (``decide_appeal``).
Accepting lifts the sanction (if still active); the decision is notified and audited."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import Conflict, InvalidInput
from apps.moderation.audit import audit_record
from apps.moderation.exceptions import NotAllowed
from apps.moderation.models import Appeal, IssuerKind, Sanction, SanctionKind
from apps.moderation.sanctions import sanction_lift
from apps.players.models import NotificationKind, Player
from apps.players.services import notification_create


class AppealExists(Conflict):
    code = "appeal_exists"
    default_message = _("This sanction was appealed already.")


class InvalidAppeal(InvalidInput):
    code = "invalid_appeal"
    default_message = _("Write your appeal (at most 2,000 characters).")


class AppealDecided(Conflict):
    code = "appeal_decided"
    default_message = _("This appeal was decided already.")


def appeal_submit(*, player: Player, sanction: Sanction, text: object) -> Appeal:
    """``sanction`` must be the player's (the caller scoped it). ``appeal_exists`` on a
    second appeal; ``invalid_appeal`` for empty or long text; a warning cannot be appealed."""
    if not isinstance(text, str) or not text.strip() or len(text) > 2000 or "\x00" in text:
        raise InvalidAppeal()
    if sanction.kind == SanctionKind.WARNING or sanction.lifted_at is not None:
        raise InvalidAppeal(_("This sanction cannot be appealed."), details={"problem": "kind"})
    try:
        with transaction.atomic():
            return Appeal.objects.create(sanction=sanction, player=player, text=text.strip())
    except IntegrityError as error:
        raise AppealExists() from error


def appeal_decide(*, appeal: Appeal, moderator: Any, accept: bool, decision_text: str) -> Appeal:
    if not moderator.has_perm("moderation.decide_appeal"):
        raise NotAllowed()
    with transaction.atomic():
        current = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("sanction", "player")
            .get(id=appeal.id)
        )
        if current.status != Appeal.Status.PENDING:
            raise AppealDecided()
        sanction = current.sanction
        if accept and sanction.is_active_at(timezone.now()):
            sanction_lift(sanction=sanction, reason=f"appeal accepted: {decision_text}",
                          lifted_by=moderator)  # fmt: skip
        current.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
        current.decided_by, current.decided_at = moderator, timezone.now()
        current.decision_text = decision_text
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_text",
                                    "updated_at"])  # fmt: skip
        audit_record(
            actor_kind=IssuerKind.MODERATOR, actor=moderator, action=f"appeal.{current.status}",
            target_type="sanction", target_id=sanction.id, target_player=current.player,
            title=sanction.title, reason=decision_text,
        )  # fmt: skip
        notification_create(
            recipient=current.player, kind=NotificationKind.MODERATION,
            data={"event": "appeal_decided", "appeal_id": current.id,
                  "sanction_id": sanction.id, "status": current.status},
        )  # fmt: skip
    return current
