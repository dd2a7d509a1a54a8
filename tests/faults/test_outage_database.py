"""A PostgreSQL outage under a real Daphne (docs/operations.md, "Database outages"): sockets
stay answered, database work fails fast with ``unavailable`` and a retry hint, a send whose
commit cannot be confirmed says so and its retry stores it once, readiness and REST answer
at once, and the outage is logged once per state change."""

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psycopg
import pytest
import websockets

from tests.faults.outage_world import ANSWER_WAIT_SECONDS, OutageWorld, Socket, world_create
from tests.support.live import run_daphne
from tests.support.throwaway import ThrowawayPostgres

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres]

CLOSE_TRY_AGAIN_LATER = 4503
RECOVERY_WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def outage_postgres() -> Iterator[tuple[ThrowawayPostgres, OutageWorld]]:
    """One migrated throwaway database for the module (migrating takes a while); each test
    leaves it running."""
    postgres = ThrowawayPostgres()
    postgres.init()
    try:
        yield postgres, world_create(postgres)
    finally:
        postgres.destroy()


@pytest.fixture
def daphne(outage_postgres, tmp_path):  # type: ignore[no-untyped-def]
    postgres, _world = outage_postgres
    if not postgres.is_running():  # an earlier test failed with it stopped
        postgres.start()
    with run_daphne(tmp_path, DATABASE_URL=postgres.url(), CHAT_RATE_PLAYER_CAPACITY="100000",
                    CHAT_RATE_CHANNEL_CAPACITY="100000") as server:  # fmt: skip
        yield server


def http_get(url: str, *, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)  # noqa: S310 - loopback test URL
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_WAIT_SECONDS / 2) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


async def hello_all(url: str, tokens: list[str]) -> list[Socket]:
    sockets = [await Socket.open(url, token) for token in tokens]
    for socket in sockets:
        assert (await socket.request({"type": "hello", "id": "hello"}))["type"] == "welcome"
    return sockets


async def until_answered(socket: Socket, frame: dict, expected_type: str) -> dict:
    """Repeat ``frame`` (honouring ``retry_after_ms``) until it is answered ``expected_type``."""
    deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
    attempt = 0
    while True:
        attempt += 1
        answer = await socket.request({**frame, "id": f"{frame['id']}-{attempt}"})
        if answer["type"] == expected_type or time.monotonic() > deadline:
            return answer
        assert answer["code"] == "unavailable", answer
        await asyncio.sleep(answer["details"]["retry_after_ms"] / 1000)


