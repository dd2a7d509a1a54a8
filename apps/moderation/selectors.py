"""Moderation reads, scoped to the caller."""

from django.db.models import QuerySet
from django.utils import timezone

from apps.moderation.enforcement import active_filter
from apps.moderation.exceptions import UnknownSanction
from apps.moderation.models import Appeal, Sanction, SanctionKind
from apps.players.models import Player


def sanctions_of_player(*, player: Player) -> QuerySet[Sanction]:
    """Every sanction of the player, newest first, with its appeal (for "My sanctions")."""
    return (
        Sanction.objects.filter(player=player)
        .select_related("title", "appeal")
        .order_by("-starts_at", "-id")
    )


def sanction_get_for_player(*, player: Player, sanction_id: int) -> Sanction:
    sanction = Sanction.objects.filter(player=player, id=sanction_id).first()
    if sanction is None:
        raise UnknownSanction()
    return sanction


def sanctions_active_for_title(*, player: Player, title_id: int) -> QuerySet[Sanction]:
    """What a title's game server may read: the player's active sanctions that hold in its
    title (global ones and its own), warnings aside."""
    from django.db.models import Q

    return (
        Sanction.objects.filter(active_filter(timezone.now()), player=player)
        .filter(Q(title__isnull=True) | Q(title_id=title_id))
        .exclude(kind=SanctionKind.WARNING)
        .select_related("title")
        .order_by("-starts_at")
    )


def appeals_pending() -> QuerySet[Appeal]:
    return Appeal.objects.filter(status=Appeal.Status.PENDING).select_related("sanction", "player")
