"""Hot read queries compiled to SQL once per thread and database, run with fresh parameters.

Building and compiling a queryset costs more CPU than PostgreSQL spends answering it when the
query is small and runs on every request (the token lookup: about 1.2 ms of Python for a
0.2 ms index read). A ``CompiledQuery`` builds its queryset from a function of named
parameters, compiles it once, and afterwards only binds the parameters, executes the SQL on the
thread's own connection (through Django's cursor wrapper, so query logging, execute wrappers
and the pool behave as for any query; on PostgreSQL as a prepared statement, parsed and planned
once per connection: ``apps.common.postgresql.base``) and turns rows into model instances the
way Django's own iterator does (``select_related`` objects and annotations included).

Safe by construction: the queryset is built twice with two different sets of stand-in values,
and compiling must give the same SQL whose parameters differ exactly where a named parameter
went. A builder that reads anything else that changes between calls (``timezone.now()`` inside,
say) fails at the first use instead of freezing that value into the SQL.
"""

import copy
import decimal
import itertools
import threading
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState
from django.db.models.query import (  # Django's own row → object steps
    ModelIterable,
    ValuesIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)
_stand_in_counter = itertools.count(1)


class CompiledQueryError(Exception):
    """The builder's SQL depends on something other than its named parameters."""


def _stand_in(field: models.Field, *, seed: int) -> Any:
    """A value of ``field``'s type that no real parameter equals, distinct per ``seed``."""
    if isinstance(field, models.DateTimeField):
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(microseconds=seed)
    if isinstance(field, models.CharField | models.TextField):
        return f"compiled-query-stand-in-{seed}"
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return 1_900_000_000 + seed
    raise TypeError(f"CompiledQuery has no stand-in for a {type(field).__name__}")


class _Compiled:
    """One compile on one connection: the SQL, where each named parameter goes, and the
    compiler that knows how to read the rows back."""

    def __init__(
        self,
        sql: str,
        slots: dict[int, str],
        constants: list[Any],
        compiler: Any,
        names: list[str] | None,
        ranges: dict[str, tuple[int | None, int | None]],
    ):
        self.sql = sql
        self.slots = slots  # position in the parameter list → parameter name
        self.constants = constants
        self.compiler = compiler
        self.names = names  # a ``.values()`` query's keys; None: model instances
        self.ranges = ranges  # integer parameters: the values their column can hold
        # What ``compiler.results_iter`` would work out again for every run.
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.composite_fields = fields if compiler.has_composite_fields(fields) else None
        # A model query's instance layout (``_objects``), worked out on its first run.
        self.layout: tuple[Any, ...] | None = None

    def rows(self, fetched: list[Any]) -> Iterable[Any]:
        """The fetched rows with the fields' database converters applied, as
        ``compiler.results_iter`` gives them."""
        rows: Iterable[Any] = fetched
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.composite_fields is not None:
            rows = self.compiler.composite_fields_to_tuples(rows, self.composite_fields)
        return rows