def test_sockets_stay_answered_through_a_database_outage_and_work_after_it(outage_postgres, daphne):
    postgres, world = outage_postgres

    async def scenario() -> dict:
        sockets = await hello_all(daphne.ws_url, world.tokens[:3])
        postgres.stop()
        for number, socket in enumerate(sockets):
            await socket.send({"type": "history", "id": f"history{number}",
                               "channel_id": world.lobby_id})  # fmt: skip
            await socket.send({"type": "ping", "id": f"ping{number}"})
            await socket.send({"type": "typing", "id": f"typing{number}",
                               "channel_id": world.lobby_id})  # fmt: skip
        answers = {}
        for number, socket in enumerate(sockets):
            for kind in ("history", "ping", "typing"):
                answers[f"{kind}{number}"] = await socket.answer(f"{kind}{number}")
        # A new socket cannot be authenticated: told so, and when to come back.
        refused = await Socket.open(daphne.ws_url, world.tokens[3])
        refusal = json.loads(await refused.connection.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await refused.connection.recv()
        postgres.start()
        history = await until_answered(
            sockets[0], {"type": "history", "id": "after", "channel_id": world.lobby_id}, "history"
        )
        sent = await sockets[1].request({"type": "send", "id": "send", "body": "back",
                                         "channel_id": world.lobby_id})  # fmt: skip
        late = await hello_all(daphne.ws_url, world.tokens[3:])
        for socket in [*sockets, *late]:
            await socket.close()
        return {"answers": answers, "refusal": refusal, "close": closed.value.rcvd,
                "history": history, "sent": sent}  # fmt: skip

    result = asyncio.run(scenario())

    answers = result["answers"]
    assert [answers[f"ping{n}"]["type"] for n in range(3)] == ["pong"] * 3
    assert [answers[f"typing{n}"] for n in range(3)] == [
        {"id": f"typing{n}", "type": "ack", "dropped": True} for n in range(3)
    ]
    assert [answers[f"history{n}"]["code"] for n in range(3)] == ["unavailable"] * 3
    assert all(answers[f"history{n}"]["details"]["retry_after_ms"] > 0 for n in range(3))
    assert result["refusal"]["code"] == "unavailable"
    assert result["refusal"]["details"]["retry_after_ms"] > 0
    assert result["close"].code == CLOSE_TRY_AGAIN_LATER
    assert result["history"]["type"] == "history"
    assert result["sent"]["type"] == "sent"
    log = daphne.log()
    assert log.count("database unavailable") == 1
    assert log.count("database available again") == 1
    assert "Traceback" not in log


def test_a_portal_socket_opened_during_an_outage_is_told_to_come_back(outage_postgres, daphne):
    """The session cookie cannot be read with the database down: the page's socket gets
    ``unavailable`` with a retry hint and close 4503 (not an error close), and the same
    cookie works once the database is back."""
    postgres, world = outage_postgres

    async def scenario() -> dict:
        postgres.stop()
        refused = await Socket.open_with_cookie(daphne.ws_url, world.session_cookie)
        refusal = json.loads(await refused.connection.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await refused.connection.recv()
        postgres.start()
        deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
        while True:  # the breaker lets one attempt through per retry window
            socket = await Socket.open_with_cookie(daphne.ws_url, world.session_cookie)
            try:
                welcome = await socket.request({"type": "hello", "id": "hello"})
            except websockets.ConnectionClosed:  # refused again: still within the window
                welcome = socket.frames[0] if socket.frames else {"type": "closed"}
            await socket.close()
            if welcome["type"] == "welcome" or time.monotonic() > deadline:
                break
            await asyncio.sleep(welcome.get("details", {}).get("retry_after_ms", 500) / 1000)
        return {"refusal": refusal, "close": closed.value.rcvd, "welcome": welcome}

    result = asyncio.run(scenario())

    assert result["refusal"]["code"] == "unavailable"
    assert result["refusal"]["details"]["retry_after_ms"] > 0
    assert result["close"].code == CLOSE_TRY_AGAIN_LATER
    assert result["welcome"]["type"] == "welcome", result["welcome"]
    assert "Traceback" not in daphne.log()


def send_frame(world: OutageWorld, number: int, *, request_id: str) -> dict:
    return {"type": "send", "id": request_id, "channel_id": world.lobby_id,
            "body": f"m{number}", "client_msg_id": f"outage-{number}"}  # fmt: skip


def test_a_send_the_outage_interrupts_is_unavailable_and_its_retry_stores_it_once(
    outage_postgres, daphne
):
    postgres, world = outage_postgres
    sends = 40

    async def scenario() -> list[dict]:
        (socket,) = await hello_all(daphne.ws_url, world.tokens[:1])
        for number in range(sends):
            await socket.send(send_frame(world, number, request_id=f"m{number}"))
            if number == sends // 4:
                await asyncio.to_thread(postgres.stop)  # while the first sends commit
        answers = [await socket.answer(f"m{number}") for number in range(sends)]
        postgres.start()
        retried = []
        for number, answer in enumerate(answers):
            if answer["type"] != "sent":
                frame = send_frame(world, number, request_id=f"r{number}")
                retried.append(await until_answered(socket, frame, "sent"))
        await socket.close()
        return answers + retried

    answers = asyncio.run(scenario())

    refused = [answer for answer in answers if answer["type"] == "error"]
    assert refused, "the outage interrupted no send"
    assert {answer["code"] for answer in refused} == {"unavailable"}
    assert {answer["details"]["retry"] for answer in refused} == {"same_client_msg_id"}
    with psycopg.connect(postgres.url()) as connection:
        stored = connection.execute(
            "SELECT client_msg_id, count(*) FROM chat_message "
            "WHERE client_msg_id LIKE 'outage-%%' GROUP BY client_msg_id"
        ).fetchall()
    assert sorted(stored) == sorted((f"outage-{number}", 1) for number in range(sends))


def test_readiness_and_the_rest_api_answer_at_once_during_an_outage(outage_postgres, daphne):
    postgres, world = outage_postgres
    postgres.stop()
    try:
        ready = http_get(f"{daphne.url}/readyz")
        api = http_get(f"{daphne.url}/api/v1/auth/tokens/mine", token=world.tokens[0])
        page = http_get(f"{daphne.url}/")
    finally:
        postgres.start()

    status, _headers, body = ready
    assert status == 503
    assert json.loads(body)["failed"] == ["database"]
    status, headers, body = api
    assert status == 503
    assert int(headers["Retry-After"]) >= 1
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable"
    assert error["details"]["retry_after_ms"] > 0
    status, headers, body = page  # the portal: its error page, saying it is temporary
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
