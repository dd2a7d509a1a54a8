"""Metrics: running totals per event type and outcome, written with the rows they count."""

from collections import Counter
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.game_events.models import EventCounter


def counters_add(counts: Counter[tuple[str, str]]) -> None:
    """Add to the ``(type, outcome)`` totals in one upsert (PostgreSQL and SQLite both speak
    ``ON CONFLICT … DO UPDATE``). Rows go in a fixed order so concurrent transactions take
    their row locks in the same order and cannot deadlock."""
    if not counts:
        return
    now = timezone.now()
    rows = sorted(counts.items())
    table = EventCounter._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (event_type, outcome), number in rows:
        params += [event_type, outcome, number, now, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_type, outcome, count, created_at, updated_at) "  # noqa: S608 - table name from the model, values bound
            f"VALUES {values} ON CONFLICT (event_type, outcome) DO UPDATE SET "
            f"count = {table}.count + EXCLUDED.count, updated_at = EXCLUDED.updated_at",
            params,
        )


def event_counter_add(*, event_type: str, outcome: str, number: int = 1) -> None:
    """Count an event that never reached the inbox (e.g. dead-lettered before parsing)."""
    with transaction.atomic():
        counters_add(Counter({(event_type, outcome): number}))