class CompiledQuery(Generic[M]):
    """``CompiledQuery(build, digest=ApiToken._meta.get_field("digest"), …)``: ``build(**values)``
    returns the queryset; each named parameter is described by the model field whose database
    preparation it takes. ``first(**values)`` and ``all(**values)`` run it."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **parameters: models.Field):
        self.build = build
        self.parameters = parameters
        self._per_thread = threading.local()

    def first(self, **values: Any) -> M | None:
        return next(self._run(values, many=False), None)

    def all(self, **values: Any) -> list[M]:
        return list(self._run(values, many=True))

    def first_row(self, **values: Any) -> Any | None:
        """The first row as the database sent it (a tuple of plain values, nothing converted),
        or None: a caller may keep it and build the instance again with ``from_row``."""
        fetched = self._fetch(values, many=False)
        return fetched[0] if fetched else None

    def from_row(self, row: Any) -> M:
        """A fresh model instance from a row ``first_row`` returned (converters applied now)."""
        compiled = self._compiled(DEFAULT_DB_ALIAS)
        built: M = next(_objects(compiled, [row], DEFAULT_DB_ALIAS))
        return built

    def _compiled(self, alias: str) -> _Compiled:
        cache: dict[str, _Compiled] = self._per_thread.__dict__.setdefault("by_alias", {})
        compiled = cache.get(alias)
        if compiled is None:
            compiled = cache[alias] = self._compile(alias)
        return compiled

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        runs = []
        for _ in range(2):
            stand_ins = {
                name: _stand_in(field, seed=next(_stand_in_counter))
                for name, field in self.parameters.items()
            }
            queryset = self.build(**stand_ins)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            prepared = {
                name: self.parameters[name].get_db_prep_value(value, connection, prepared=False)
                for name, value in stand_ins.items()
            }
            runs.append((sql, list(params), prepared, compiler))
        (sql, params, prepared, compiler), (other_sql, other_params, other_prepared, _) = runs
        if sql != other_sql or len(params) != len(other_params):
            raise CompiledQueryError("the builder's SQL changes between calls")
        slots: dict[int, str] = {}
        for position, (first, second) in enumerate(zip(params, other_params, strict=True)):
            if first == second:
                continue  # a constant of the query
            name = next((n for n, v in prepared.items() if v == first), None)
            if name is None or other_prepared[name] != second:
                raise CompiledQueryError(
                    f"parameter {position} of the SQL changes between calls but is not one of "
                    f"{sorted(self.parameters)}"
                )
            slots[position] = name
        missing = set(self.parameters) - set(slots.values())
        if missing:
            raise CompiledQueryError(f"parameters never reach the SQL: {sorted(missing)}")
        ranges = _integer_ranges(self.parameters, connection)
        return _Compiled(sql, slots, params, compiler, _values_names(queryset), ranges)

    def _run(self, values: dict[str, Any], *, many: bool) -> Iterator[Any]:
        rows = self._fetch(values, many=many)
        compiled = self._compiled(DEFAULT_DB_ALIAS)
        if compiled.names is None:
            yield from _objects(compiled, rows, DEFAULT_DB_ALIAS)
            return
        names = compiled.names
        for row in compiled.rows(rows):
            yield dict(zip(names, row, strict=True))

    def _fetch(self, values: dict[str, Any], *, many: bool) -> list[Any]:
        if set(values) != set(self.parameters):
            raise TypeError(f"give exactly {sorted(self.parameters)}")
        alias = DEFAULT_DB_ALIAS  # the product has one database
        compiled = self._compiled(alias)
        connection = connections[alias]
        prepared = {
            name: self.parameters[name].get_db_prep_value(value, connection, prepared=False)
            for name, value in values.items()
        }
        if not _in_column_ranges(compiled.ranges, prepared):
            return []  # as Django's own lookups: a number no column can hold matches no row
        params = [
            prepared[compiled.slots[position]] if position in compiled.slots else constant
            for position, constant in enumerate(compiled.constants)
        ]
        # Prepared once per connection on PostgreSQL: the SQL never changes.
        prepared_cursor = getattr(connection, "prepared_cursor", connection.cursor)
        with prepared_cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall() if many else cursor.fetchmany(1)


def _integer_ranges(
    fields: Mapping[str, models.Field], connection: Any
) -> dict[str, tuple[int | None, int | None]]:
    """The values each integer parameter's column can hold, looked up once per compile."""
    ranges = {}
    for name, field in fields.items():
        if isinstance(field, models.ForeignKey):
            ranges[name] = connection.ops.integer_field_range(
                field.target_field.get_internal_type()
            )
        elif isinstance(field, models.IntegerField):
            ranges[name] = connection.ops.integer_field_range(field.get_internal_type())
    return ranges


def _in_column_ranges(
    ranges: Mapping[str, tuple[int | None, int | None]], prepared: Mapping[str, Any]
) -> bool:
    """Whether every integer parameter fits its column. Django's lookups turn an id beyond the
    column's range (a client's ``player_id`` of 10**20) into "no rows" instead of sending it;
    a compiled query sends SQL itself, so it asks the same question. Compiled queries compare
    their parameters for equality, where "no rows" is the answer."""
    for name, (low, high) in ranges.items():
        value = prepared[name]
        if isinstance(value, int) and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            return False
    return True


