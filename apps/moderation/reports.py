"""Reports: players report a target; the reports on one target form a case for the queue.

``report_submit`` snapshots the target as evidence at report time (an edit or delete cannot
hide it), keeps one report per reporter per open case (a repeat updates category and text),
rate-limits reporters, and escalates a case once enough distinct players reported it (per
title): the target is hidden pending review and the case jumps the queue.

Queue actions (``case_claim``, ``case_act``) resolve a case: dismiss, remove the content, or
sanction the reported player; each is audited and every reporter is told the case was
handled, without the sanction's details.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.chat.limits import Bucket, buckets_take, retry_after_seconds
from apps.common.exceptions import Conflict, InvalidInput
from apps.moderation.audit import audit_record
from apps.moderation.enforcement import Action, sanction_check
from apps.moderation.exceptions import NotAllowed, RateLimited
from apps.moderation.models import (
    CATEGORY_SEVERITY,
    CaseStatus,
    IssuerKind,
    ReasonCategory,
    Report,
    ReportCase,
    SanctionKind,
    TitleModerationSettings,
)
from apps.moderation.sanctions import sanction_issue_by_moderator
from apps.moderation.scopes import moderator_scope_check
from apps.moderation.targets import ResolvedTarget, target_kind
from apps.players.models import NotificationKind, Player
from apps.players.services import notification_create


class SelfReport(InvalidInput):
    code = "self_report"
    default_message = _("You cannot report yourself.")


class InvalidReport(InvalidInput):
    code = "invalid_report"
    default_message = _("The report is not valid.")


class CaseClaimed(Conflict):
    code = "case_claimed"
    default_message = _("Another moderator is handling this report.")


class CaseClosed(Conflict):
    code = "case_closed"
    default_message = _("This report was already handled.")


def _rate_limit(reporter: Player) -> None:
    per_hour = settings.MODERATION_REPORTS_PER_HOUR
    bucket = Bucket(f"report:{reporter.id}", settings.MODERATION_REPORTS_BURST, per_hour / 3600)
    wait = buckets_take([bucket])
    if wait > 0:
        raise RateLimited(details={"retry_after": retry_after_seconds(wait)})


def escalation_threshold(title: Any) -> int:
    if title is not None:
        row = TitleModerationSettings.objects.filter(title=title).first()
        if row is not None:
            return row.escalation_reporters
    return int(settings.MODERATION_ESCALATION_REPORTERS)


def _open_case_locked(target_type: str, resolved: ResolvedTarget) -> ReportCase:
    """The open case of the target, created if needed, locked until the transaction ends."""
    lookup = {"target_type": target_type, "target_id": resolved.target_id,
              "status": CaseStatus.OPEN}  # fmt: skip
    case = ReportCase.objects.select_for_update().filter(**lookup).first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            return ReportCase.objects.create(
                **lookup, target_player=resolved.owner, title=resolved.title,
                summary=resolved.summary[:200],
            )  # fmt: skip
    except IntegrityError:  # a concurrent first report created it
        return ReportCase.objects.select_for_update().get(**lookup)


def _case_refresh(case: ReportCase) -> None:
    reports = case.reports.all()
    case.reporter_count = reports.count()
    categories = list(reports.values_list("category", flat=True))
    case.severity = max((CATEGORY_SEVERITY.get(c, 1) for c in categories), default=1)
    case.last_reported_at = timezone.now()
    case.save(update_fields=["reporter_count", "severity", "last_reported_at", "updated_at"])


def _escalate_if_due(case: ReportCase, target_type: str) -> None:
    if case.is_hidden or case.reporter_count < escalation_threshold(case.title):
        return
    hide = target_kind(target_type).hide
    case.hidden_state = (hide(case.target_id) or {}) if hide is not None else {}
    case.is_hidden, case.escalated_at = True, timezone.now()
    case.save(update_fields=["is_hidden", "escalated_at", "hidden_state", "updated_at"])
    audit_record(
        actor_kind=IssuerKind.SYSTEM, actor_name="escalation", action="case.escalated",
        target_type=target_type, target_id=case.target_id, target_player=case.target_player,
        title=case.title, reason=f"{case.reporter_count} reporters",
    )  # fmt: skip


def report_submit(
    *, reporter: Player, target_type: str, target_id: object, category: str, text: str = ""
) -> tuple[Report, bool]:
    """File (or update) ``reporter``'s report; returns it and whether it is new. Refusals:
    ``unknown_target`` (nothing the reporter can see), ``self_report``, ``invalid_report``
    (category, text), ``rate_limited``, and the reporter's own ban or suspension."""
    sanction_check(player=reporter, action=Action.REPORT)
    if category not in ReasonCategory.values:
        raise InvalidReport(details={"field": "category", "allowed": ReasonCategory.values})
    if not isinstance(text, str) or len(text) > 1000 or "\x00" in text:
        raise InvalidReport(details={"field": "text", "max_length": 1000})
    kind = target_kind(target_type)
    resolved = kind.resolve(str(target_id), reporter)
    if resolved.owner is not None and resolved.owner.id == reporter.id:
        raise SelfReport()
    _rate_limit(reporter)
    with transaction.atomic():
        case = _open_case_locked(target_type, resolved)
        report = Report.objects.filter(case=case, reporter=reporter).first()
        created = report is None
        if report is None:
            report = Report.objects.create(case=case, reporter=reporter, category=category,
                                           text=text, evidence=resolved.snapshot)  # fmt: skip
        else:  # a repeat updates the report; the first snapshot stays the evidence
            report.category, report.text = category, text
            report.save(update_fields=["category", "text", "updated_at"])
        _case_refresh(case)
        _escalate_if_due(case, target_type)
    return report, created


