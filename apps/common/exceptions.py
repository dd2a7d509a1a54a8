"""Domain errors: one base class with a stable machine-readable code.

The REST exception handler and the websocket error frame both render these, so a client sees
the same ``code`` whichever interface it used. Codes are documented in docs/api.md.
"""

from typing import Any

from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "application_error"
    status_code = 400
    default_message = _("The request could not be completed.")

    def __init__(
        self,
        message: "str | StrPromise | None" = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details or {}
        super().__init__(self.message)


class NotFound(ApplicationError):
    """The object does not exist *or the caller may not see it*: we never leak existence."""

    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to perform this action.")


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = _("The request conflicts with the current state.")


class InvalidInput(ApplicationError):
    code = "invalid_input"
    status_code = 400
    default_message = _("The input is not valid.")
