"""Serializer fields every REST input uses.

DRF's ``CharField`` turns a JSON number into its text (``{"bio": 0}`` stored ``"0"``), so a
client that sends the wrong type is never told. ``StrictCharField`` takes JSON strings only;
form and query values are strings anyway. DRF's own validators still refuse NUL and lone
surrogates; the OpenAPI schema states the NUL rule as a ``pattern`` (clients and fuzzers read
it), and the length limit as it is checked: before white space is trimmed.
"""

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.utils import html

# ECMA-262 (JSON Schema) syntax: text without U+0000. "+" because drf-spectacular offers ""
# as a separate `oneOf` branch for blank-allowed fields, which must not overlap this one.
NO_NUL_PATTERN = "^[^\\u0000]+$"
# The same with a character that is not white space: a required field's value is trimmed, so
# white space alone is blank.
NO_NUL_NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


class StrictCharField(serializers.CharField):
    """A string, and only a string. In a form body an empty value that was sent counts as
    sent (DRF would drop it for an optional field), so forms and JSON validate alike."""

    default_error_messages = {"invalid": _("Not a valid string.")}

    def __init__(self, *, pattern: str | None = None, **kwargs: Any) -> None:
        """``pattern``: a regular expression the whole value must match (the same syntax in
        Python and JSON Schema: keep to classes, ranges and quantifiers); it is the schema's
        ``pattern`` too, so clients see the rule they are held to."""
        super().__init__(**kwargs)
        self.pattern = pattern
        if pattern is not None:
            self.validators.append(RegexValidator(pattern))

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            # Counted before trimming, as the schema's maxLength is.
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice where an empty value that was sent in a query or form counts as sent (and is
    refused: it is not a choice), as JSON does — DRF would take it for "not given"."""

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            field = self.target
            not_blank = field.trim_whitespace and not field.allow_blank
            schema["pattern"] = field.pattern or (
                NO_NUL_NOT_BLANK_PATTERN if not_blank else NO_NUL_PATTERN
            )
        return schema
