"""Bulk writes for hot paths (chat group commit, game-event ingest and apply), where Django's
``bulk_create``/``bulk_update`` spend more time building SQL than the database spends running
it.

``rows_copy`` inserts model instances with one ``COPY`` on PostgreSQL (ids drawn from the
table's sequence first, so the instances know them), ``bulk_create`` elsewhere.
"""

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, connections, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _CopyPlan:
    """How a row is produced for ``COPY``: every column read in one ``attrgetter`` call after
    the ``auto_now`` stamps are set; values psycopg cannot take as they are (JSON, and any
    field type not known to be plain) are then prepared by their field."""

    table: str
    columns: list[str]
    stamped: list[str]
    read: Callable[[models.Model], tuple]
    prepared: list[tuple[int, models.Field]]


# Values psycopg adapts itself exactly as Django would.
_PLAIN_FIELDS = (
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.BigIntegerField,
    models.IntegerField, models.SmallIntegerField, models.BooleanField, models.CharField,
    models.TextField, models.ForeignKey, models.DateTimeField,
)  # fmt: skip


@functools.cache
def _copy_plan(model: type[models.Model]) -> _CopyPlan:
    fields = model._meta.concrete_fields
    return _CopyPlan(
        table=model._meta.db_table,
        columns=[str(field.column) for field in fields],
        stamped=[
            str(field.attname)
            for field in fields
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ],
        read=operator.attrgetter(*(field.attname for field in fields)),
        prepared=[
            (index, field)
            for index, field in enumerate(fields)
            if not isinstance(field, _PLAIN_FIELDS) or isinstance(field, models.JSONField)
        ],
    )


def rows_copy(model: type[M], rows: Sequence[M]) -> None:
    """Insert ``rows`` (new instances of ``model``, ids unset) in one statement, in the
    current transaction. Afterwards each instance has its id and ``auto_now`` stamps, as after
    ``bulk_create``. On PostgreSQL: one ``COPY`` (several times faster than a multi-row
    ``INSERT`` once the rows are many, and far less Python); elsewhere ``bulk_create``.
    Like ``bulk_create``, no ``save()`` and no signals."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    plan = _copy_plan(model)
    database = connections[connection.alias]  # the object itself: the proxy is slow
    quote = database.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(plan.table), model._meta.pk.column, len(rows)],
        )
        ids = cursor.fetchall()
        now = timezone.now()
        columns = ", ".join(quote(column) for column in plan.columns)
        # The raw psycopg cursor bypasses Django's error translation: without the wrapper a
        # unique violation in the COPY is psycopg's, not ``django.db.IntegrityError``.
        copying = cursor.cursor.copy(f"COPY {quote(plan.table)} ({columns}) FROM STDIN")
        with database.wrap_database_errors, copying as copy:
            for row, (row_id,) in zip(rows, ids, strict=True):
                row.pk = row_id
                for attname in plan.stamped:
                    setattr(row, attname, now)
                values = list(plan.read(row))
                for index, field in plan.prepared:
                    values[index] = field.get_db_prep_save(values[index], database)
                copy.write_row(values)
                row._state.adding = False
                row._state.db = database.alias
