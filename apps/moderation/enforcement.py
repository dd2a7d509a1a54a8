"""The one enforcement function every surface asks before it acts for a player.

    from apps.moderation.enforcement import Action, sanction_check

    sanction_check(player=player, action=Action.GUILD_CREATE, title=title)  # raises or returns

``sanction_check`` raises a ``Sanctioned`` subclass (``apps.moderation.exceptions``) whose
``code`` names what holds (``banned``, ``suspended``, ``muted``, ``dm_restricted``,
``upload_banned``, ``guild_creation_banned``) and whose ``details`` say until when
(``expires_at``, null = permanent). It reads the database (one indexed query) and compares
times itself: a sanction stops at its ``expires_at`` exactly, with no job involved.

Scope: a sanction with a title holds only for actions in that title (pass ``title``); a global
one holds everywhere. Actions with no title (login, sockets, DMs, friend requests, profile
edits) are held only by global sanctions. Which kind holds which action is ``BLOCKS``; a ban
or suspension holds every action except appealing.

This module is a leaf: it imports no other domain app, so every app (players, chat, guilds,
UGC) may call it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.moderation import exceptions
from apps.moderation.models import ReasonCategory, Sanction, SanctionKind
from apps.players.models import Player


class Action(StrEnum):
    """What a player is about to do. Other apps pass one of these (docs/moderation.md)."""

    LOGIN = "login"  # portal login, open sessions, API and chat tokens
    CONNECT = "connect"  # open a websocket
    CHAT_SEND = "chat_send"  # a message in a lobby, guild, match or announcement channel
    CHAT_REACT = "chat_react"
    CHAT_EDIT = "chat_edit"
    DM_SEND = "dm_send"
    FRIEND_REQUEST = "friend_request"
    PROFILE_EDIT = "profile_edit"
    GUILD_CREATE = "guild_create"
    GUILD_JOIN = "guild_join"
    GUILD_EDIT = "guild_edit"
    UGC_UPLOAD = "ugc_upload"
    UGC_COMMENT = "ugc_comment"
    REPORT = "report"
    APPEAL = "appeal"  # never held: a sanctioned player may always appeal


_EVERYTHING = frozenset(Action) - {Action.APPEAL}
_COMMUNICATION = frozenset(
    {Action.CHAT_SEND, Action.CHAT_REACT, Action.CHAT_EDIT, Action.DM_SEND, Action.UGC_COMMENT}
)

# Which actions each kind of sanction holds.
BLOCKS: dict[str, frozenset[Action]] = {
    SanctionKind.WARNING: frozenset(),
    SanctionKind.CHAT_MUTE: _COMMUNICATION,
    SanctionKind.DM_RESTRICTION: frozenset({Action.DM_SEND, Action.FRIEND_REQUEST}),
    SanctionKind.UPLOAD_BAN: frozenset({Action.UGC_UPLOAD}),
    SanctionKind.GUILD_CREATION_BAN: frozenset({Action.GUILD_CREATE}),
    SanctionKind.SUSPENSION: _EVERYTHING,
    SanctionKind.BAN: _EVERYTHING,
}
# Actions that have no title: only global sanctions hold them.
UNTITLED_ACTIONS = frozenset(
    {Action.LOGIN, Action.CONNECT, Action.DM_SEND, Action.FRIEND_REQUEST, Action.PROFILE_EDIT}
)
# The strongest sanction answers when several hold.
_PRECEDENCE = [
    SanctionKind.BAN,
    SanctionKind.SUSPENSION,
    SanctionKind.CHAT_MUTE,
    SanctionKind.DM_RESTRICTION,
    SanctionKind.UPLOAD_BAN,
    SanctionKind.GUILD_CREATION_BAN,
]
ERRORS: dict[str, type[exceptions.Sanctioned]] = {
    SanctionKind.BAN: exceptions.Banned,
    SanctionKind.SUSPENSION: exceptions.Suspended,
    SanctionKind.CHAT_MUTE: exceptions.Muted,
    SanctionKind.DM_RESTRICTION: exceptions.DmRestricted,
    SanctionKind.UPLOAD_BAN: exceptions.UploadBanned,
    SanctionKind.GUILD_CREATION_BAN: exceptions.GuildCreationBanned,
}
# Websocket close codes for sanctions that end sessions (docs/websocket-protocol.md).
CLOSE_CODES: dict[str, int] = {SanctionKind.BAN: 4008, SanctionKind.SUSPENSION: 4009}
SESSION_ENDING_KINDS = frozenset(CLOSE_CODES)


@dataclass(frozen=True, slots=True)
class ActiveSanction:
    id: int
    player_id: int
    kind: str
    title_id: int | None
    title_slug: str | None
    expires_at: datetime | None
    reason_category: str
    reason: str

    def holds(self, action: Action, title_id: int | None) -> bool:
        if action not in BLOCKS.get(self.kind, frozenset()):
            return False
        if self.title_id is None:
            return True
        return action not in UNTITLED_ACTIONS and self.title_id == title_id


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def active_filter(now: datetime) -> Q:
    """Active at ``now``: started, not expired, not lifted."""
    return Q(lifted_at__isnull=True, starts_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


_FIELDS = ("id", "player_id", "kind", "title_id", "title__slug", "expires_at",
           "reason_category", "reason")  # fmt: skip


def sanctions_active(
    *, player_ids: Iterable[int], kinds: Iterable[str] | None = None, now: datetime | None = None
) -> dict[int, list[ActiveSanction]]:
    """Per player, their sanctions active at ``now`` (warnings aside), in one query."""
    ids = set(player_ids)
    if not ids:
        return {}
    rows = Sanction.objects.filter(active_filter(now or timezone.now()), player_id__in=ids)
    rows = (
        rows.filter(kind__in=list(kinds))
        if kinds is not None
        else rows.exclude(kind=SanctionKind.WARNING)
    )
    found: dict[int, list[ActiveSanction]] = defaultdict(list)
    for values in rows.values_list(*_FIELDS):
        found[values[1]].append(ActiveSanction(*values))
    return found


def _ends_last(sanction: ActiveSanction) -> tuple[bool, datetime]:
    # Permanent beats any expiry; otherwise the later expiry.
    return (sanction.expires_at is None, sanction.expires_at or datetime.max.replace(tzinfo=UTC))


def sanction_refusal(
    sanctions: Iterable[ActiveSanction], *, action: Action, title_id: int | None = None
) -> exceptions.Sanctioned | None:
    """The error to answer ``action`` with, given a player's active sanctions; None: allowed.
    Pure (no query): batch callers load ``sanctions_active`` once for many players."""
    holding = [sanction for sanction in sanctions if sanction.holds(action, title_id)]
    if not holding:
        return None
    strongest = min(holding, key=lambda sanction: _PRECEDENCE.index(sanction.kind))  # type: ignore[arg-type]
    chosen = max((s for s in holding if s.kind == strongest.kind), key=_ends_last)
    return ERRORS[chosen.kind](refusal_message(chosen), details=refusal_details(chosen))


_MESSAGES = {
    SanctionKind.BAN: (gettext_lazy("Your account is banned."),
                       gettext_lazy("Your account is banned until %(until)s.")),
    SanctionKind.SUSPENSION: (gettext_lazy("Your account is suspended."),
                              gettext_lazy("Your account is suspended until %(until)s.")),
    SanctionKind.CHAT_MUTE: (gettext_lazy("You are muted."),
                             gettext_lazy("You are muted until %(until)s.")),
    SanctionKind.DM_RESTRICTION: (
        gettext_lazy("You may not send direct messages or friend requests."),
        gettext_lazy("You may not send direct messages or friend requests until %(until)s."),
    ),
    SanctionKind.UPLOAD_BAN: (gettext_lazy("You may not upload content."),
                              gettext_lazy("You may not upload content until %(until)s.")),
    SanctionKind.GUILD_CREATION_BAN: (gettext_lazy("You may not create guilds."),
                                      gettext_lazy("You may not create guilds until %(until)s.")),
}  # fmt: skip


def refusal_message(sanction: ActiveSanction) -> str:
    """What the player reads: what holds, until when, and why."""
    permanent, timed = _MESSAGES[sanction.kind]  # type: ignore[index]
    if sanction.expires_at is None:
        text = str(permanent)
    else:
        until = sanction.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = str(timed) % {"until": until}
    why = sanction.reason or str(ReasonCategory(sanction.reason_category).label)
    return f"{text} {_('Reason: %(reason)s') % {'reason': why}}"


def refusal_details(sanction: ActiveSanction) -> dict[str, Any]:
    """``appeal_url``: for a global ban or suspension (the player cannot log in), the signed
    link that appeals it without a session (``apps.moderation.appeal_links``); else null."""
    from apps.moderation.appeal_links import appeal_link_url

    return {
        "sanction_id": sanction.id,
        "kind": sanction.kind,
        "title": sanction.title_slug,
        "reason_category": sanction.reason_category,
        "reason": sanction.reason,
        "expires_at": iso(sanction.expires_at),
        "appeal_url": appeal_link_url(
            sanction_id=sanction.id, player_id=sanction.player_id, kind=sanction.kind,
            is_global=sanction.title_id is None,
        ),
    }  # fmt: skip


def _title_id(title: Any, title_id: int | None) -> int | None:
    if title is not None:
        return int(title.id)
    return title_id


def sanction_check(
    *, player: Any, action: Action | str, title: Any = None, title_id: int | None = None
) -> None:
    """Raise the ``Sanctioned`` error for the strongest active sanction of ``player`` that
    holds ``action`` (in ``title`` / ``title_id`` when the action happens in one title);
    return None when nothing holds it. ``player`` is a ``Player`` (or anything with ``id``);
    ``None`` (a login without a player profile) is never held."""
    if player is None:
        return
    action = Action(action)
    wanted = [kind for kind, actions in BLOCKS.items() if action in actions]
    sanctions = sanctions_active(player_ids=[player.id], kinds=wanted).get(player.id, [])
    refusal = sanction_refusal(sanctions, action=action, title_id=_title_id(title, title_id))
    if refusal is not None:
        raise refusal


def sanction_holds(
    *, player: Any, action: Action | str, title: Any = None, title_id: int | None = None
) -> bool:
    """``sanction_check`` as a boolean (``can(player, action, title)`` negated)."""
    try:
        sanction_check(player=player, action=action, title=title, title_id=title_id)
    except exceptions.Sanctioned:
        return True
    return False


def session_refusal_for_user(*, user_id: int) -> exceptions.Sanctioned | None:
    """The ban or suspension that ends ``user_id``'s sessions (login, tokens, sockets), or
    None. One query, through the player's user id."""
    now = timezone.now()
    rows = Sanction.objects.filter(
        active_filter(now),
        player__user_id=user_id,
        kind__in=list(SESSION_ENDING_KINDS),
        title__isnull=True,
    ).values_list(*_FIELDS)
    sanctions = [ActiveSanction(*values) for values in rows]
    return sanction_refusal(sanctions, action=Action.LOGIN)


