from rest_framework import throttling
from rest_framework.request import Request

from apps.titles.authentication import TitleClient


class UserRateThrottle(throttling.UserRateThrottle):
    """Per player, or per title credential for game servers (they have no user id)."""

    def get_cache_key(self, request: Request, view: object) -> str | None:
        user = request.user
        if isinstance(user, TitleClient):
            return self.cache_format % {"scope": self.scope, "ident": f"title-{user.credential.id}"}
        return super().get_cache_key(request, view)
