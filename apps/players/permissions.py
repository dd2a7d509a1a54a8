from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.accounts.models import User
from apps.players.models import Player
from apps.players.selectors import player_get_optional_for_user


class IsPlayer(BasePermission):
    """A logged-in person (session or ``ct_`` token) with a live player profile; sets
    ``request.player``. Title keys are refused: these endpoints act as a player."""

    message = "This operation needs a player login."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.user, User):
            return False
        player = player_get_optional_for_user(user=request.user)
        request.player = player  # type: ignore[attr-defined]  # read by the views
        return player is not None


def player_of(request: Request) -> Player:
    """The caller's player; only call behind ``IsPlayer``."""
    player = getattr(request, "player", None)
    assert isinstance(player, Player)
    return player
