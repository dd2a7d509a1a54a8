"""Players read paths and the presence store, each beside a baseline measured in the same run
(not collected by pytest).

* ``GET /api/v1/feed``, ``/friends``, ``/notifications`` (50 friends, 1,000 activity entries)
  against the database floor: one hand-written SQL query reading the same page of rows
  (no privacy rules, no ORM, no DRF), encoded with ``json.dumps``;
* the Redis presence store (Lua scripts keeping per-user socket sets and the online index)
  against one plain ``ZADD``/``ZREM`` per socket.

Run against a scratch PostgreSQL database (it creates 51 players):
    createdb -h 127.0.0.1 -U postgres community_players_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_players_bench \
    REDIS_URL=redis://127.0.0.1:6379/2 DJANGO_SETTINGS_MODULE=community.settings.test \
    sh -c '.venv/bin/python manage.py migrate -v0 && \
           .venv/bin/python bench/players_reads.py'
"""

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from apps.players.friends import friend_request_send  # noqa: E402
from apps.players.presence_store import presence_store  # noqa: E402
from apps.players.services import activity_record, player_register  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def make(name: str):  # type: ignore[no-untyped-def]
    return player_register(
        username=name, email=f"{name}@b.test", password="a-long-passphrase", display_name=name
    )


FLOOR_SQL = {
    "/api/v1/feed": """
        SELECT a.id, a.kind, a.data, a.created_at, p.id, p.display_name, t.slug
        FROM players_activityentry a JOIN players_player p ON p.id = a.player_id
        LEFT JOIN titles_title t ON t.id = a.title_id
        WHERE a.player_id IN (
            SELECT CASE WHEN f.player_low_id = %(me)s THEN f.player_high_id
                        ELSE f.player_low_id END
            FROM players_friendship f
            WHERE f.player_low_id = %(me)s OR f.player_high_id = %(me)s
            UNION SELECT %(me)s)
        ORDER BY a.created_at DESC, a.id DESC LIMIT 50""",
    "/api/v1/friends": """
        SELECT p.id, p.display_name, p.avatar_small, f.created_at
        FROM players_friendship f JOIN players_player p
          ON p.id = CASE WHEN f.player_low_id = %(me)s THEN f.player_high_id
                         ELSE f.player_low_id END
        WHERE f.player_low_id = %(me)s OR f.player_high_id = %(me)s
        ORDER BY f.created_at DESC LIMIT 50""",
    "/api/v1/notifications": """
        SELECT n.id, n.kind, n.data, n.read_at, n.created_at, a.id, a.display_name
        FROM players_notification n LEFT JOIN players_player a ON a.id = n.actor_id
        WHERE n.recipient_id = %(me)s ORDER BY n.created_at DESC LIMIT 50""",
}


def timed_ms(call: Callable[[], object], runs: int = 100) -> list[float]:
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def floor_read(sql: str, me: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"me": me})
        return json.dumps(cursor.fetchall(), default=str)


def presence_floor(client, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i in range(count):
        client.zadd(f"bench:presence:{100000 + i % 500}", {f"c{i}": time.time() + 90})
    opened = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(count):
        client.zrem(f"bench:presence:{100000 + i % 500}", f"c{i}")
    return opened, count / (time.perf_counter() - started)


def main() -> None:
    viewer = make("viewer0")
    for i in range(50):
        friend = make(f"friend{i:02d}")
        friend_request_send(sender=viewer, recipient=friend)
        friend_request_send(sender=friend, recipient=viewer)
        for j in range(20):
            activity_record(player=friend, kind="match_completed", data={"n": j})
    client = APIClient()
    client.force_authenticate(viewer.user)
    print("read                    ours median / p95        floor median / p95      ours / floor")
    for path, sql in FLOOR_SQL.items():
        ours = timed_ms(lambda path=path: client.get(path))
        assert client.get(path).status_code == 200
        floor = timed_ms(lambda sql=sql: floor_read(sql, viewer.id))
        print(f"GET {path:<22} {statistics.median(ours):6.2f} / {ours[94]:6.2f} ms    "
              f"{statistics.median(floor):6.2f} / {floor[94]:6.2f} ms    "
              f"{statistics.median(ours) / statistics.median(floor):5.1f}x")  # fmt: skip
    store, count = presence_store(), 5000
    started = time.perf_counter()
    for i in range(count):
        store.connection_open(user_id=100000 + i % 500, connection_id=f"c{i}")
    opened = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(count):
        store.connection_close(user_id=100000 + i % 500, connection_id=f"c{i}")
    closed = count / (time.perf_counter() - started)
    print(f"{type(store).__name__}: open {opened:,.0f}/s, close {closed:,.0f}/s")
    client = getattr(store, "client", None)
    if client is not None:
        floor_open, floor_close = presence_floor(client, count)
        print(f"plain ZADD/ZREM floor: open {floor_open:,.0f}/s, close {floor_close:,.0f}/s "
              f"(ours {opened / floor_open:.0%} / {closed / floor_close:.0%} of it)")  # fmt: skip


main()