def login_gate_hint(user_id: Any, now: datetime) -> Exists:
    """Registered with ``login_gate``: false when ``login_gate`` cannot refuse the user, read
    inside the token lookup's own query. It stays right while nothing is written: it counts a
    session-ending sanction that starts later (one set to start ahead) as well as an active
    one, so a false hint cannot turn true with time alone — a lookup's row is kept between
    requests (``apps.accounts.token_cache``) until a write changes it. A true hint only costs
    the gate's own query, which judges at its own time."""
    return Exists(
        Sanction.objects.filter(
            Q(lifted_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now)),
            player__user_id=user_id,
            kind__in=list(SESSION_ENDING_KINDS),
            title__isnull=True,
        )
    )


def sanction_user_id(sanction: Sanction) -> int | None:
    """The user whose login ``sanction`` may gate (None: a player with no account, or gone)."""
    user_id: int | None = (
        Player.objects.filter(id=sanction.player_id).values_list("user_id", flat=True).first()
    )
    return user_id


def login_gate(user: Any) -> None:
    """Registered with ``apps.accounts.gates``: a banned or suspended player cannot log in,
    and their tokens and sessions are refused, until the sanction ends."""
    refusal = session_refusal_for_user(user_id=user.id)
    if refusal is not None:
        raise refusal
