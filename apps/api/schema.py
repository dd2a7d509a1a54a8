"""OpenAPI schema tweaks: unique component names for nested serializers, and our auth schemes."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        """``ApiTokenCreateApi.InputSerializer`` → ``ApiTokenCreateInput``: every API nests its
        own Input/OutputSerializer, so the class name alone is not unique."""
        qualname = type(serializer).__qualname__
        outer, _dot, inner = qualname.rpartition(".")
        if not outer:
            return inner
        return outer.split(".")[-1].removesuffix("Api") + inner


class PlayerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.PlayerTokenAuthentication"
    name = "playerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A player's API token (`ct_…`), from POST /api/v1/auth/tokens.",
        }


class TitleKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.titles.authentication.TitleKeyAuthentication"
    name = "titleKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A title credential (`tk_…`) for game servers, issued in the admin.",
        }