def _values_names(queryset: models.QuerySet[Any]) -> list[str] | None:
    """The keys of a ``.values()`` queryset's dicts, as ``ValuesIterable`` names them; None
    for a queryset of model instances (anything else is refused)."""
    iterable = queryset._iterable_class
    if iterable is ValuesIterable:
        query = queryset.query
        return [*query.extra_select, *query.values_select, *query.annotation_select]
    if iterable is not ModelIterable:
        raise CompiledQueryError(f"CompiledQuery runs model or .values() querysets, not {iterable}")
    return None


def _objects(compiled: _Compiled, rows: list[Any], alias: str) -> Iterator[Any]:
    """Rows to model instances as ``django.db.models.query.ModelIterable`` does them."""
    if compiled.layout is None:
        compiled.layout = _layout(compiled.compiler, alias)
    model, start, end, init_list, related_populators, annotations = compiled.layout
    for row in compiled.rows(rows):
        obj = model.from_db(alias, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attribute, position in annotations:
            setattr(obj, attribute, row[position])
        yield obj


# Types of the values an instance may share with its copy: nothing can change them in place.
_IMMUTABLE = frozenset({
    int, float, str, bytes, bool, type(None), datetime, date, time, timedelta,
    decimal.Decimal, uuid.UUID,
})  # fmt: skip


def instance_copy(instance: M) -> M:
    """A copy of ``instance`` and of every instance loaded with it (``select_related``, in
    both directions, cycles kept as cycles) sharing nothing a caller could change in place:
    what ``from_row`` builds from the same row, for a fraction of its cost (no per-field
    construction, no converters). Values other than numbers, strings, times and the like (a
    JSON field's lists and dicts) are copied deeply."""
    return _copy(instance, {})


def _value_copy(value: Any) -> Any:
    """A JSON field's lists and dicts copied by hand (``deepcopy`` costs several times more);
    anything else (a subclass of an immutable type too) by ``deepcopy``."""
    kind = type(value)
    if kind is list:
        return [item if type(item) in _IMMUTABLE else _value_copy(item) for item in value]
    if kind is dict:
        return {
            key: item if type(item) in _IMMUTABLE else _value_copy(item)
            for key, item in value.items()
        }
    return copy.deepcopy(value)


def _copy(instance: Any, copies: dict[int, Any]) -> Any:
    known = copies.get(id(instance))
    if known is not None:
        return known
    copied = object.__new__(type(instance))  # no __init__: its values are set below
    copies[id(instance)] = copied
    values = instance.__dict__.copy()
    for name, value in values.items():
        if type(value) not in _IMMUTABLE and name != "_state":
            values[name] = _value_copy(value)
    state = ModelState()
    state.db, state.adding = instance._state.db, instance._state.adding
    values["_state"] = state
    copied.__dict__ = values
    related = instance._state.fields_cache
    if related:
        state.fields_cache = {
            name: None if other is None else _copy(other, copies) for name, other in related.items()
        }
    return copied


def _layout(compiler: SQLCompiler, alias: str) -> tuple[Any, ...]:
    """What ``ModelIterable`` works out per queryset to build instances from rows: the model,
    its columns' span and attribute names, the populators of ``select_related`` models
    (stateless between rows, so one set serves every run of this compile: it is kept per
    thread and per connection alias) and the annotations' positions."""
    select, klass_info = compiler.select, compiler.klass_info
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    # django-stubs already describe Django 6's signature (with ``fetch_mode``); 5.2 has three.
    related_populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]
    annotations = tuple(compiler.annotation_col_map.items())
    return klass_info["model"], start, end, init_list, related_populators, annotations


@dataclass(frozen=True)
class QuerySource:
    """A read built from named parameters, which a consumer may compile once and rerun
    (``apps.api.pagination`` runs a ``QuerySource``'s pages as compiled queries).

    ``build(**shape, **values)`` returns the queryset of ``model``; ``values`` are the
    request's SQL parameters, each described in ``parameters`` by the model field whose
    preparation it takes (``(("recipient_id", Notification._meta.get_field("recipient")),)``);
    ``shape`` holds the arguments that change the query's form (``unread_only``): one compiled
    query per shape, ordering and page size."""

    model: type[models.Model]
    build: Callable[..., models.QuerySet[Any]]
    parameters: tuple[tuple[str, models.Field], ...]
    values: Mapping[str, Any]
    shape: tuple[tuple[str, Hashable], ...] = ()

    def queryset(self) -> models.QuerySet[Any]:
        return self.build(**dict(self.shape), **self.values)
