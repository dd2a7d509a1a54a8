"""A bare websocket client for tests against a real Daphne: what it receives is kept as it
came (no reconnect, no resume, no de-duplication), so a test sees exactly what the server did
— a close code, a duplicate, a hole."""

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

import websockets

SUBPROTOCOL = "community.v1"


class RawSocket:
    """One socket: ``request`` sends a frame and waits for its reply; every ``message`` frame is
    recorded in ``messages`` (in arrival order) by a reader task."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.replies: dict[str, asyncio.Future] = {}
        self.arrived = asyncio.Condition()
        self.counter = 0
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, token: str, **options: Any) -> "RawSocket":
        socket = await websockets.connect(
            url, subprotocols=[SUBPROTOCOL, f"bearer.{token}"], **options
        )
        client = cls(socket)
        welcome = await client.request({"type": "hello", "version": 1})
        assert welcome["type"] == "welcome", welcome
        return client

    async def _read(self) -> None:
        try:
            async for text in self.socket:
                frame = json.loads(text)
                self.frames.append(frame)
                future = self.replies.pop(str(frame.get("id")), None)
                if future is not None and not future.done():
                    future.set_result(frame)
                if frame["type"] == "message":
                    self.messages.append(frame["message"])
                async with self.arrived:
                    self.arrived.notify_all()
        except websockets.ConnectionClosed:
            pass  # the server closed it: the waiters below learn it from the finally
        finally:
            for future in self.replies.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))
            async with self.arrived:
                self.arrived.notify_all()

    async def request(self, frame: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
        self.counter += 1
        request_id = f"q{self.counter}"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.replies[request_id] = future
        await self.socket.send(json.dumps({**frame, "id": request_id}))
        async with asyncio.timeout(timeout):
            return await future

    async def subscribe(self, channel_id: int) -> dict[str, Any]:
        reply = await self.request({"type": "subscribe", "channels": [{"channel_id": channel_id}]})
        assert reply["type"] == "subscribed", reply
        return reply

    async def wait_for_messages(self, count: int, timeout: float = 30) -> list[int]:
        """The ``seq`` of every message received, once at least ``count`` have arrived."""
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.messages) >= count or self.reader.done())
        return self.seqs()

    def seqs(self) -> list[int]:
        return [message["seq"] for message in self.messages]

    @property
    def close_code(self) -> int | None:
        return self.socket.close_code

    @property
    def is_open(self) -> bool:
        return not self.reader.done()

    async def close(self) -> None:
        await self.socket.close()
        await self.reader


class StalledSocket:
    """A websocket over a bare TCP socket that completes the handshake, subscribes, and then
    reads nothing until told to (``drain``): a client that stopped reading. Its receive buffer
    is kept small so the kernel hides little of what the server holds for it."""

    def __init__(self, port: int, token: str, *, receive_buffer: int = 16 * 1024) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect(("127.0.0.1", port))
        self.pending = b""
        self._handshake(port, token)

    def _handshake(self, port: int, token: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {SUBPROTOCOL}, bearer.{token}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self.pending:
            self.pending += self.sock.recv(4096)
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_json(self, frame: dict[str, Any]) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read_exactly(self, count: int) -> bytes | None:
        while len(self.pending) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.pending += chunk
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def next_frame(self) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame; None when the connection ended."""
        head = self._read_exactly(2)
        if head is None:
            return None
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            extended = self._read_exactly(2)
            length = struct.unpack("!H", extended)[0] if extended else 0
        elif length == 127:
            extended = self._read_exactly(8)
            length = struct.unpack("!Q", extended)[0] if extended else 0
        payload = self._read_exactly(length)
        return None if payload is None else (opcode, payload)

    def wait_for(self, frame_type: str) -> dict[str, Any]:
        while True:
            frame = self.next_frame()
            assert frame is not None, f"closed before {frame_type}"
            decoded = json.loads(frame[1]) if frame[0] == 0x1 else {}
            if decoded.get("type") == frame_type:
                return decoded

    def drain(self, timeout: float = 30) -> tuple[int, int | None]:
        """Read everything the server still sends: (message frames, close code or None when
        the connection ended without a close frame)."""
        self.sock.settimeout(timeout)
        messages = 0
        try:
            while (frame := self.next_frame()) is not None:
                opcode, payload = frame
                if opcode == 0x8:
                    return messages, struct.unpack("!H", payload[:2])[0] if payload else None
                if opcode == 0x1 and json.loads(payload).get("type") == "message":
                    messages += 1
        except (ConnectionResetError, TimeoutError):
            pass  # dropped without a close frame, or nothing more came: no close code
        return messages, None

    def close(self) -> None:
        self.sock.close()
