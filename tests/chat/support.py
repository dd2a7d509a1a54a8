"""Driving the real ASGI app (origin check, auth middleware, router, consumer) in-process."""

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts.services import api_token_create
from community.asgi import application

TIMEOUT = 5
OTHER_APPS_FRAMES = {"presence", "notification"}


class ChatSocket:
    """A test client: ``call`` sends a request and returns its reply; other frames that
    arrive meanwhile are kept in ``inbox`` for ``next_of``."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.inbox: list[dict[str, Any]] = []
        self.counter = 0
        self.welcome: dict[str, Any] = {}

    async def send(self, frame: dict[str, Any]) -> None:
        await self.communicator.send_json_to(frame)

    async def call(self, frame: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        request_id = f"r{self.counter}"
        await self.send({**frame, "id": request_id})
        while True:
            received = await self.communicator.receive_json_from(timeout=TIMEOUT)
            if received.get("id") == request_id:
                return received
            self.inbox.append(received)

    async def next_of(self, frame_type: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        for index, frame in enumerate(self.inbox):
            if frame["type"] == frame_type:
                return self.inbox.pop(index)
        while True:
            received = await self.communicator.receive_json_from(timeout=timeout)
            if received["type"] == frame_type:
                return received
            self.inbox.append(received)

    async def messages(self, count: int) -> list[dict[str, Any]]:
        return [(await self.next_of("message"))["message"] for _ in range(count)]

    async def nothing_more(self, wait: float = 0.3) -> bool:
        """No chat frame pending (presence and notification frames of apps.players aside)."""
        self.inbox = [frame for frame in self.inbox if frame["type"] not in OTHER_APPS_FRAMES]
        if self.inbox:
            return False
        while not await self.communicator.receive_nothing(timeout=wait):
            frame = await self.communicator.receive_json_from(timeout=TIMEOUT)
            if frame["type"] not in OTHER_APPS_FRAMES:
                self.inbox.append(frame)
                return False
        return True

    async def closed(self) -> dict[str, Any]:
        """The close event, skipping frames still on their way to the socket."""
        while True:
            output = await self.communicator.receive_output(timeout=TIMEOUT)
            if output["type"] == "websocket.close":
                return output

    async def close(self) -> None:
        await self.communicator.disconnect()


async def token_for(user: Any) -> str:
    created = await database_sync_to_async(api_token_create)(user=user, name="test")
    return created.secret


async def open_socket(user: Any = None, *, token: str | None = None) -> ChatSocket:
    """A game-client socket (no Origin) authenticated with a bearer subprotocol, after hello."""
    if token is None:
        token = await token_for(user)
    communicator = WebsocketCommunicator(
        application, "/ws/", subprotocols=["community.v1", f"bearer.{token}"]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    socket = ChatSocket(communicator)
    socket.welcome = await socket.call({"type": "hello", "version": 1})
    return socket


def message_resume(entry: dict[str, Any]) -> dict[str, Any]:
    """The message-resume part of a ``subscribed`` channel entry."""
    return {key: entry[key] for key in ("channel_id", "resume", "head_seq", "replayed")}


async def settle() -> None:
    """Let published frames travel through the layer and the hub."""
    await asyncio.sleep(0.05)