# --- the queue's actions -------------------------------------------------------------------------


def _require_handler(moderator: Any) -> None:
    if not moderator.has_perm("moderation.handle_reportcase"):
        raise NotAllowed()


def _locked_open(case: ReportCase, moderator: Any) -> ReportCase:
    current = ReportCase.objects.select_for_update(of=("self",)).get(id=case.id)
    moderator_scope_check(moderator=moderator, title_id=current.title_id)
    if current.status != CaseStatus.OPEN:
        raise CaseClosed()
    claim_age = timezone.now() - (current.claimed_at or timezone.now())
    is_fresh = claim_age < timedelta(minutes=settings.MODERATION_CLAIM_MINUTES)
    if current.claimed_by_id not in (None, moderator.id) and is_fresh:
        raise CaseClaimed(details={"claimed_by": str(current.claimed_by)})
    return current


def case_claim(*, case: ReportCase, moderator: Any) -> ReportCase:
    """Claim an open case so no other moderator acts on it (a claim lapses after
    ``MODERATION_CLAIM_MINUTES``); ``case_claimed`` when another moderator holds it."""
    _require_handler(moderator)
    with transaction.atomic():
        current = _locked_open(case, moderator)
        current.claimed_by, current.claimed_at = moderator, timezone.now()
        current.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
        audit_record(
            actor_kind=IssuerKind.MODERATOR, actor=moderator, action="case.claimed",
            target_type=current.target_type, target_id=current.target_id,
            target_player=current.target_player, title=current.title,
        )  # fmt: skip
    return current


# One-click actions: (sanction kind, duration) or a content action.
CASE_ACTIONS: dict[str, tuple[str | None, timedelta | None]] = {
    "dismiss": (None, None),
    "remove": (None, None),
    "warn": (SanctionKind.WARNING, None),
    "mute_1h": (SanctionKind.CHAT_MUTE, timedelta(hours=1)),
    "mute_24h": (SanctionKind.CHAT_MUTE, timedelta(hours=24)),
    "mute_7d": (SanctionKind.CHAT_MUTE, timedelta(days=7)),
    "suspend": (SanctionKind.SUSPENSION, timedelta(hours=72)),
    "ban": (SanctionKind.BAN, None),
}
CASE_ACTION_LABELS = {
    "dismiss": _("Dismiss"),
    "remove": _("Remove content"),
    "warn": _("Warn"),
    "mute_1h": _("Mute 1 h"),
    "mute_24h": _("Mute 24 h"),
    "mute_7d": _("Mute 7 d"),
    "suspend": _("Suspend 3 d"),
    "ban": _("Ban"),
}


# Warnings and mutes from a case hold in the case's title; suspensions and bans are account-wide
# (no login, sockets closed), as a moderator means them.
_TITLE_SCOPED = frozenset({SanctionKind.WARNING, SanctionKind.CHAT_MUTE})


