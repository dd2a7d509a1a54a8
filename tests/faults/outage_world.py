"""A world for database-outage tests: a throwaway PostgreSQL, migrated and seeded in child
processes (``python -m tests.faults.outage_world`` with ``DATABASE_URL`` pointing at it) with
players holding API tokens and a lobby, and a websocket client that reads answers by id."""

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import websockets

from tests.support.live import BASE_DIR, live_env
from tests.support.throwaway import ThrowawayPostgres

PLAYERS = 4
# How long a test waits for an answer it expects. Generous: an outage costs one connect attempt
# (2 s) per retry window, where every queued frame used to wait a whole pool timeout (10 s).
ANSWER_WAIT_SECONDS = 20


@dataclass(frozen=True)
class OutageWorld:
    tokens: list[str]
    player_ids: list[int]
    lobby_id: int
    session_cookie: str  # "<name>=<key>": the first player's portal login


def world_create(postgres: ThrowawayPostgres) -> OutageWorld:
    """Migrate the throwaway database and seed it (this process's database untouched)."""
    env = live_env(DATABASE_URL=postgres.url())
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=BASE_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.faults.outage_world"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{seeded.stderr}")
    return OutageWorld(**json.loads(seeded.stdout.strip().splitlines()[-1]))


@dataclass
class Socket:
    """One websocket; ``answer(id)`` returns the frame answering a request, other frames
    (presence, messages) are kept aside."""

    connection: Any
    frames: list[dict] = field(default_factory=list)

    @classmethod
    async def open(cls, url: str, token: str) -> "Socket":
        connection = await websockets.connect(url, subprotocols=["community.v1", "bearer." + token])
        return cls(connection)

    @classmethod
    async def open_with_cookie(cls, url: str, cookie: str) -> "Socket":
        """As the portal's page does: the session cookie, from the site's own origin."""
        origin = url.replace("ws://", "http://").split("/ws/")[0]
        connection = await websockets.connect(
            url,
            subprotocols=["community.v1"],
            additional_headers={"Cookie": cookie, "Origin": origin},
        )
        return cls(connection)

    async def request(self, frame: dict) -> dict:
        await self.send(frame)
        return await self.answer(frame["id"])

    async def send(self, frame: dict) -> None:
        await self.connection.send(json.dumps(frame))

    async def answer(self, request_id: str, *, wait: float = ANSWER_WAIT_SECONDS) -> dict:
        async with asyncio.timeout(wait):
            while True:
                for frame in self.frames:
                    if frame.get("id") == request_id:
                        self.frames.remove(frame)
                        return frame
                self.frames.append(json.loads(await self.connection.recv()))

    async def close(self) -> None:
        await self.connection.close()


def _seed() -> dict:
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from apps.accounts.services import api_token_create
    from apps.chat.channels import lobby_channel_get_or_create
    from tests.factories import TitleFactory
    from tests.players.factories import PlayerFactory

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    lobby = lobby_channel_get_or_create(title=TitleFactory(slug="outage-arena"))
    players = [
        PlayerFactory(display_name=f"p{n}", display_name_key=f"p{n}") for n in range(PLAYERS)
    ]
    tokens = [api_token_create(user=player.user, name="outage").secret for player in players]
    session = SessionStore()
    user = players[0].user
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"tokens": tokens, "player_ids": [p.id for p in players], "lobby_id": lobby.id,
            "session_cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.test")
    print(json.dumps(_seed()))
