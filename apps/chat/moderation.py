"""Moderation seams the moderation capability later replaces: the filter pipeline every
message passes before it is stored, and chat restrictions (mute, ban) that act on open
sockets at once."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.chat import events
from apps.chat.exceptions import MessageRejected
from apps.chat.models import Restriction, WordRule
from apps.common.text_safety import FilterRule, WordFilter
from apps.players.models import Player
from apps.realtime.broadcast import sockets_close_for_user_on_commit

# Close code sent to a banned player's sockets (docs/websocket-protocol.md).
CLOSE_BANNED = 4008
# Other processes see word-list edits within this many seconds; the editing one at once.
_FILTER_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class FilteredText:
    body: str
    is_flagged: bool


_filters_lock = threading.Lock()
_filters: dict[int | None, tuple[float, WordFilter]] = {}


def _word_filter(title_id: int | None) -> WordFilter:
    now = time.monotonic()
    with _filters_lock:
        cached = _filters.get(title_id)
        if cached is not None and now - cached[0] < _FILTER_TTL_SECONDS:
            return cached[1]
    rules = WordRule.objects.filter(Q(title__isnull=True) | Q(title_id=title_id))
    word_filter = WordFilter([FilterRule(rule.pattern, rule.action) for rule in rules])  # type: ignore[arg-type]  # choices
    with _filters_lock:
        _filters[title_id] = (now, word_filter)
    return word_filter


def word_filters_reset() -> None:
    """Drop cached filters (after an admin edit; in tests)."""
    with _filters_lock:
        _filters.clear()


def text_filter(*, body: str, title_id: int | None) -> FilteredText:
    """Run the automod pipeline: ``block`` raises ``MessageRejected`` (nothing stored),
    ``mask`` stars the matched words, ``flag`` stores the message marked for review."""
    result = _word_filter(title_id).check(body)
    if result.action == "block":
        raise MessageRejected()
    if result.action == "mask":
        return FilteredText(body=result.masked_text, is_flagged=False)
    return FilteredText(body=body, is_flagged=result.action == "flag")


def word_rule_save(*, rule: WordRule) -> WordRule:
    rule.full_clean()
    FilterRule(rule.pattern, rule.action)  # type: ignore[arg-type]  # raises FilterRuleInvalid
    rule.save()
    word_filters_reset()
    return rule


def active_restriction_filter(now: datetime) -> Q:
    return Q(lifted_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def restriction_active(*, player: Player, kind: str, title_id: int | None) -> Restriction | None:
    """The active restriction of ``kind`` that applies in a channel of ``title_id`` (a
    restriction without a title applies everywhere). A ban also counts as a mute."""
    kinds = [Restriction.RestrictionKind.BAN, kind]
    return (
        Restriction.objects.filter(
            active_restriction_filter(timezone.now()), player=player, kind__in=kinds
        )
        .filter(Q(title__isnull=True) | Q(title_id=title_id))
        .order_by("-created_at")
        .first()
    )


def is_banned(*, player: Player) -> bool:
    return Restriction.objects.filter(
        active_restriction_filter(timezone.now()),
        player=player,
        kind=Restriction.RestrictionKind.BAN,
    ).exists()


def restriction_create(
    *,
    player: Player,
    kind: str,
    reason: str = "",
    title_id: int | None = None,
    expires_at: datetime | None = None,
    created_by: User | None = None,
) -> Restriction:
    """Mute or ban ``player`` now. A mute tells their sockets (``sanction``); a ban closes
    every socket they have open, in every process, and refuses new ones until it ends."""
    with transaction.atomic():
        restriction = Restriction.objects.create(
            player=player,
            kind=kind,
            reason=reason,
            title_id=title_id,
            expires_at=expires_at,
            created_by=created_by,
        )
        if player.user_id is not None:
            until = expires_at.isoformat().replace("+00:00", "Z") if expires_at else None
            frame = {"type": "sanction", "kind": kind, "until": until, "reason": reason}
            if kind == Restriction.RestrictionKind.BAN:
                sockets_close_for_user_on_commit(
                    user_id=player.user_id, close_code=CLOSE_BANNED, frame=frame
                )
            else:
                events.sanction_on_commit(
                    user_id=player.user_id, kind=kind, until=until, reason=reason
                )
    return restriction


def restriction_lift(*, restriction: Restriction) -> None:
    Restriction.objects.filter(id=restriction.id, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), updated_at=timezone.now()
    )
