"""CloudEvents 1.0 structured-mode JSON: parsing and validation with precise rejection reasons.

A title's event looks like::

    {"specversion": "1.0", "id": "e-1", "source": "/titles/starfall-arena",
     "type": "match.completed", "time": "2026-11-25T03:20:00Z", "subject": "m-42",
     "datacontenttype": "application/json", "dataversion": "1", "data": {...}}

``dataversion`` is our extension attribute naming the schema version of ``data`` (default 1).
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

SOURCE_PATTERN = re.compile(r"^/titles/(?P<slug>[-a-zA-Z0-9_]{1,50})$")
ID_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
JSON_CONTENT_TYPES = {"application/json", "text/json"}


class EventRejected(Exception):
    """The event cannot be accepted. ``code`` is stable (docs/events.md); ``reason`` is for
    people. ``source``/``event_id`` are set when the envelope got that far."""

    def __init__(
        self, code: str, reason: str, *, source: str | None = None, event_id: str | None = None
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.source = source
        self.event_id = event_id


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    version: int
    time: datetime
    subject: str
    data: dict[str, Any]
    raw: dict[str, Any]

    @property
    def title_slug(self) -> str:
        match = SOURCE_PATTERN.match(self.source)
        assert match is not None  # envelope_validate checked it
        return match["slug"]


def max_event_bytes() -> int:
    return settings.GAME_EVENTS_MAX_EVENT_BYTES


def event_parse_json(body: bytes) -> Any:
    """Decode one event's bytes; rejects oversized bodies before parsing them."""
    if len(body) > max_event_bytes():
        raise EventRejected(
            "event_too_large", f"The event is {len(body)} bytes; the limit is {max_event_bytes()}."
        )
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EventRejected("invalid_json", f"The event is not valid JSON: {error}") from error


def _string(raw: dict[str, Any], name: str, *, required: bool, **ids: str | None) -> str:
    value = raw.get(name)
    if value is None:
        if required:
            raise EventRejected("missing_attribute", f"'{name}' is required.", **ids)
        return ""
    if not isinstance(value, str) or not value:
        raise EventRejected("invalid_attribute", f"'{name}' must be a non-empty string.", **ids)
    return value


def _identity(raw: dict[str, Any]) -> tuple[str, str]:
    source = _string(raw, "source", required=True)
    if not SOURCE_PATTERN.match(source):
        raise EventRejected("invalid_source", "'source' must be '/titles/<title slug>'.")
    event_id = _string(raw, "id", required=True, source=source)
    if not ID_PATTERN.match(event_id):
        raise EventRejected(
            "invalid_attribute", "'id' must be 1-200 printable ASCII characters.", source=source
        )
    return source, event_id


def _version(raw: dict[str, Any], **ids: str | None) -> int:
    value = raw.get("dataversion", "1")
    if isinstance(value, str) and value.isdigit() and 0 < int(value) < 1000:
        return int(value)
    raise EventRejected("invalid_attribute", "'dataversion' must be a positive integer.", **ids)


def rfc3339_parse(text: str) -> datetime | None:
    """An RFC 3339 timestamp with a zone (``2026-11-25T04:00:00Z``, ``…+09:00``), or None for
    anything else, including dates that do not exist."""
    text = text.upper()
    if "T" not in text:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _time(raw: dict[str, Any], **ids: str | None) -> datetime:
    parsed = rfc3339_parse(_string(raw, "time", required=True, **ids))
    if parsed is None:
        raise EventRejected("invalid_attribute", "'time' must be RFC 3339 with a zone.", **ids)
    return parsed


def envelope_validate(raw: Any) -> CloudEvent:
    """Check the CloudEvents envelope (not ``data`` against its schema: see ``catalog``)."""
    if not isinstance(raw, dict):
        raise EventRejected("not_an_object", "An event must be a JSON object.")
    source, event_id = _identity(raw)
    ids = {"source": source, "event_id": event_id}
    if raw.get("specversion") != "1.0":
        raise EventRejected("unsupported_specversion", "'specversion' must be '1.0'.", **ids)
    event_type = _string(raw, "type", required=True, **ids)
    if not TYPE_PATTERN.match(event_type) or len(event_type) > 120:
        raise EventRejected("invalid_attribute", "'type' must look like 'match.completed'.", **ids)
    content_type = raw.get("datacontenttype", "application/json")
    if content_type not in JSON_CONTENT_TYPES:
        raise EventRejected(
            "unsupported_content_type", "'datacontenttype' must be application/json.", **ids
        )
    if "data_base64" in raw or not isinstance(raw.get("data"), dict):
        raise EventRejected("invalid_data", "'data' must be a JSON object.", **ids)
    subject = _string(raw, "subject", required=False, **ids)
    return CloudEvent(
        id=event_id,
        source=source,
        type=event_type,
        version=_version(raw, **ids),
        time=_time(raw, **ids),
        subject=subject[:200],
        data=raw["data"],
        raw=raw,
    )


def source_for_title(slug: str) -> str:
    return f"/titles/{slug}"
