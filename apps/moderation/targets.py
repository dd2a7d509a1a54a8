"""What can be reported, and how: one ``TargetKind`` per target type, registered by the app
that owns it (chat messages and player profiles here; guilds, UGC items and comments by their
apps with ``target_kind_register`` in ``AppConfig.ready()``).

A kind's ``resolve(target_id, reporter)`` returns the target as the reporter may see it, or
raises ``UnknownTarget`` (``unknown_target``: a target the reporter cannot see is never
confirmed). ``snapshot`` is stored as the report's evidence. ``hide(target_id)`` runs when a
case escalates (hidden pending review) and returns what ``restore(target_id, state)`` needs to
undo it when the case is dismissed (JSON, kept on the case; None: nothing was hidden);
``remove(target_id, moderator)`` is the queue's "remove content" action. The contract for other
apps is in docs/moderation.md ("The report-target registry")."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import NotFound
from apps.moderation.models import TargetType

CONTEXT_MESSAGES = 5  # before and after the reported message: 10 around it


class UnknownTarget(NotFound):
    code = "unknown_target"
    default_message = _("There is nothing to report there.")


@dataclass(frozen=True)
class ResolvedTarget:
    target_id: str
    owner: Any  # the reported Player, or None
    title: Any  # the Title it belongs to, or None
    summary: str  # a line for the queue
    snapshot: dict[str, Any]


HiddenState = dict[str, Any]


@dataclass(frozen=True)
class TargetKind:
    name: str
    resolve: Callable[[str, Any], ResolvedTarget]
    hide: Callable[[str], HiddenState | None] | None = None
    remove: Callable[[str, Any], None] | None = None
    links: Callable[[str], dict[str, str]] = field(default=lambda target_id: {})
    restore: Callable[[str, HiddenState], None] | None = None


_kinds: dict[str, TargetKind] = {}


def target_kind_register(kind: TargetKind) -> None:
    """Register (or replace) the kind named ``kind.name``, one of ``TargetType``; call it in
    the owning app's ``AppConfig.ready()``."""
    _kinds[kind.name] = kind


def target_kind(name: str) -> TargetKind:
    kind = _kinds.get(name)
    if kind is None:
        raise UnknownTarget(details={"target_type": name, "allowed": sorted(_kinds)})
    return kind


def target_kinds() -> list[str]:
    return sorted(_kinds)


# --- chat messages ---------------------------------------------------------------------------


def _message_data(message: Any) -> dict[str, Any]:
    from apps.moderation.enforcement import iso

    author = message.author
    return {
        "id": message.id,
        "seq": message.seq,
        "author_id": author.id if author is not None else None,
        "author": author.display_name if author is not None else None,
        "body": message.body,
        "attachments": message.attachments,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted_at": iso(message.deleted_at),
    }


def _message_resolve(target_id: str, reporter: Any) -> ResolvedTarget:
    from apps.chat.models import Message
    from apps.chat.selectors import message_get_for_player
    from apps.common.exceptions import ApplicationError

    try:
        message = message_get_for_player(message_id=int(target_id), player=reporter)
    except (ValueError, ApplicationError) as error:
        raise UnknownTarget() from error
    if message.is_deleted:
        raise UnknownTarget()
    around = (
        Message.objects.select_related("author")
        .filter(channel_id=message.channel_id)
        .filter(
            Q(seq__gte=message.seq - CONTEXT_MESSAGES, seq__lt=message.seq)
            | Q(seq__gt=message.seq, seq__lte=message.seq + CONTEXT_MESSAGES)
        )
        .order_by("seq")
    )
    channel = message.channel
    snapshot = {
        "type": TargetType.MESSAGE,
        "channel": {"id": channel.id, "name": channel.name, "kind": channel.kind},
        "message": _message_data(message),
        "edits": list(message.edits.order_by("id").values_list("body", flat=True)),
        "context": [_message_data(other) for other in around],
    }
    return ResolvedTarget(
        target_id=str(message.id), owner=message.author, title=channel.title,
        summary=message.body[:200], snapshot=snapshot,
    )  # fmt: skip


