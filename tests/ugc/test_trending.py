"""Trending on a fixed dataset with a fixed clock: exact scores, deterministic ties, idempotent
recomputes, and the beat schedule that runs it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from apps.ugc.models import Comment, DownloadDay, Item, Like, Subscription
from apps.ugc.services.trending import trending_recompute
from tests.players.factories import PlayerFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)  # hour buckets start at 12:00


def _at(rows, when: datetime) -> None:  # type: ignore[no-untyped-def]
    for row in rows:
        type(row).objects.filter(id=row.id).update(created_at=when)


def _engage(model, item: Item, count: int, when: datetime) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for _ in range(count):
        player = PlayerFactory()
        if model is DownloadDay:
            rows.append(DownloadDay.objects.create(item=item, player=player, day=date(2026, 3, 1)))
        elif model is Comment:
            rows.append(Comment.objects.create(item=item, author=player, body="nice"))
        else:
            rows.append(model.objects.create(item=item, player=player))
    _at(rows, when)


@pytest.fixture
def items(title, alice):  # type: ignore[no-untyped-def]
    names = ["A", "B", "C", "D", "E", "F"]
    created = {}
    for seed, name in enumerate(names):
        response = upload(client_for(alice), title.slug, kind="level",
                          content=corpus.level_zip(seed=seed), filename="l.zip",
                          name=name)  # fmt: skip
        created[name] = Item.objects.get(id=response.json()["id"])
    hour = NOW.replace(minute=0)
    _engage(Like, created["A"], 10, hour - timedelta(hours=48))  # 10 x 3 x 1/4
    _engage(Like, created["B"], 2, hour - timedelta(hours=1))  # 2 x 3 x 2^(-1/24)
    _engage(DownloadDay, created["C"], 3, hour)  # 3 x 1
    _engage(Comment, created["C"], 1, hour - timedelta(days=10))  # outside the window
    _engage(Subscription, created["D"], 1, hour)  # 5
    _engage(Like, created["E"], 1, hour)  # 3 …
    _engage(DownloadDay, created["E"], 2, hour + timedelta(minutes=20))  # … + 2 = 5, ties D
    return created


def test_scores_and_order_on_a_fixed_clock(items, title, bob):
    changed = trending_recompute(now=NOW)
    again = trending_recompute(now=NOW)

    scores = dict(Item.objects.values_list("name", "trending_score"))
    assert scores == {
        "A": 7.5,
        "B": round(6 * 0.5 ** (1 / 24), 6),
        "C": 3.0,
        "D": 5.0,
        "E": 5.0,
        "F": 0.0,
    }
    assert (changed, again) == (5, 0)
    listed = client_for(bob).get(f"/api/v1/ugc/titles/{title.slug}/items?sort=trending").json()
    # D and E tie at 5.0: the newer item (higher id) first, every time.
    assert [item["name"] for item in listed["results"]] == ["A", "B", "E", "D", "C", "F"]


def test_scores_decay_and_leave_the_window(items):
    trending_recompute(now=NOW)
    trending_recompute(now=NOW + timedelta(hours=24))
    one_day_later = dict(Item.objects.values_list("name", "trending_score"))
    trending_recompute(now=NOW + timedelta(days=8))

    assert one_day_later["D"] == 2.5
    assert one_day_later["A"] == 3.75
    assert set(Item.objects.values_list("trending_score", flat=True)) == {0.0}


def test_the_beat_schedule_runs_trending_and_the_sweep():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"ugc.trending_recompute", "ugc.storage_sweep"} <= tasks