def _case_category(case: ReportCase) -> str:
    worst = case.reports.order_by("-created_at").values_list("category", flat=True)
    by_severity = sorted(worst, key=lambda c: -CATEGORY_SEVERITY.get(c, 1))
    return by_severity[0] if by_severity else ReasonCategory.OTHER


def _notify_reporters(case: ReportCase) -> None:
    outcome = "no_action" if case.status == CaseStatus.DISMISSED else "action_taken"
    now = timezone.now()
    for report in case.reports.select_related("reporter").filter(reporter_notified_at=None):
        notification_create(
            recipient=report.reporter, kind=NotificationKind.MODERATION,
            data={"event": "report_resolved", "report_id": report.id,
                  "target_type": case.target_type, "outcome": outcome},
        )  # fmt: skip
    case.reports.filter(reporter_notified_at=None).update(reporter_notified_at=now)


def _restore_hidden(case: ReportCase) -> None:
    """A dismissed case gives back what its escalation hid (the report was unfounded)."""
    restore = target_kind(case.target_type).restore
    if case.is_hidden and case.hidden_state and restore is not None:
        restore(case.target_id, case.hidden_state)
    case.is_hidden = False


def case_act(*, case: ReportCase, moderator: Any, action: str, reason: str = "") -> ReportCase:
    """Resolve an open case with one of ``CASE_ACTIONS`` (audited; reporters notified).
    A sanction goes through the moderator's role check (``moderation_forbidden``)."""
    _require_handler(moderator)
    if action not in CASE_ACTIONS:
        raise InvalidInput(code="invalid_action", details={"allowed": list(CASE_ACTIONS)})
    kind, duration = CASE_ACTIONS[action]
    with transaction.atomic():
        current = _locked_open(case, moderator)
        before = {"status": current.status, "is_hidden": current.is_hidden}
        if action == "dismiss":
            _restore_hidden(current)
        if action == "remove":
            remove = target_kind(current.target_type).remove
            if remove is None:
                raise InvalidInput(code="invalid_action", details={"allowed": ["dismiss"]})
            remove(current.target_id, moderator)
        if kind is not None:
            if current.target_player is None:
                raise InvalidInput(code="invalid_action", details={"problem": "no_player"})
            sanction_issue_by_moderator(
                moderator=moderator, player=current.target_player, kind=kind,
                title=current.title if kind in _TITLE_SCOPED else None, duration=duration,
                reason_category=_case_category(current), reason=reason,
                evidence=[{"kind": "report_case", "id": current.id}],
            )  # fmt: skip
        current.status = CaseStatus.DISMISSED if action == "dismiss" else CaseStatus.RESOLVED
        current.resolution, current.resolution_note = action, reason
        current.resolved_by, current.resolved_at = moderator, timezone.now()
        current.claimed_by = current.claimed_by or moderator
        current.save(update_fields=["status", "resolution", "resolution_note", "resolved_by",
                                    "resolved_at", "claimed_by", "is_hidden",
                                    "updated_at"])  # fmt: skip
        audit_record(
            actor_kind=IssuerKind.MODERATOR, actor=moderator, action=f"case.{action}",
            target_type=current.target_type, target_id=current.target_id,
            target_player=current.target_player, title=current.title, reason=reason,
            before=before, after={"status": current.status, "resolution": action},
        )  # fmt: skip
        _notify_reporters(current)
    return current


def cases_act_bulk(
    *, cases: list[ReportCase], moderator: Any, action: str, reason: str = ""
) -> dict[int, str | None]:
    """``case_act`` on each case; per case id, None (done) or the refusal's code. One case's
    refusal (claimed by someone else, already closed) leaves the others done."""
    from apps.common.exceptions import ApplicationError

    outcomes: dict[int, str | None] = {}
    for case in cases:
        try:
            case_act(case=case, moderator=moderator, action=action, reason=reason)
            outcomes[case.id] = None
        except ApplicationError as error:
            outcomes[case.id] = error.code
    return outcomes


def case_queue_order() -> list[str]:
    """Hidden (escalated) first, then severity, report count, age."""
    return ["-is_hidden", "-severity", "-reporter_count", "created_at"]
