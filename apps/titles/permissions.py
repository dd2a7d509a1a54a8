from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.titles.authentication import TitleClient


class IsTitleClient(BasePermission):
    """Admits any game server authenticated with a usable title key."""

    message = "This operation needs a title key."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, TitleClient)


class _TitleScopePermission(IsTitleClient):
    scope = ""
    message = "This title key lacks the scope this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, TitleClient) and user.has_scope(self.scope)


def title_scope(scope: str) -> type[BasePermission]:
    """A permission class that admits title clients whose key holds ``scope``.

    Usage: ``permission_classes = [title_scope(scopes.EVENTS_PUBLISH)]``.
    """
    return type(f"TitleScope[{scope}]", (_TitleScopePermission,), {"scope": scope})


def title_client_of(request: Request) -> TitleClient:
    """The authenticated title client; only call behind a ``title_scope`` permission."""
    assert isinstance(request.user, TitleClient)
    return request.user
