"""A real Daphne process on the test database: ops endpoints, a portal page, the websocket."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import websockets

from apps.accounts.services import api_token_create
from tests.factories import UserFactory
from tests.support.live import free_port, run_daphne

pytestmark = pytest.mark.slow


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_readyz_and_a_portal_page(daphne_server):
    assert fetch(f"{daphne_server.url}/healthz") == (200, '{"status": "ok"}')

    status, body = fetch(f"{daphne_server.url}/readyz")
    assert status == 200, body
    report = json.loads(body)
    assert report["failed"] == []
    assert set(report["checks"]) == {"database", "cache", "channel_layer", "broker"}

    status, page = fetch(f"{daphne_server.url}/accounts/login/")
    assert status == 200
    assert "Username or email" in page
    status, css = fetch(f"{daphne_server.url}/static/portal/portal.css")
    assert status == 200
    assert "--accent" in css


@pytest.mark.redis
def test_readyz_reports_an_unreachable_redis(live_tmp):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    with run_daphne(live_tmp, REDIS_URL=dead_redis) as server:
        status, body = fetch(f"{server.url}/readyz")

    assert status == 503
    report = json.loads(body)
    assert report["status"] == "fail"
    assert report["failed"] == ["cache", "channel_layer"]
    assert report["checks"]["database"] == {"ok": True}
    assert "Connection" in report["checks"]["cache"]["error"]


async def _handshake(url: str, **kwargs) -> dict:
    async with websockets.connect(url, open_timeout=10, **kwargs) as socket:
        await socket.send(json.dumps({"type": "hello", "id": "h1", "version": 1}))
        return json.loads(await asyncio.wait_for(socket.recv(), 10))


@pytest.mark.django_db(transaction=True)
def test_websocket_accepts_an_allowed_origin_and_refuses_another(daphne_server):
    user = UserFactory()
    token = api_token_create(user=user, name="t").secret
    bearer = ["community.v1", f"bearer.{token}"]

    welcome = asyncio.run(
        _handshake(daphne_server.ws_url, subprotocols=bearer, origin="http://127.0.0.1")
    )
    assert welcome["type"] == "welcome"
    assert welcome["user_id"] == user.id

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(
            _handshake(daphne_server.ws_url, subprotocols=bearer, origin="https://evil.test")
        )
    assert refused.value.response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_websocket_game_client_without_origin_must_bring_a_valid_token(daphne_server):
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(
            _handshake(daphne_server.ws_url, subprotocols=["community.v1", "bearer.ct_bad"])
        )
    assert refused.value.response.status_code == 403

    async def hello_without_token() -> tuple[dict, int | None]:
        async with websockets.connect(daphne_server.ws_url, open_timeout=10) as socket:
            await socket.send(json.dumps({"type": "hello", "id": 1, "token": "ct_nope"}))
            error = json.loads(await asyncio.wait_for(socket.recv(), 10))
            await asyncio.wait_for(socket.wait_closed(), 10)
            return error, socket.close_code

    error, close_code = asyncio.run(hello_without_token())
    assert error["code"] == "invalid_token"
    assert close_code == 4003


@pytest.mark.django_db(transaction=True)
def test_daphne_writes_json_lines_only_and_no_client_address(live_tmp):
    """Daphne's own access log (a plain line with the client's address per request and three
    per websocket) is off unless DAPHNE_ACCESS_LOG is set (docs/operations.md, "Logs")."""
    user = UserFactory()
    token = api_token_create(user=user, name="t").secret
    with run_daphne(live_tmp, LOG_FORMAT="json") as server:
        assert fetch(f"{server.url}/healthz")[0] == 200
        welcome = asyncio.run(
            _handshake(server.ws_url, subprotocols=["community.v1", f"bearer.{token}"])
        )
    log = server.log()  # stopped: the socket's disconnect is in it too

    assert welcome["type"] == "welcome"
    for line in filter(str.strip, log.splitlines()):
        assert isinstance(json.loads(line), dict), line  # every line: one JSON object
    assert "WSCONNECT" not in log
    assert "WSDISCONNECT" not in log
    assert '"GET /healthz' not in log
