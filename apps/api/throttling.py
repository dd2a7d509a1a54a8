from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request

from apps.common.client_address import client_address_of_request
from apps.titles.authentication import TitleClient

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class ClientAddressMixin:
    """Anonymous callers are told apart by ``apps.common.client_address``: X-Forwarded-For
    counts only as far as TRUSTED_PROXY_COUNT proxies (docs/operations.md)."""

    def get_ident(self, request: Request) -> str:
        return client_address_of_request(request) or ""


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    """Per player, or per title credential for game servers (they have no user id)."""

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        user = request.user
        if isinstance(user, TitleClient):
            return self.cache_format % {"scope": self.scope, "ident": f"title-{user.credential.id}"}
        return super().get_cache_key(request, view)
