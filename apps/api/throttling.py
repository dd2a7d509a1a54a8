from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request

from apps.titles.authentication import TitleClient

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class UserRateThrottle(throttling.UserRateThrottle):
    """Per player, or per title credential for game servers (they have no user id)."""

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        user = request.user
        if isinstance(user, TitleClient):
            return self.cache_format % {"scope": self.scope, "ident": f"title-{user.credential.id}"}
        return super().get_cache_key(request, view)
