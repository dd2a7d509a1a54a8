"""Sanctions act on open sockets within a second, across real Daphne processes."""

import asyncio
import json
import re
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
import websockets

from apps.accounts.services import api_token_create
from tests.factories import TEST_PASSWORD
from tests.support.live import run_daphne

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def admin_session(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    login = session.get(f"{base_url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    done = session.post(
        f"{base_url}/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": TEST_PASSWORD},
        timeout=10,
    )
    assert done.url.endswith("/admin/"), done.text[:500]
    return session


def admin_ban(session: requests.Session, base_url: str, player_id: int) -> requests.Response:
    url = f"{base_url}/admin/moderation/sanction/add/"
    form = session.get(url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        url,
        data={"csrfmiddlewaretoken": token, "player": player_id, "kind": "ban", "title": "",
              "duration": "24h", "reason_category": "harassment", "reason": "abuse",
              "evidence": "[]"},
        timeout=10,
        allow_redirects=False,
    )  # fmt: skip


async def open_socket(ws_url: str, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(ws_url, subprotocols=["community.v1", f"bearer.{token}"])
    await socket.send(json.dumps({"type": "hello", "id": 1, "version": 1}))
    while (frame := json.loads(await asyncio.wait_for(socket.recv(), 10)))["type"] != "welcome":
        assert frame["type"] in ("presence", "notification")
    return socket


async def frames_until_closed(socket: websockets.ClientConnection) -> tuple[list[dict], float]:
    frames = []
    try:
        async for text in socket:
            frames.append(json.loads(text))
    except websockets.ConnectionClosed:
        pass
    return frames, time.monotonic()


def test_a_ban_from_the_admin_on_another_process_closes_open_sockets_within_a_second(
    live_tmp, alice, senior
):
    token = api_token_create(user=alice.user, name="live").secret

    async def scenario(socket_url: str, other_url: str, admin_url: str) -> dict:
        session = await asyncio.to_thread(admin_session, admin_url, senior.username)
        far = await open_socket(socket_url, token)
        near = await open_socket(other_url, token)
        watchers = [asyncio.create_task(frames_until_closed(s)) for s in (far, near)]
        started = time.monotonic()
        response = await asyncio.to_thread(admin_ban, session, admin_url, alice.id)
        issued = time.monotonic()
        results = await asyncio.wait_for(asyncio.gather(*watchers), 10)
        refused = await websockets.connect(
            socket_url, subprotocols=["community.v1", f"bearer.{token}"]
        )
        # The bearer subprotocol authenticates at connect: refused before any hello.
        refused_frames, _ = await asyncio.wait_for(frames_until_closed(refused), 10)
        return {
            "status": response.status_code,
            "page": response.text if response.status_code != 302 else "",
            "closes": [socket.close_code for socket in (far, near)],
            "delays": [closed_at - issued for _frames, closed_at in results],
            "request_seconds": issued - started,
            "frames": [frames for frames, _ in results],
            "refused": (refused_frames, refused.close_code),
        }

    with ExitStack() as stack:
        first = stack.enter_context(run_daphne(live_tmp))
        second = stack.enter_context(run_daphne(live_tmp))
        outcome = asyncio.run(scenario(first.ws_url, second.ws_url, second.url))

    assert outcome["status"] == 302, outcome["page"][-3000:]  # saved; back to the list
    assert outcome["closes"] == [4008, 4008]
    assert all(delay < 1.0 for delay in outcome["delays"]), outcome
    for frames in outcome["frames"]:
        sanction = [frame for frame in frames if frame["type"] == "sanction"]
        assert frames[-1]["type"] == "sanction"  # the last word before the close
        assert [(s["kind"], s["reason"], s["status"]) for s in sanction] == [
            ("ban", "abuse", "active")
        ]
        assert sanction[0]["until"] is not None
        assert sanction[0]["appeal_url"].startswith("/moderation/appeal/")  # no login needed
    refused_frames, refused_close = outcome["refused"]
    refused_frames = [f for f in refused_frames if f["type"] not in ("presence", "notification")]
    assert [frame["type"] for frame in refused_frames] == ["sanction", "error"]
    assert refused_frames[1]["code"] == "banned"
    assert refused_frames[0]["appeal_url"].startswith("/moderation/appeal/")
    assert refused_close == 4008


def test_the_reference_client_stops_reconnecting_after_a_ban_and_says_why(live_tmp, alice):
    from community_chat import ChatClient

    from apps.moderation.sanctions import sanction_issue

    token = api_token_create(user=alice.user, name="live").secret

    async def scenario(url: str) -> tuple:
        client = ChatClient(url, token, backoff_initial=0.05)
        await client.connect()
        await asyncio.to_thread(sanction_issue, player=alice, kind="suspension",
                                duration=timedelta(hours=2),
                                reason="chargeback fraud")  # fmt: skip
        async with asyncio.timeout(10):
            while (event := await client.events.get())["type"] != "closed_by_moderation":
                pass
        await asyncio.sleep(0.5)  # a reconnecting client would have tried by now
        reconnects = client.reconnects
        await client.close()
        return event, reconnects, client.stopped_by

    with run_daphne(live_tmp) as server:
        event, reconnects, stopped_by = asyncio.run(scenario(server.ws_url))

    assert event["code"] == 4009
    assert reconnects == 0
    assert (stopped_by["kind"], stopped_by["reason"]) == ("suspension", "chargeback fraud")
    assert stopped_by["until"] is not None
