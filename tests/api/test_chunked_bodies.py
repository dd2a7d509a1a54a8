"""Request bodies through the servers we run: Daphne (``make run``, websockets) and gunicorn
(the REST API in production, docs/operations.md). A body sent with ``Transfer-Encoding:
chunked`` (no Content-Length) is read, or refused with a clear error — never dropped; a body
the server itself cannot parse still reaches the application's JSON errors."""

import contextlib
import http.client
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings

from apps.accounts.services import api_token_create
from apps.api.middleware import ChunkedBodyMiddleware
from apps.players.models import Player
from tests.players.factories import PlayerFactory
from tests.support.live import (
    BASE_DIR,
    LiveServer,
    free_port,
    live_env,
    stop_process,
    wait_for_http,
)

pytestmark = pytest.mark.django_db(transaction=True)


def send_chunked(
    url: str, method: str, path: str, body: bytes, headers: dict, piece: int = 7
) -> tuple[int, dict]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    pieces = [body[index : index + piece] for index in range(0, len(body), piece)]
    # The server may answer (413) and close before the whole body went out, as a client on a
    # slow link sees it: the answer is still there to read.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.request(method, path, body=iter(pieces), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    status, content = response.status, response.read()
    connection.close()
    return status, json.loads(content) if content else {}


@pytest.fixture
def player() -> tuple[Player, str]:
    player = PlayerFactory(bio="before")
    return player, api_token_create(user=player.user, name="game").secret


def patch_bio_chunked(server_url: str, secret: str, bio: str, piece: int = 7) -> tuple[int, dict]:
    return send_chunked(
        server_url, "PATCH", "/api/v1/me", json.dumps({"bio": bio}).encode(),
        {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}, piece,
    )  # fmt: skip


def test_a_chunked_json_body_is_read_by_daphne(daphne_server: LiveServer, player):
    profile, secret = player

    status, body = patch_bio_chunked(daphne_server.url, secret, "sent in chunks")

    assert status == 200, body
    assert body["bio"] == "sent in chunks"
    profile.refresh_from_db()
    assert profile.bio == "sent in chunks"


def test_daphne_leaves_a_form_body_it_cannot_parse_to_the_application(daphne_server: LiveServer):
    """Twisted parsed POST multipart bodies itself and answered one it could not parse (only
    the closing boundary) with a bare 400 before Django saw it: no JSON error for the client."""
    host, port = daphne_server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST", "/api/v1/auth/tokens", body=b"--xyz--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )  # fmt: skip
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()

    assert response.status == 415
    assert body["error"]["code"] == "unsupported_media_type"


@pytest.fixture
def gunicorn_server(django_db_setup, django_db_blocker, live_tmp: Path) -> Iterator[str]:
    """gunicorn serving community.wsgi on the test database, as production serves REST."""
    port = free_port()
    log_path = live_tmp / f"gunicorn-{port}.log"
    with django_db_blocker.unblock(), log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "community.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=BASE_DIR, env=live_env(), stdout=log, stderr=subprocess.STDOUT,
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


def test_a_chunked_json_body_is_read_by_gunicorn(gunicorn_server: str, player):
    profile, secret = player

    status, body = patch_bio_chunked(gunicorn_server, secret, "sent in chunks")

    assert status == 200, body
    assert body["bio"] == "sent in chunks"
    profile.refresh_from_db()
    assert profile.bio == "sent in chunks"


def test_a_chunked_body_over_the_limit_is_payload_too_large(gunicorn_server: str, player):
    profile, secret = player

    # 64 KiB chunks: 9 MiB in 7-byte chunks keeps a worker parsing chunk headers for longer
    # than gunicorn's worker timeout on a busy machine.
    status, body = patch_bio_chunked(gunicorn_server, secret, "x" * (9 << 20), piece=1 << 16)

    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["details"] == {"limit_bytes": 8 << 20}
    profile.refresh_from_db()
    assert profile.bio == "before"


def chunked_request(**environ: object):  # type: ignore[no-untyped-def]
    request = RequestFactory().patch(
        "/api/v1/me", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META.update(environ)
    return request


def test_a_wsgi_server_that_cannot_end_a_chunked_body_gets_length_required():
    middleware = ChunkedBodyMiddleware(lambda request: pytest.fail("the view ran"))

    response = middleware(chunked_request())

    assert response.status_code == 411
    assert json.loads(response.content)["error"]["code"] == "length_required"


@override_settings(HTTP_CHUNKED_BODY_MAX_BYTES=10)
def test_a_chunked_body_is_cut_off_at_the_limit_not_read_to_its_end():
    stream = io.BytesIO(b"{" + b" " * 100 + b"}")
    middleware = ChunkedBodyMiddleware(lambda request: pytest.fail("the view ran"))

    response = middleware(chunked_request(**{"wsgi.input": stream, "wsgi.input_terminated": True}))

    assert response.status_code == 413
    assert json.loads(response.content)["error"]["details"] == {"limit_bytes": 10}
    assert stream.tell() == 11
