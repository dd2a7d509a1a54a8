"""OpenAPI schema tweaks: unique component names for nested serializers, every operation's
error responses, and our auth schemes."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

from apps.api.errors import (
    AUTHENTICATION_FAILED,
    MALFORMED_REQUEST,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PERMISSION_DENIED,
    RATE_LIMITED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    ErrorCode,
    ErrorResponse,
    InvalidCursor,
    JsonTooDeep,
    PayloadTooLarge,
    error_responses,
)
from apps.api.parsers import JSONParser

_DECLARED_ERRORS: dict[str, Any] = {"description": "declared errors, merged by get_operation"}


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        """``ApiTokenCreateApi.InputSerializer`` → ``ApiTokenCreateInput``: every API nests its
        own Input/OutputSerializer, so the class name alone is not unique."""
        qualname = type(serializer).__qualname__
        outer, _dot, inner = qualname.rpartition(".")
        if not outer:
            return inner
        return outer.split(".")[-1].removesuffix("Api") + inner

    def get_auth(self) -> list[dict[str, Any]]:
        """A read that anyone may make (a permission with ``anonymous_reads``, like public
        UGC) declares authentication optional, as DRF's own AllowAny does."""
        auths = super().get_auth()
        anonymous = self.method in ("GET", "HEAD") and any(
            getattr(permission, "anonymous_reads", False)
            for permission in self.view.get_permissions()
        )
        if anonymous and {} not in auths:
            auths.append({})
        return auths

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        self._declared_errors: list[ErrorCode] = []
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = {
            status: response
            for status, response in operation["responses"].items()
            if response is not _DECLARED_ERRORS
        }
        errors = {error.code: error for error in self._shared_errors(operation)}
        errors |= {error.code: error for error in self._declared_errors}
        for status, error_response in error_responses(*errors.values()).items():
            responses[str(status)] = super()._get_response_for_code(error_response, str(status))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_response_for_code(
        self, serializer: Any, status_code: str, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """Collects the ``error_responses(...)`` a view declares; ``get_operation`` merges them
        with the codes every operation of its kind shares."""
        if isinstance(serializer, ErrorResponse):
            self._declared_errors.extend(serializer.errors)
            return _DECLARED_ERRORS
        return super()._get_response_for_code(serializer, status_code, *args, **kwargs)

    def _shared_errors(self, operation: dict[str, Any]) -> list[ErrorCode]:
        """The errors any operation like this one can answer, whatever its view does."""
        view = self.view
        errors = [RATE_LIMITED] if view.get_throttles() else []
        if view.get_authenticators():
            errors.append(AUTHENTICATION_FAILED)
        if not all(isinstance(permission, AllowAny) for permission in view.get_permissions()):
            errors += [NOT_AUTHENTICATED, PERMISSION_DENIED]
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "path" for parameter in parameters):
            errors.append(NOT_FOUND)  # also an id that does not match its converter
        if any(parameter["in"] == "query" for parameter in parameters):
            errors.append(VALIDATION_ERROR)
        if getattr(view, "pagination_class", None):
            errors.append(ErrorCode.of(InvalidCursor))
        if "requestBody" in operation:
            errors += self._body_errors()
        return errors

    def _body_errors(self) -> list[ErrorCode]:
        errors = [VALIDATION_ERROR, MALFORMED_REQUEST, UNSUPPORTED_MEDIA_TYPE]
        errors.append(ErrorCode.of(PayloadTooLarge))  # Django's limit or a chunked body's
        if any(isinstance(parser, JSONParser) for parser in self.view.get_parsers()):
            errors.append(ErrorCode.of(JsonTooDeep))
        return errors


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
