"""Metrics: running totals per event type and outcome, written with the rows they count."""

from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.game_events.models import EventCounter


def counters_add(counts: Counter[tuple[str, str]]) -> None:
    """Add to the ``(type, outcome)`` totals. Rows are created at zero first (ignoring
    conflicts) and then incremented with ``F()``, so concurrent adds never collide; the
    increments run in a fixed order so concurrent transactions cannot deadlock."""
    if not counts:
        return
    EventCounter.objects.bulk_create(
        [EventCounter(event_type=t, outcome=o) for (t, o) in counts],
        ignore_conflicts=True,
    )
    for (event_type, outcome), number in sorted(counts.items()):
        EventCounter.objects.filter(event_type=event_type, outcome=outcome).update(
            count=F("count") + number, updated_at=timezone.now()
        )


def event_counter_add(*, event_type: str, outcome: str, number: int = 1) -> None:
    """Count an event that never reached the inbox (e.g. dead-lettered before parsing)."""
    with transaction.atomic():
        counters_add(Counter({(event_type, outcome): number}))
