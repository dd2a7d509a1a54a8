"""Rejections raised by the text-safety helpers.

Each carries a stable machine-readable ``code`` and a translatable ``message``, so the
project's error mapping can turn them into an ``ApplicationError`` without parsing text.
"""

from django.utils.functional import Promise


class TextRejected(ValueError):
    """Base class: some user- or moderator-supplied text was refused."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NameRejected(TextRejected):
    """A display name or guild name failed validation (see ``validate_display_name``)."""


class FilterRuleInvalid(TextRejected):
    """A moderator-written automod rule cannot be used (see ``FilterRule``)."""
