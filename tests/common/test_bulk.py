"""``rows_copy``: one COPY on PostgreSQL, failing with Django's exception classes."""

import pytest
from django.db import DataError, IntegrityError, transaction

from apps.common.bulk import rows_copy
from apps.game_events.models import Channel, InboxEvent, InboxState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _row(event_id: str, subject: str = "") -> InboxEvent:
    return InboxEvent(
        source="/titles/t",
        event_id=event_id,
        subject=subject,
        channel=Channel.HTTP,
        state=InboxState.IGNORED,
    )


def test_rows_get_their_ids_and_stamps():
    rows = [_row("a"), _row("b")]

    rows_copy(InboxEvent, rows)

    assert all(row.pk and row.created_at for row in rows)
    assert list(InboxEvent.objects.order_by("id").values_list("id", "event_id")) == [
        (rows[0].pk, "a"),
        (rows[1].pk, "b"),
    ]


def test_a_unique_violation_in_the_copy_is_djangos_integrity_error():
    """Callers recover from a competing insert with ``except IntegrityError`` (as after
    ``bulk_create``); psycopg's own class would slip past them."""
    rows_copy(InboxEvent, [_row("taken")])

    with pytest.raises(IntegrityError), transaction.atomic():
        rows_copy(InboxEvent, [_row("new"), _row("taken")])

    assert list(InboxEvent.objects.values_list("event_id", flat=True)) == ["taken"]


def test_a_value_postgresql_cannot_store_is_djangos_data_error():
    with pytest.raises(DataError), transaction.atomic():
        rows_copy(InboxEvent, [_row("ok"), _row("nul", subject="a\x00b")])

    assert InboxEvent.objects.count() == 0
