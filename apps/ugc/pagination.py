"""Keyset (cursor) pagination for UGC lists, whatever the sort: the cursor holds the last
row's sort values and id, so pages stay stable while items are added or scores change, and no
page costs an OFFSET or a COUNT. Every sort ends with ``id`` (descending), which makes ties
deterministic."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

from apps.ugc.exceptions import InvalidCursor

# sort name → fields, all descending, ending with id.
SORTS: dict[str, tuple[str, ...]] = {
    "new": ("published_at", "id"),
    "top": ("like_count", "download_count", "id"),
    "trending": ("trending_score", "id"),
    "created": ("created_at", "id"),
    "oldest": ("created_at", "id"),  # ascending: comments
}
_ASCENDING = {"oldest"}
DEFAULT_LIMIT = 24
MAX_LIMIT = 100


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    raw = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def _decode(cursor: str, fields: tuple[str, ...]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor() from error
    if not isinstance(values, list) or len(values) != len(fields):
        raise InvalidCursor()
    decoded: list[Any] = []
    for field, value in zip(fields, values, strict=True):
        if field.endswith("_at"):
            try:
                decoded.append(datetime.fromisoformat(value))
            except (TypeError, ValueError) as error:
                raise InvalidCursor() from error
        elif isinstance(value, int | float) and not isinstance(value, bool):
            decoded.append(value)
        else:
            raise InvalidCursor()
    return decoded


def _after(fields: tuple[str, ...], values: list[Any], *, ascending: bool) -> Q:
    """Rows strictly after the cursor row in (fields…) order."""
    op = "gt" if ascending else "lt"
    condition = Q()
    for index, field in enumerate(fields):
        step = Q(**{f"{field}__{op}": values[index]})
        for earlier, value in zip(fields[:index], values[:index], strict=True):
            step &= Q(**{earlier: value})
        condition |= step
    return condition


def limit_of(raw: str | None) -> int | None:
    """A page size from a query string (None: the default; junk is the default too)."""
    return int(raw) if raw and raw.isdigit() else None


def keyset_page(
    queryset: QuerySet[Any], *, sort: str, cursor: str | None, limit: int | None
) -> Page:
    """One page of ``queryset`` in ``sort`` order after ``cursor`` (``invalid_cursor`` when
    it does not decode)."""
    fields = SORTS[sort]
    ascending = sort in _ASCENDING
    size = min(max(int(limit or DEFAULT_LIMIT), 1), MAX_LIMIT)
    ordered = queryset.order_by(*(f if ascending else f"-{f}" for f in fields))
    if cursor:
        ordered = ordered.filter(_after(fields, _decode(cursor, fields), ascending=ascending))
    rows = list(ordered[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if has_more and rows:
        last: Model = rows[-1]
        next_cursor = _encode([getattr(last, field) for field in fields])
    return Page(rows=rows, next_cursor=next_cursor)
