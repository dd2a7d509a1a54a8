from collections import defaultdict

from django.db.models import Count

from apps.game_events.models import EventCounter, InboxEvent, InboxState


def inbox_counts() -> dict[str, dict[str, int]]:
    """``{event_type: {state: count}}`` over the whole inbox (operators only)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = InboxEvent.objects.values("event_type", "state").annotate(number=Count("id"))
    for row in rows.order_by("event_type", "state"):
        counts[row["event_type"]][row["state"]] = row["number"]
    return dict(counts)


def inbox_last_problem() -> InboxEvent | None:
    """The most recent failed or dead-lettered event, with its reason."""
    return (
        InboxEvent.objects.filter(state__in=[InboxState.FAILED, InboxState.DEAD_LETTERED])
        .order_by("-updated_at", "-id")
        .first()
    )


def event_counters() -> dict[str, dict[str, int]]:
    """Metrics: ``{event_type: {outcome: total}}`` since the counters were created."""
    counters: dict[str, dict[str, int]] = defaultdict(dict)
    for counter in EventCounter.objects.order_by("event_type", "outcome"):
        counters[counter.event_type][counter.outcome] = counter.count
    return dict(counters)


def inbox_known_ids(*, source: str, event_ids: list[str]) -> set[str]:
    """Which of ``event_ids`` from ``source`` are already in the inbox."""
    rows = InboxEvent.objects.filter(source=source, event_id__in=event_ids)
    return set(rows.values_list("event_id", flat=True))
