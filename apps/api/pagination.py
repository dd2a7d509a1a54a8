import functools
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Model
from django.utils.translation import gettext
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from apps.api.errors import InvalidCursor
from apps.common.compiled_query import CompiledQuery, QuerySource


class _CompiledPage:
    """What DRF's cursor paginator does to a queryset (order, filter by the cursor's position,
    slice, iterate), recorded and then run as one compiled query."""

    def __init__(self, source: QuerySource) -> None:
        self.source, self.model = source, source.model
        self.ordering: tuple[str, ...] = ()
        self.position: tuple[str, Any] | None = None  # (lookup, value)
        self.bounds: tuple[int | None, int | None] = (None, None)

    def _with(self, **changes: Any) -> "_CompiledPage":
        page = _CompiledPage(self.source)
        page.ordering, page.position, page.bounds = self.ordering, self.position, self.bounds
        for name, value in changes.items():
            setattr(page, name, value)
        return page

    def order_by(self, *ordering: str) -> "_CompiledPage":
        return self._with(ordering=ordering)

    def filter(self, **lookups: Any) -> "_CompiledPage":
        ((lookup, value),) = lookups.items()  # the paginator filters by its position only
        return self._with(position=(lookup, value))

    def __getitem__(self, bounds: slice) -> "_CompiledPage":
        return self._with(bounds=(bounds.start, bounds.stop))

    def __iter__(self) -> Iterator[Any]:
        source = self.source
        lookup = self.position[0] if self.position else None
        query = _page_query(source.model, source.build, source.shape, source.parameters,
                            self.ordering, lookup, self.bounds)  # fmt: skip
        values = dict(source.values)
        if self.position is not None:
            values["position"] = self.position[1]
        return iter(query.all(**values))


@functools.lru_cache(maxsize=512)  # shapes, orderings and page sizes requested
def _page_query(
    model: type[Model],
    build: Callable[..., models.QuerySet[Any]],
    shape: tuple[tuple[str, Hashable], ...],
    parameters: tuple[tuple[str, models.Field], ...],
    ordering: tuple[str, ...],
    lookup: str | None,
    bounds: tuple[int | None, int | None],
) -> CompiledQuery[Any]:
    def page(**values: Any) -> models.QuerySet[Any]:
        position = values.pop("position", None)
        queryset = build(**dict(shape), **values).order_by(*ordering)
        if lookup is not None:
            queryset = queryset.filter(**{lookup: position})
        return queryset[bounds[0] : bounds[1]]

    fields = dict(parameters)
    if lookup is not None:
        position_field = model._meta.get_field(lookup.rsplit("__", 1)[0])
        assert isinstance(position_field, models.Field)
        fields["position"] = position_field
    return CompiledQuery(page, **fields)


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: stable under inserts, no COUNT(*) on growing tables.

    A cursor is base64 of ``o=<offset>&r=<reverse>&p=<position>``, so a client can forge one;
    a cursor that does not decode, or whose position is not a value of the ordering field,
    answers ``invalid_cursor`` (400) instead of reaching the database."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering: str | tuple[str, ...] = "-created_at"
    invalid_cursor_message = str(InvalidCursor.default_message)
    cursor_query_description = "Where the page starts: a `next` or `previous` link's cursor."
    page_size_query_description = "Entries per page (1 to 200; default 50)."

    def get_page_size(self, request: Request) -> int:
        """``limit`` from 1 to ``max_page_size``; anything else is a validation error (DRF would
        silently fall back to the default, so a client would not learn its limit was ignored)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            message = gettext("Ensure this is an integer from 1 to %(max)d.") % {
                "max": self.max_page_size
            }
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        """``queryset`` may be a ``QuerySource``: its pages then run as compiled queries."""
        if isinstance(queryset, QuerySource):
            queryset = _CompiledPage(queryset)
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise InvalidCursor() from error
        if cursor is not None and cursor.position is not None:
            _check_position(self._model, self._ordering_field(), str(cursor.position))
        return cursor

    def _ordering_field(self) -> str:
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        return ordering.lstrip("-")


def _check_position(model: type[Model], field_name: str, position: str) -> None:
    if "\x00" in position:
        raise InvalidCursor()
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field)
    try:
        value = field.to_python(position)
        if isinstance(value, datetime) and value.tzinfo is not None:
            value.astimezone(UTC)  # 0001-01-01T00:00+05:00 has no UTC time
    except (DjangoValidationError, TypeError, ValueError, OverflowError) as error:
        raise InvalidCursor() from error
    if value is None:
        raise InvalidCursor()
