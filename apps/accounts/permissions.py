from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.accounts.models import User


class IsPersonLogin(BasePermission):
    """A person's login (session or ``ct_`` token). A title key authenticates a game server,
    not a person, so it is refused (403) on endpoints that act on a login's own objects."""

    message = _("This operation needs a player login, not a title key.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, User) and request.user.is_authenticated


def user_of(request: Request) -> User:
    """The caller's login; only call behind ``IsPersonLogin``."""
    assert isinstance(request.user, User)
    return request.user