def _message_hide(target_id: str) -> HiddenState | None:
    from apps.chat.actions import message_delete
    from apps.chat.models import Message
    from apps.moderation.enforcement import iso

    message = Message.objects.select_related("channel").filter(id=int(target_id)).first()
    if message is None or message.is_deleted:
        return None
    message_delete(message=message, by_moderation=True)
    message.refresh_from_db(fields=["deleted_at"])
    return {"hidden_at": iso(message.deleted_at)}


def _message_restore(target_id: str, state: HiddenState) -> None:
    from apps.chat.actions import message_restore_hidden
    from apps.chat.models import Message

    message = Message.objects.filter(id=int(target_id)).first()
    if message is not None and state.get("hidden_at"):
        hidden_at = datetime.fromisoformat(state["hidden_at"].replace("Z", "+00:00"))
        message_restore_hidden(message=message, hidden_at=hidden_at)


def _message_remove(target_id: str, moderator: Any) -> None:
    from apps.chat.actions import message_delete
    from apps.chat.models import Message

    message = Message.objects.select_related("channel").filter(id=int(target_id)).first()
    if message is not None:
        message_delete(message=message, moderator=moderator, by_moderation=True)


def _message_links(target_id: str) -> dict[str, str]:
    from django.urls import reverse

    return {"message": reverse("admin:chat_message_change", args=[target_id])}


# --- player profiles -------------------------------------------------------------------------


def _profile_resolve(target_id: str, reporter: Any) -> ResolvedTarget:
    from apps.common.exceptions import ApplicationError
    from apps.players.selectors import player_get_visible

    try:
        player, _visibility = player_get_visible(viewer=reporter, player_id=int(target_id))
    except (ValueError, ApplicationError) as error:
        raise UnknownTarget() from error
    snapshot = {
        "type": TargetType.PROFILE,
        "player": {"id": player.id, "display_name": player.display_name, "bio": player.bio,
                   "country": player.country, "avatar": player.avatar_large},
    }  # fmt: skip
    return ResolvedTarget(
        target_id=str(player.id), owner=player, title=None,
        summary=f"{player.display_name}: {player.bio}"[:200], snapshot=snapshot,
    )  # fmt: skip


def _profile_hide(target_id: str) -> HiddenState | None:
    from apps.players.models import Player
    from apps.players.profile_moderation import player_profile_hide

    player = Player.objects.filter(id=int(target_id)).first()
    if player is None:
        return None
    return player_profile_hide(player=player) or None


def _profile_restore(target_id: str, state: HiddenState) -> None:
    from apps.players.models import Player
    from apps.players.profile_moderation import player_profile_restore

    player = Player.objects.filter(id=int(target_id)).first()
    if player is not None:
        player_profile_restore(player=player, former=state)


def _profile_remove(target_id: str, moderator: Any) -> None:
    from apps.players.models import Player
    from apps.players.profile_moderation import player_profile_remove

    player = Player.objects.filter(id=int(target_id)).first()
    if player is not None:
        player_profile_remove(player=player, former=_hidden_state_of(TargetType.PROFILE, target_id))


def _hidden_state_of(target_type: str, target_id: str) -> HiddenState:
    """What an escalation hid of the target (its open case's ``hidden_state``), or ``{}``."""
    from apps.moderation.models import CaseStatus, ReportCase

    case = ReportCase.objects.filter(
        target_type=target_type, target_id=target_id, status=CaseStatus.OPEN
    ).first()
    return dict(case.hidden_state) if case is not None else {}


def _profile_links(target_id: str) -> dict[str, str]:
    from django.urls import reverse

    return {"player": reverse("admin:players_player_change", args=[target_id])}


def register_builtin_kinds() -> None:
    target_kind_register(TargetKind(TargetType.MESSAGE, _message_resolve, _message_hide,
                                    _message_remove, _message_links, _message_restore))  # fmt: skip
    target_kind_register(TargetKind(TargetType.PROFILE, _profile_resolve, _profile_hide,
                                    _profile_remove, _profile_links, _profile_restore))  # fmt: skip
