"""A small, complete client of the chat websocket protocol: the reference for game teams.

What it shows, in order of importance:

* **auth** — the bearer token goes in ``Sec-WebSocket-Protocol: community.v1, bearer.<token>``
  (never in the URL);
* **in-order, gapless delivery** — per channel it remembers the last sequence delivered;
  a duplicate is dropped, a hole (the server's realtime path is lossy) is filled by
  re-subscribing with ``last_seq``, and frames after the hole wait until it is filled;
* **resume** — after a reconnect every channel is re-subscribed with its ``last_seq``; when
  the server answers ``history_required`` the missed range is fetched with ``history``;
* **idempotent sends** — every send carries a ``client_msg_id``; a send interrupted by a
  disconnect is retried with the same id after reconnecting, so it is stored once;
* **reconnect with jittered exponential backoff**, honouring ``rate_limited.retry_after``.

Only depends on the ``websockets`` library.
"""

import asyncio
import contextlib
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

import websockets

SUBPROTOCOL = "community.v1"


class ChatError(Exception):
    """An ``error`` frame answering a request: ``code`` is the documented error code."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = frame.get("code")
        self.details = frame.get("details", {})
        self.frame = frame


@dataclass(frozen=True)
class Delivery:
    channel_id: int
    message: dict[str, Any]


class ChatClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        request_timeout: float = 10.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
        origin: str | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.origin = origin
        self.request_timeout = request_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.last_seq: dict[int, int] = {}  # channel id → last sequence delivered
        self.deliveries: asyncio.Queue[Delivery] = asyncio.Queue()
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # every other frame
        self.welcome: dict[str, Any] = {}
        self._held: dict[int, dict[int, dict[str, Any]]] = {}  # frames waiting behind a hole
        self._resyncing: set[int] = set()
        self._pending: dict[str, asyncio.Future] = {}
        self._socket: Any = None
        self._reader: asyncio.Task | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task | None = None
        self.reconnects = 0

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Open the socket, say hello, and keep it open (reconnecting) until ``close``."""
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise())
        return self.welcome

    async def _open(self) -> None:
        self._socket = await websockets.connect(
            self.url,
            subprotocols=[SUBPROTOCOL, f"bearer.{self.token}"],
            origin=self.origin,
            open_timeout=self.request_timeout,
            max_size=2**20,
        )
        self._reader = asyncio.create_task(self._read(self._socket))
        self.welcome = await self._request({"type": "hello", "version": 1})
        self._connected.set()
        if self.last_seq:
            await self._resubscribe(list(self.last_seq))

    async def _supervise(self) -> None:
        delay = self.backoff_initial
        while not self._closing:
            assert self._reader is not None
            with contextlib.suppress(Exception):
                await self._reader
            if self._closing:
                return
            self._connected.clear()
            while not self._closing:
                # Full jitter: a server restart must not become a synchronized stampede.
                await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 - jitter
                delay = min(self.backoff_max, delay * 2)
                try:
                    await self._open()
                    self.reconnects += 1
                    delay = self.backoff_initial
                    break
                except (OSError, websockets.WebSocketException, ChatError, TimeoutError):
                    continue

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            await self._socket.close()
        for task in (self._reader, self._supervisor):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def drop_connection(self) -> None:
        """Tests and demos: cut the TCP connection abruptly, as a network failure would."""
        self._socket.transport.abort()

    # --- requests ---------------------------------------------------------------------------

    async def _request(self, frame: dict[str, Any]) -> dict[str, Any]:
        request_id = uuid.uuid4().hex
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._socket.send(json.dumps({**frame, "id": request_id}))
            reply = await asyncio.wait_for(future, self.request_timeout)
        finally:
            self._pending.pop(request_id, None)
        if reply["type"] == "error":
            raise ChatError(reply)
        return reply

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a request once connected; raises ``ChatError`` on an ``error`` reply and
        ``ConnectionError`` when the socket dropped before the reply."""
        await asyncio.wait_for(self._connected.wait(), self.request_timeout)
        return await self._request(frame)

    async def subscribe(self, channel_ids: list[int]) -> dict[str, Any]:
        for channel_id in channel_ids:
            self.last_seq.setdefault(channel_id, -1)
        return await self._resubscribe(channel_ids)

    async def _resubscribe(self, channel_ids: list[int]) -> dict[str, Any]:
        entries = []
        for channel_id in channel_ids:
            last = self.last_seq.get(channel_id, -1)
            entries.append({"channel_id": channel_id, "last_seq": None if last < 0 else last})
        reply = await self._request({"type": "subscribe", "channels": entries})
        for entry in reply["channels"]:
            channel_id = entry["channel_id"]
            if self.last_seq.get(channel_id, -1) < 0:
                self.last_seq[channel_id] = entry["head_seq"]
            elif entry["resume"] == "history_required":
                await self._catch_up(channel_id, entry["head_seq"])
            self._resyncing.discard(channel_id)
            self._flush_held(channel_id)
        return reply

    async def _catch_up(self, channel_id: int, head: int) -> None:
        while self.last_seq[channel_id] < head:
            page = await self._request(
                {"type": "history", "channel_id": channel_id,
                 "after": self.last_seq[channel_id], "limit": 100}
            )  # fmt: skip
            if not page["messages"]:
                return
            for message in page["messages"]:
                self._accept(channel_id, message)

    async def send(
        self,
        channel_id: int | None,
        body: str,
        *,
        to_player_id: int | None = None,
        client_msg_id: str | None = None,
        attempts: int = 5,
    ) -> dict[str, Any]:
        """Send a message; retried with the same ``client_msg_id`` across reconnects and
        rate limits, so the server stores it exactly once. Returns the ``sent`` reply."""
        frame: dict[str, Any] = {"type": "send", "body": body,
                                 "client_msg_id": client_msg_id or uuid.uuid4().hex}  # fmt: skip
        if to_player_id is not None:
            frame["to_player_id"] = to_player_id
        else:
            frame["channel_id"] = channel_id
        for attempt in range(attempts):
            try:
                return await self.request(frame)
            except ChatError as error:
                if error.code != "rate_limited" or attempt == attempts - 1:
                    raise
                await asyncio.sleep(error.details.get("retry_after", 1))
            except (ConnectionError, TimeoutError, websockets.ConnectionClosed):
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # --- receiving --------------------------------------------------------------------------

    async def _read(self, socket: Any) -> None:
        try:
            async for text in socket:
                frame = json.loads(text)
                future = self._pending.get(frame.get("id") or "")
                if future is not None and not future.done():
                    future.set_result(frame)
                elif frame["type"] == "message":
                    self._on_message(frame["channel_id"], frame["message"])
                else:
                    self.events.put_nowait(frame)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the socket closed"))

    def _on_message(self, channel_id: int, message: dict[str, Any]) -> None:
        last = self.last_seq.get(channel_id)
        if last is None:
            return  # not subscribed
        seq = message["seq"]
        if last < 0:
            # Live frames can overtake the ``subscribed`` reply: hold them until it says
            # where the channel stood.
            self._held.setdefault(channel_id, {})[seq] = message
            return
        if seq <= last:
            return  # duplicate
        if seq == last + 1:
            self._accept(channel_id, message)
            self._flush_held(channel_id)
            return
        self._held.setdefault(channel_id, {})[seq] = message
        if channel_id not in self._resyncing and self._connected.is_set():
            self._resyncing.add(channel_id)
            asyncio.get_running_loop().create_task(self._fill_hole(channel_id))

    async def _fill_hole(self, channel_id: int) -> None:
        with contextlib.suppress(Exception):
            await self._resubscribe([channel_id])

    def _accept(self, channel_id: int, message: dict[str, Any]) -> None:
        if message["seq"] != self.last_seq[channel_id] + 1:
            return
        self.last_seq[channel_id] = message["seq"]
        self.deliveries.put_nowait(Delivery(channel_id=channel_id, message=message))

    def _flush_held(self, channel_id: int) -> None:
        held = self._held.get(channel_id, {})
        while self.last_seq[channel_id] + 1 in held:
            self._accept(channel_id, held.pop(self.last_seq[channel_id] + 1))
        for seq in [seq for seq in held if seq <= self.last_seq[channel_id]]:
            del held[seq]
