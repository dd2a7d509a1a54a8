"""Claiming game identities (docs/players.md, "Linked identities and the claim flow").

A game server, which knows who is signed in to its platform account, mints a one-time code
for that identity (``identity_claim_code_issue``) and shows it in game; the player types it
into the portal while logged in (``identity_claim_redeem``). The code is random (40 bits),
short-lived, single-use and stored only as a SHA-256 digest; redemption is throttled. Redeeming
links the identity to the player and moves the shadow player's history into theirs.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common.exceptions import NotFound
from apps.common.secrets import secret_digest
from apps.players.exceptions import (
    ClaimCodeInvalid,
    IdentityAlreadyClaimed,
    IdentityNotKnownToTitle,
)
from apps.players.models import (
    Achievement,
    ActivityEntry,
    GameSession,
    IdentityClaimCode,
    Notification,
    NotificationKind,
    Player,
    PlayerIdentity,
    PlayerTitleStats,
)
from apps.players.selectors import identity_is_known_to_title
from apps.players.services import (
    identity_validate,
    notification_create,
    player_get_or_create_by_identity,
)
from apps.titles.models import Title

# Crockford-like alphabet without look-alikes (0/O, 1/I/L): easy to read off a TV screen.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


@dataclass(frozen=True)
class IssuedClaimCode:
    code: str
    expires_at: datetime
    player: Player


def _digest(code: str) -> str:
    return secret_digest(code.replace("-", "").replace(" ", "").upper())


def identity_claim_code_issue(
    *, title: Title, provider: str, external_id: str, display_name_hint: str | None = None
) -> IssuedClaimCode:
    """Mint a code for an identity the calling game server vouches for. An unknown identity
    gets a shadow player created by ``title``; a known one must be known to ``title`` —
    created by it, or used by its events or identity calls (``identity_not_known_to_title``
    otherwise: a title never hands out another title's players) — and belong to a shadow
    player (``identity_already_claimed`` otherwise)."""
    lookup = {
        "provider": provider,
        "external_id": identity_validate(provider=provider, external_id=external_id),
    }
    identity = PlayerIdentity.objects.select_related("player").filter(**lookup).first()
    if identity is None:
        player_get_or_create_by_identity(**lookup, title=title, display_name_hint=display_name_hint)
        identity = PlayerIdentity.objects.select_related("player").get(**lookup)
    if not identity_is_known_to_title(identity=identity, title=title):
        raise IdentityNotKnownToTitle()
    player = identity.player
    if not player.is_shadow:
        raise IdentityAlreadyClaimed()
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = timezone.now() + settings.PLAYERS_IDENTITY_CLAIM_CODE_TTL
    IdentityClaimCode.objects.create(identity=identity, digest=_digest(raw), expires_at=expires_at)
    return IssuedClaimCode(code=f"{raw[:4]}-{raw[4:]}", expires_at=expires_at, player=player)


@transaction.atomic
def identity_claim_redeem(*, player: Player, code: str) -> PlayerIdentity:
    """Link the code's identity to ``player`` and merge its shadow into ``player``.
    Locks the code row, then both players in id order."""
    claim = (
        IdentityClaimCode.objects.select_for_update()
        .filter(digest=_digest(code), redeemed_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("identity")
        .first()
    )
    if claim is None:
        raise ClaimCodeInvalid()
    identity = claim.identity
    locked = {
        locked_player.id: locked_player
        for locked_player in Player.objects.select_for_update()
        .filter(id__in=[player.id, identity.player_id])
        .order_by("id")
    }
    shadow = locked[identity.player_id]
    if not shadow.is_shadow:
        raise ClaimCodeInvalid()
    claim.redeemed_at = timezone.now()
    claim.save(update_fields=["redeemed_at", "updated_at"])
    player_merge_shadow(shadow=shadow, into=locked[player.id])
    identity.refresh_from_db()
    notification_create(
        recipient=locked[player.id],
        kind=NotificationKind.IDENTITY_CLAIMED,
        data={"provider": identity.provider, "external_id": identity.external_id},
    )
    return identity


def player_merge_shadow(*, shadow: Player, into: Player) -> None:
    """Move a shadow player's identities and history into ``into``; the shadow stays as a
    tombstone pointing at ``into`` (other apps' rows may still reference it).
    Call inside a transaction holding both player rows locked."""
    PlayerIdentity.objects.filter(player=shadow).update(
        player=into, is_verified=True, updated_at=timezone.now()
    )
    for stats in PlayerTitleStats.objects.filter(player=shadow):
        _merge_stats(stats=stats, into=into)
    owned = set(Achievement.objects.filter(player=into).values_list("title_id", "key"))
    for achievement in Achievement.objects.filter(player=shadow):
        if (achievement.title_id, achievement.key) not in owned:
            achievement.player = into
            achievement.save(update_fields=["player", "updated_at"])
    Achievement.objects.filter(player=shadow).delete()
    ActivityEntry.objects.filter(player=shadow).update(player=into)
    GameSession.objects.filter(player=shadow).delete()
    Notification.objects.filter(recipient=shadow).delete()
    shadow.merged_into = into
    shadow.deleted_at = timezone.now()
    shadow.display_name_key = f"merged:{shadow.id}"
    shadow.save(update_fields=["merged_into", "deleted_at", "display_name_key", "updated_at"])


def _merge_stats(*, stats: PlayerTitleStats, into: Player) -> None:
    target, _created = PlayerTitleStats.objects.get_or_create(player=into, title_id=stats.title_id)
    counters = dict(target.counters)
    for key, value in stats.counters.items():
        counters[key] = int(counters.get(key, 0)) + int(value)
    PlayerTitleStats.objects.filter(id=target.id).update(
        matches_played=F("matches_played") + stats.matches_played,
        matches_won=F("matches_won") + stats.matches_won,
        playtime_seconds=F("playtime_seconds") + stats.playtime_seconds,
        session_seconds=F("session_seconds") + stats.session_seconds,
        level=max(target.level or 0, stats.level or 0) or None,
        xp=max(target.xp or 0, stats.xp or 0) or None,
        rank=target.rank or stats.rank,
        counters=counters,
        updated_at=timezone.now(),
    )
    stats.delete()


def identity_unlink(*, player: Player, identity_id: int) -> None:
    """Remove one of the player's own identities; later events for it make a new shadow."""
    deleted, _ = PlayerIdentity.objects.filter(player=player, id=identity_id).delete()
    if not deleted:
        raise NotFound()
