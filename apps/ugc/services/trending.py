"""Trending: a time-decayed engagement score per item, recomputed by the beat job
``ugc.trending_recompute`` (every 10 minutes).

score = sum of weight(kind) * 2^(-age / half-life) over the likes, favourites, subscriptions,
visible comments and counted downloads of the last ``UGC_TRENDING_WINDOW_DAYS`` days, where
``age`` is counted in whole hours, from the hour the engagement happened in to the current
hour (engagement is grouped per item and hour in SQL, so the work is bounded by items * hours,
not by rows, and every recompute within one hour gives the same scores).
Scores are rounded to 6 decimals; lists order by (score, id) descending, so ties are
deterministic. An item with no engagement in the window scores 0.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from apps.ugc.models import Comment, DownloadDay, Favourite, Item, Like, Subscription

WEIGHTS: list[tuple[type[models.Model], float]] = [
    (Like, 3.0),
    (Favourite, 4.0),
    (Subscription, 5.0),
    (Comment, 2.0),
    (DownloadDay, 1.0),
]
_BATCH = 500


def _activity(model: type[models.Model], since: datetime) -> models.QuerySet:
    rows = model.objects.filter(created_at__gte=since)  # type: ignore[attr-defined]
    if model is Comment:
        rows = rows.filter(is_hidden=False, removed_at__isnull=True, deleted_at__isnull=True)
    return (
        rows.annotate(hour=TruncHour("created_at"))
        .values("item_id", "hour")
        .annotate(count=Count("id"))
        .order_by("item_id", "hour")
    )


def trending_scores(*, now: datetime) -> dict[int, float]:
    """Item id → score for every item with engagement in the window at ``now``."""
    half_life = settings.UGC_TRENDING_HALF_LIFE_HOURS * 3600.0
    current_hour = now.replace(minute=0, second=0, microsecond=0)
    since = current_hour - timedelta(days=settings.UGC_TRENDING_WINDOW_DAYS)
    scores: dict[int, float] = defaultdict(float)
    for model, weight in WEIGHTS:
        for row in _activity(model, since):
            age = max(0.0, (current_hour - row["hour"]).total_seconds())
            scores[row["item_id"]] += weight * row["count"] * 0.5 ** (age / half_life)
    return {item_id: round(score, 6) for item_id, score in scores.items()}


def trending_recompute(*, now: datetime | None = None) -> int:
    """Store every item's score at ``now`` (default: the current time); returns how many
    items changed. Idempotent: running it twice at the same ``now`` changes nothing."""
    now = now or timezone.now()
    scores = trending_scores(now=now)
    stale = Item.objects.exclude(id__in=list(scores)).exclude(trending_score=0)
    changed = 0
    with transaction.atomic():
        changed += stale.update(trending_score=0.0)
        current = dict(Item.objects.filter(id__in=list(scores)).values_list("id", "trending_score"))
        updates = [
            Item(id=item_id, trending_score=score)
            for item_id, score in sorted(scores.items())
            if item_id in current and current[item_id] != score
        ]
        Item.objects.bulk_update(updates, ["trending_score"], batch_size=_BATCH)
        changed += len(updates)
    return changed
