from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.gates import login_gate_hint_values, login_gates_check
from apps.accounts.selectors import api_token_get_active
from apps.accounts.services import API_TOKEN_KIND


def bearer_secret(request: Request, *, kind: str) -> str | None:
    """The bearer secret of ``kind`` from the Authorization header, or None if absent."""
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _separator, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(f"{kind}_"):
        return None
    return secret.strip()


class PlayerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer ct_…`` — a player's API token."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        secret = bearer_secret(request, kind=API_TOKEN_KIND)
        if secret is None:
            return None
        token = api_token_get_active(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        # A suspended player's tokens are refused (403 suspended); the gates' hints came with
        # the token, so a player with nothing against them costs no further query.
        login_gates_check(token.user, hints=login_gate_hint_values(token))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
