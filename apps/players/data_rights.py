"""Data rights: export everything a player owns; delete an account (docs/players.md).

Deletion is requested, then erased by the ``players.deletion_purge`` beat job once the grace
period has passed. Erasure anonymizes what other players still see — the player row stays as
"Deleted player" so messages and guild history keep an author — and removes everything else:
login, avatar, bio, identities, friends, blocks, requests, notifications, activity, stats.
Other apps add their own sections to the export with ``export_section_register``.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.token_cache import user_changed
from apps.players import selectors
from apps.players.avatars import avatar_remove
from apps.players.exceptions import AccountDeletionPending
from apps.players.models import (
    Achievement,
    ActivityEntry,
    Block,
    FriendRequest,
    Friendship,
    GameSession,
    IdentityClaimCode,
    Notification,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)
from apps.realtime.broadcast import sockets_close_for_user_on_commit
from apps.realtime.consumers import CLOSE_AUTH_FAILED

logger = logging.getLogger(__name__)

ExportSection = Callable[[Player], Any]
_export_sections: dict[str, ExportSection] = {}
DELETED_NAME = "Deleted player"


def export_section_register(*, name: str, builder: ExportSection) -> None:
    """Another app's data in the export: ``builder(player)`` returns JSON-safe data."""
    _export_sections[name] = builder


ErasureStep = Callable[[Player], None]
_erasure_steps: dict[str, ErasureStep] = {}


def erasure_step_register(*, name: str, step: ErasureStep) -> None:
    """Another app's part of erasing an account: ``step(player)`` runs inside the erasure's
    transaction, before the player is anonymized; files go once it commits."""
    _erasure_steps[name] = step


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _rows(queryset: Any, *fields: str) -> list[dict[str, Any]]:
    return [
        {key: _iso(value) if isinstance(value, datetime) else value for key, value in row.items()}
        for row in queryset.values(*fields)
    ]


def player_export(*, player: Player) -> dict[str, Any]:
    """Everything stored about ``player``, as JSON-safe data."""
    user = player.user
    export: dict[str, Any] = {
        "format": "community-player-export/1",
        "exported_at": timezone.now().isoformat(),
        "account": {"username": user.username, "email": user.email} if user else None,
        "profile": _rows(
            Player.objects.filter(id=player.id),
            *("id", "display_name", "bio", "locale", "time_zone", "country", "privacy"),
            *("notification_opt_outs", "created_at", "deletion_requested_at"),
        )[0],
        "identities": _rows(
            PlayerIdentity.objects.filter(player=player),
            *("provider", "external_id", "title__slug", "is_verified", "created_at"),
        ),
        "stats": _rows(
            PlayerTitleStats.objects.filter(player=player),
            *("title__slug", "matches_played", "matches_won", "playtime_seconds"),
            *("session_seconds", "level", "xp", "rank", "counters"),
        ),
        "achievements": _rows(
            Achievement.objects.filter(player=player),
            "title__slug", "key", "name", "unlocked_at", "is_showcased",
        ),
        **_social_sections(player),
    }  # fmt: skip
    for name, builder in _export_sections.items():
        export[name] = builder(player)
    return export


def _social_sections(player: Player) -> dict[str, Any]:
    return {
        "friends": [
            {"id": friend.id, "display_name": friend.display_name}
            for friend in selectors.friends_of(player=player)
        ],
        "friend_requests_sent": _rows(
            FriendRequest.objects.filter(from_player=player), "to_player_id", "created_at"
        ),
        "friend_requests_received": _rows(
            FriendRequest.objects.filter(to_player=player), "from_player_id", "created_at"
        ),
        "blocks": _rows(Block.objects.filter(blocker=player), "blocked_id", "created_at"),
        "notifications": _rows(
            Notification.objects.filter(recipient=player),
            *("kind", "data", "actor_id", "read_at", "created_at"),
        ),
        "activity": _rows(
            ActivityEntry.objects.filter(player=player), "kind", "data", "title__slug", "created_at"
        ),
    }  # fmt: skip


def player_deletion_request(*, player: Player) -> Player:
    """Schedule erasure after the grace period; the login stops working at once."""
    if player.deletion_requested_at is not None:
        raise AccountDeletionPending()
    with transaction.atomic():
        player.deletion_requested_at = timezone.now()
        player.save(update_fields=["deletion_requested_at", "updated_at"])
        if player.user is not None:
            player.user.is_active = False
            player.user.save(update_fields=["is_active"])
            # The login no longer works, so neither may the sockets it opened.
            sockets_close_for_user_on_commit(user_id=player.user.id, close_code=CLOSE_AUTH_FAILED)
    return player


def player_deletion_cancel(*, player: Player) -> Player:
    """Undo a request during the grace period (staff, from the admin, on the owner's ask)."""
    with transaction.atomic():
        Player.objects.filter(id=player.id, deleted_at__isnull=True).update(
            deletion_requested_at=None, updated_at=timezone.now()
        )
        user_changed(player.user_id)  # (apps/accounts/token_cache.py: no signal for update())
        if player.user is not None:
            player.user.is_active = True
            player.user.save(update_fields=["is_active"])
    player.refresh_from_db()
    return player


@transaction.atomic
def player_erase(*, player: Player) -> None:
    """Anonymize and remove, irreversibly. Idempotent: an erased player is left as is."""
    player = Player.objects.select_for_update().get(id=player.id)
    if player.deleted_at is not None:
        return
    avatar_remove(player=player)
    for step in _erasure_steps.values():
        step(player)
    for queryset in (
        PlayerIdentity.objects.filter(player=player),
        IdentityClaimCode.objects.filter(identity__player=player),
        Friendship.objects.filter(Q(player_low=player) | Q(player_high=player)),
        FriendRequest.objects.filter(Q(from_player=player) | Q(to_player=player)),
        Block.objects.filter(Q(blocker=player) | Q(blocked=player)),
        Notification.objects.filter(recipient=player),
        ActivityEntry.objects.filter(player=player),
        PlayerTitleStats.objects.filter(player=player),
        Achievement.objects.filter(player=player),
        GameSession.objects.filter(player=player),
    ):
        queryset.delete()
    Notification.objects.filter(actor=player).update(actor=None)
    user = player.user
    player.display_name = DELETED_NAME
    player.display_name_key = f"deleted:{player.id}"
    player.bio = player.country = ""
    player.notification_opt_outs = []
    player.deleted_at = timezone.now()
    player.save()
    if user is not None:
        _anonymize_user(user)


def _anonymize_user(user: Any) -> None:
    """The login row stays (other apps may reference it) but holds nothing personal."""
    user.username = f"deleted-{user.id}"
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    user.api_tokens.all().delete()


def deletion_purge() -> int:
    """Erase every account whose grace period has passed; returns how many."""
    due = timezone.now() - settings.PLAYERS_DELETION_GRACE
    ids = list(
        Player.objects.filter(deletion_requested_at__lte=due, deleted_at__isnull=True).values_list(
            "id", flat=True
        )
    )
    for player_id in ids:
        player_erase(player=Player.objects.get(id=player_id))
    if ids:
        logger.info("erased deleted accounts", extra={"count": len(ids)})
    return len(ids)
