"""Times read from PostgreSQL (apps/common/postgresql/base.py reads them with psycopg's own
loader when Django's zone is UTC): aware, in UTC, exact, on Django's cursors and on the
prepared cursor alike."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from apps.accounts.models import ApiToken
from apps.accounts.selectors import api_token_get_active
from apps.accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LITERAL = "SELECT '2026-01-02 03:04:05.678901+05:30'::timestamptz, NULL::timestamptz"


@pytest.mark.parametrize("cursor_of", ["cursor", "prepared_cursor"])
def test_a_time_with_an_offset_is_read_as_the_same_instant_in_utc(cursor_of):
    with getattr(connection, cursor_of)() as cursor:
        cursor.execute(LITERAL)
        read, missing = cursor.fetchone()

    assert read == datetime(2026, 1, 1, 21, 34, 5, 678901, tzinfo=UTC)
    assert read.tzinfo is UTC  # the same zone object Django's own loader gave
    assert missing is None


def test_times_written_by_the_orm_come_back_exactly():
    user = UserFactory()
    expiry = datetime(2027, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=9)))
    secret = api_token_create(user=user, name="t").secret
    ApiToken.objects.filter(user=user).update(expires_at=expiry)

    through_orm = ApiToken.objects.get(user=user).expires_at
    compiled = api_token_get_active(secret=secret).expires_at

    assert through_orm == compiled == expiry
    assert through_orm.utcoffset() == compiled.utcoffset() == timedelta(0)
    assert compiled.isoformat() == "2027-03-03T20:06:07.890123+00:00"
