"""What every UGC endpoint shares: who the caller is (a ``Viewer``), permission classes for
the three credentials (player login or token, title key, anonymous), and the OpenAPI error
responses naming each operation's error codes."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.accounts.models import User
from apps.api.errors import ErrorCode
from apps.api.errors import error_responses as api_error_responses
from apps.common import exceptions as common_errors
from apps.common import localized_text
from apps.moderation import exceptions as moderation_errors
from apps.moderation import reports as moderation_reports
from apps.players.selectors import player_get_optional_for_user
from apps.titles.authentication import TitleClient
from apps.titles.scopes import UGC_READ, UGC_WRITE
from apps.ugc import exceptions as ugc_errors
from apps.ugc.selectors import ANONYMOUS, Viewer

TAGS = ["ugc"]
__all__ = ["UGC_READ", "UGC_WRITE"]


def viewer_of(request: Request) -> Viewer:
    user = request.user
    if isinstance(user, TitleClient):
        return Viewer(title_id=user.title.id)
    if not isinstance(user, User) or not user.is_authenticated:
        return ANONYMOUS
    player = player_get_optional_for_user(user=user)
    return Viewer(player=player, is_moderator=user.has_perm("ugc.moderate_item"))


class CanRead(BasePermission):
    """Anyone for public content; a title key only with the ``ugc:read`` scope."""

    anonymous_reads = True  # the schema marks authentication optional (apps/api/schema.py)

    message = _("This title key lacks the ugc:read scope.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return not isinstance(user, TitleClient) or user.has_scope(UGC_READ)


class IsPlayerOrReadOnly(BasePermission):
    """Reads as ``CanRead``; writes need a player (login or ``ct_`` token)."""

    anonymous_reads = True

    message = _("This operation needs a player login.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return CanRead().has_permission(request, view)
        return viewer_of(request).player is not None


class IsPlayerViewer(BasePermission):
    message = _("This operation needs a player login.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return viewer_of(request).player is not None


class ErrorSerializer(serializers.Serializer):
    """The one error envelope of the API (docs/api.md)."""

    class Body(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()
        details = serializers.DictField()

    error = Body()


def _code_table() -> dict[str, tuple[int, str]]:
    table: dict[str, tuple[int, str]] = {
        "validation_error": (400, "input failed validation; `details.fields`"),
        "not_authenticated": (401, "no credentials were sent"),
        "authentication_failed": (401, "invalid, expired or revoked token or key"),
        "permission_denied": (403, "these credentials may not do this"),
        "rate_limited": (429, "throttled; `details.retry_after`"),
    }
    for module in (ugc_errors, moderation_errors, moderation_reports, common_errors,
                   localized_text):  # fmt: skip
        for value in vars(module).values():
            is_error = isinstance(value, type) and issubclass(value, common_errors.ApplicationError)
            if is_error and value.code not in table:
                table[value.code] = (value.status_code, str(value.default_message))
    return table


def error_responses(*codes: str) -> dict[int, Any]:
    """OpenAPI responses for ``codes`` (UGC's, moderation's and the common ones, by name), in
    the API's one error-response form (``apps.api.errors``): per HTTP status, the codes as an
    enum and each one's meaning."""
    table = _code_table()
    return api_error_responses(*(ErrorCode(code, table[code][0], table[code][1]) for code in codes))
