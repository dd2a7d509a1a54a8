"""Ad-hoc measurement of the players read paths and the presence store (not collected by pytest).

Run against a scratch PostgreSQL database (it creates 51 players):
    createdb -h 127.0.0.1 -U postgres community_players_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/community_players_bench \
    REDIS_URL=redis://127.0.0.1:6379/2 DJANGO_SETTINGS_MODULE=community.settings.test \
    sh -c '.venv/bin/python manage.py migrate -v0 && \
           .venv/bin/python bench/players_reads.py'
"""

import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.conf import settings  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from apps.players.friends import friend_request_send  # noqa: E402
from apps.players.presence_store import presence_store  # noqa: E402
from apps.players.services import activity_record, player_register  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def make(name: str):  # type: ignore[no-untyped-def]
    return player_register(
        username=name, email=f"{name}@b.test", password="a-long-passphrase", display_name=name
    )


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
    for path in ("/api/v1/feed", "/api/v1/friends", "/api/v1/notifications"):
        client.get(path)
        samples = []
        for _ in range(100):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(f"GET {path}: median {statistics.median(samples):.2f} ms, p95 {samples[94]:.2f} ms")
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


main()
