"""What an operator watches: Prometheus metrics from each process type, and a request or
connection id on every log line (docs/operations.md, "Metrics and alerts")."""

import asyncio
import contextlib
import io
import json
import logging
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import websockets
from django.test import Client

from apps.accounts.services import api_token_create
from apps.common.logging import ContextIdsFilter, JsonFormatter
from apps.common.metrics import exposition, metrics_serve
from apps.players.services import player_create
from tests.factories import UserFactory
from tests.support.live import (
    BASE_DIR,
    free_port,
    live_env,
    run_daphne,
    stop_process,
    wait_for_http,
)

TOKEN = "test-metrics-token"  # community/settings/test.py


def scrape(url: str, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(url)  # noqa: S310 - loopback
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in Prometheus text, or None."""
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


@pytest.mark.django_db
def test_requests_are_measured_by_route_and_the_endpoint_needs_the_token(client: Client):
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page/42")

    page = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    text = page.content.decode()
    without = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/plain")
    count = sample(text, "community_http_request_seconds_count", route="healthz", method="GET",
                   status="200")  # fmt: skip
    assert count is not None and count >= 3
    # Unknown paths share one series: a scanner cannot grow the metrics without bound.
    assert sample(text, "community_http_request_seconds_count", route="unmatched", status="404")
    assert "/no/such/page" not in text
    assert without.status_code == 404 and wrong.status_code == 404


@pytest.mark.django_db
def test_each_request_has_an_id_in_its_response_and_on_its_log_lines(client: Client, settings):
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, ContextIdsFilter) for f in h.filters))  # fmt: skip
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        UserFactory(username="carol")
        failed = client.post("/accounts/login/", {"username": "carol", "password": "wrong"})
        second = client.get("/healthz")
        settings.TRUSTED_PROXY_COUNT = 1
        behind_proxy = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")
        forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    finally:
        handler.setStream(old_stream)  # type: ignore[arg-type]
        handler.setFormatter(old_formatter)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]

    request_id = failed["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert second["X-Request-ID"] != request_id
    assert any(line.get("request_id") == request_id and line["level"] == "WARNING"
               for line in lines), lines  # fmt: skip
    # nginx's $request_id is kept behind the trusted proxy; anything malformed is replaced.
    assert behind_proxy["X-Request-ID"] == "nginx-0123456789abcdef"
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_daphne_process_counts_its_open_sockets_and_frames(live_tmp):
    """On a Daphne of its own: the session's shared one may still be closing an earlier
    test's sockets (a browser page's), which its gauge rightly counts."""
    token = api_token_create(user=UserFactory(), name="t").secret
    with run_daphne(live_tmp) as server:
        during, after = asyncio.run(_counted_while_connected(server, token))
        without_token = scrape(f"{server.url}/metrics", token=None)[0]

    assert sample(during, "community_ws_open_sockets") == 1
    assert sample(during, "community_ws_frames_total", direction="in") >= 2  # hello, ping
    assert sample(during, "community_ws_frames_total", direction="out") >= 2  # welcome, pong
    assert sample(after, "community_ws_open_sockets") == 0
    assert without_token == 404


async def _counted_while_connected(daphne_server, token: str) -> tuple[str, str]:
    metrics_url = f"{daphne_server.url}/metrics"

    async with websockets.connect(
        daphne_server.ws_url, subprotocols=["community.v1", f"bearer.{token}"],
        open_timeout=10,
    ) as socket:  # fmt: skip
        await socket.send(json.dumps({"type": "hello", "id": "h", "version": 1}))
        await asyncio.wait_for(socket.recv(), 10)  # welcome
        await socket.send(json.dumps({"type": "ping", "id": "p"}))
        await asyncio.wait_for(socket.recv(), 10)  # pong
        during = await asyncio.to_thread(scrape, metrics_url)
    for _ in range(50):  # the server notices the close a moment later
        after = await asyncio.to_thread(scrape, metrics_url)
        if sample(after[1], "community_ws_open_sockets") == 0:
            break
        await asyncio.sleep(0.1)
    return during[1], after[1]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_gunicorn_sync_worker_keeps_its_database_connection_between_requests(live_tmp):
    """As deployed (community/gunicorn.py): the worker serves one request at a time and keeps
    its pooled connection checked out between them, which the pool's gauge shows in use while
    no request runs (docs/operations.md)."""
    user = UserFactory()
    player_create(user=user, display_name="Pooled")
    secret = api_token_create(user=user, name="t").secret
    with _gunicorn(live_tmp, workers=1, env=live_env()) as url:
        before = scrape(f"{url}/metrics")[1]  # no request has used the database yet
        for _ in range(3):
            request = urllib.request.Request(f"{url}/api/v1/me")  # noqa: S310
            request.add_header("Authorization", f"Bearer {secret}")
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 200
        after = scrape(f"{url}/metrics")[1]

    assert sample(before, "community_db_pool_connections", state="in_use") == 0
    assert sample(after, "community_db_pool_connections", state="in_use") == 1


@pytest.mark.redis
@pytest.mark.celery_worker
def test_the_celery_queue_depth_is_read_from_the_broker_at_scrape_time(settings):
    import redis

    from community.celery import app

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {"metrics.test": {"queue": queue}}
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        for _ in range(3):
            app.send_task("metrics.test", queue=queue)
        body, _ = exposition()
        depth = sample(body.decode(), "community_celery_queue_depth", queue=queue)
    finally:
        broker.delete(queue)

    assert depth == 3


def test_the_worker_serves_its_metrics_on_its_own_port():
    port = free_port()
    metrics_serve(port)

    status, text = scrape(f"http://127.0.0.1:{port}/metrics", token=None)

    assert status == 200
    assert "community_chat_messages_stored_total" in text
    assert "community_events_settled_total" in text or "# HELP community_events" in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_answers_the_sum_of_its_workers_whichever_one_a_scrape_reaches(live_tmp):
    """As the image runs it (infra/selfhosted/Dockerfile, Container Apps): no
    PROMETHEUS_MULTIPROC_DIR in the environment, several workers. Every scrape must count every
    request, not the share of the worker that happened to answer it."""
    env = live_env()
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with _gunicorn(live_tmp, workers=3, env=env) as url:  # its readiness probe: one request
        for _ in range(30):
            assert scrape(f"{url}/healthz", token=None)[0] == 200
        counts = {
            sample(scrape(f"{url}/metrics")[1], "community_http_request_seconds_count",
                   route="healthz", method="GET")
            for _ in range(12)
        }  # fmt: skip

    # One figure whichever worker answered, with every request in it (the readiness probe's
    # first request and any it retried included).
    assert len(counts) == 1
    assert counts.pop() >= 31


@contextlib.contextmanager
def _gunicorn(live_tmp, *, workers: int, env: dict[str, str]) -> Iterator[str]:
    """gunicorn as deployed (``-c python:community.gunicorn``), answering at the URL yielded;
    its log is printed when the block fails."""
    port = free_port()
    log_path = live_tmp / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "community.wsgi:application",
             "-c", "python:community.gunicorn", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers)],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/healthz", timeout=30, process=process)
            yield url
        except Exception:
            print(log_path.read_text())
            raise
        finally:
            stop_process(process)
