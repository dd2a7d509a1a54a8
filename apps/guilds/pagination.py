"""Keyset cursor pages for guild lists (browse, members): exact both ways, ties included.

DRF's cursor keeps one sort value plus an offset among the rows that share it, so on a sort
with ties (many guilds with 10 members) its ``previous`` link can land on a different page
from the one the client came forward through. Here every ordering is a sort key plus the id,
and the cursor holds the boundary row's (key, id): forwards reads the rows after it, backwards
the rows before it, each with an index-friendly ``key ≤ v AND (key < v OR id < i)`` filter and
no OFFSET, so walking back through ``previous`` gives the very pages walked forwards.

The cursor is signed (``apps.api.cursors``): opaque to clients, and a cursor that does not
verify or whose values are not of the sort key's type answers ``invalid_cursor`` (400)
before reaching the database."""

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.utils.encoding import escape_uri_path
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.cursors import cursor_sign, cursor_unsign
from apps.api.errors import InvalidCursor
from apps.api.pagination import CursorPagination
from apps.common.compiled_query import CompiledQuery, QuerySource

_SALT = "guilds.api.cursor"


@dataclass(frozen=True)
class Keyset:
    """An ordering: ``key`` (a field or an annotation the queryset carries), descending or
    not, then ``id`` in the same direction. ``field`` prepares the cursor's key value (the
    model field itself, or one of the annotation's type)."""

    key: str
    field: models.Field
    descending: bool

    def ordering(self, *, backwards: bool) -> tuple[str, str]:
        sign = "-" if self.descending != backwards else ""
        return f"{sign}{self.key}", f"{sign}id"

    def beyond(self, value: Any, last_id: Any, *, backwards: bool) -> Q:
        """Rows strictly past (value, last_id) in the direction read."""
        past = "lt" if self.descending != backwards else "gt"
        reached = "lte" if past == "lt" else "gte"
        key_past = Q(**{f"{self.key}__{past}": value})
        return Q(**{f"{self.key}__{reached}": value}) & (key_past | Q(**{f"id__{past}": last_id}))


@dataclass(frozen=True)
class _Position:
    backwards: bool
    value: Any
    last_id: int


class KeysetCursorPagination(CursorPagination):
    """``CursorPagination``'s page size, schema and error code, with (key, id) cursors.
    Set ``keyset`` before ``paginate_queryset``; the queryset (or ``QuerySource``, whose pages
    then run as compiled queries) must carry ``keyset.key`` and ``id`` in its rows."""

    keyset: Keyset

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        limit = self.get_page_size(request)
        position = self._position(request)
        backwards = position is not None and position.backwards
        rows = _read(self.keyset, queryset, position, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        self._next = self._previous = None
        if rows:
            if more or backwards:
                self._next = self._link(False, rows[-1])
            if (more and backwards) or (position is not None and not backwards):
                self._previous = self._link(True, rows[0])
        return rows

    def get_next_link(self) -> str | None:
        return self._next

    def get_previous_link(self) -> str | None:
        return self._previous

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._next, "previous": self._previous, "results": data})

    def _link(self, backwards: bool, row: Any) -> str:
        value, row_id = (row[self.keyset.key], row["id"]) if isinstance(row, dict) else (
            getattr(row, self.keyset.key), row.id)  # fmt: skip
        shown = value.isoformat() if isinstance(value, datetime) else value
        cursor = cursor_sign([int(backwards), shown, row_id], salt=_SALT)
        # The request's own parameters in their order, the cursor replaced (as DRF's
        # replace_query_param, without splitting and re-parsing the whole URL per link).
        name, request = self.cursor_query_param, self.request
        kept = [(key, value) for key, values in request.query_params.lists() if key != name
                for value in values]  # fmt: skip
        query = urlencode([*kept, (name, cursor)])
        return f"{request.build_absolute_uri(escape_uri_path(request.path))}?{query}"

    def _position(self, request: Request) -> _Position | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            backwards, value, last_id = cursor_unsign(raw, salt=_SALT)
        except (TypeError, ValueError) as error:
            raise InvalidCursor() from error
        if backwards not in (0, 1) or type(last_id) is not int or value is None:
            raise InvalidCursor()
        try:
            value = self.keyset.field.to_python(value)
            if isinstance(value, datetime):
                value.astimezone(UTC)  # 0001-01-01T00:00+05:00 has no UTC time
        except (DjangoValidationError, TypeError, ValueError, OverflowError) as error:
            raise InvalidCursor() from error
        return _Position(bool(backwards), value, last_id)


def _read(keyset: Keyset, rows: Any, position: _Position | None, count: int) -> list[Any]:
    backwards = position is not None and position.backwards
    if isinstance(rows, QuerySource):
        query = _page_query(rows.build, rows.shape, rows.parameters, keyset,
                            backwards, position is not None, count)  # fmt: skip
        values = dict(rows.values)
        if position is not None:
            values |= {"position": position.value, "position_id": position.last_id}
        return query.all(**values)
    queryset: QuerySet[Any] = rows.order_by(*keyset.ordering(backwards=backwards))
    if position is not None:
        queryset = queryset.filter(
            keyset.beyond(position.value, position.last_id, backwards=backwards)
        )
    return list(queryset[:count])


@functools.lru_cache(maxsize=256)  # shapes, orderings, directions, page sizes requested
def _page_query(
    build: Callable[..., QuerySet[Any]],
    shape: tuple[tuple[str, Hashable], ...],
    parameters: tuple[tuple[str, models.Field], ...],
    keyset: Keyset,
    backwards: bool,
    positioned: bool,
    count: int,
) -> CompiledQuery[Model]:
    def page(**values: Any) -> QuerySet[Any]:
        value, last_id = values.pop("position", None), values.pop("position_id", None)
        queryset = build(**dict(shape), **values).order_by(*keyset.ordering(backwards=backwards))
        if positioned:
            queryset = queryset.filter(keyset.beyond(value, last_id, backwards=backwards))
        return queryset[:count]

    fields = dict(parameters)
    if positioned:
        fields |= {"position": keyset.field, "position_id": models.BigIntegerField()}
    return CompiledQuery(page, **fields)
