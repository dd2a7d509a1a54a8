"""A websocket load client for benches that costs far less than the servers it drives.

Hand-written RFC 6455 framing on an ``asyncio.Protocol`` (uvloop when installed): client frames
are masked with the all-zero key (valid per RFC 6455 §5.3, and the payload needs no XOR),
received frames are parsed in place from one buffer per socket and handed to a callback as
``bytes``: no per-frame objects beyond the payload, no per-socket task. Pings are answered;
fragmented messages are reassembled; nothing else of the protocol is needed by a bench.

A full websocket library spends several times the CPU per received frame, and a bench built on
one measures its own client (see ``/work/shared/reference/benchmarking.md``, rule 1): every
bench that uses this client prints its calibration against the plain ``websockets`` server.
"""

import asyncio
import base64
import os
import struct
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

try:
    import uvloop
except ImportError:  # the benches still run, a little slower, on the default loop
    uvloop = None

OnFrame = Callable[[bytes], None]

OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY = 0x0, 0x1, 0x2
OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 0x8, 0x9, 0xA
ZERO_MASK = b"\x00\x00\x00\x00"


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` on uvloop when it is installed."""
    if uvloop is not None:
        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def loop_name() -> str:
    return "uvloop" if uvloop is not None else "asyncio"


def frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame, masked with the zero key."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0xFE, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0xFF, size)
    return header + ZERO_MASK + payload


class HandshakeError(ConnectionError):
    """The server did not answer the upgrade with 101 (its status line is the message)."""


class Socket(asyncio.Protocol):
    """One client websocket. ``on_frame`` gets every text or binary message's payload."""

    def __init__(self, request: bytes, on_frame: OnFrame) -> None:
        loop = asyncio.get_running_loop()
        self.on_frame = on_frame
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._request = request
        self._buffer = bytearray()
        self._upgraded = False
        self._fragments: bytearray | None = None
        self._expect: tuple[bytes, asyncio.Future[bytes]] | None = None

    # --- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or HandshakeError("closed during the handshake"))
        if self._expect is not None and not self._expect[1].done():
            self._expect[1].set_exception(ConnectionError("socket closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            del buffer[: end + 4]
            if status.split(b" ", 2)[1:2] != [b"101"]:
                self.opened.set_exception(HandshakeError(status.decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self._upgraded = True
            self.opened.set_result(None)
        offset, size = 0, len(buffer)
        while size - offset >= 2:
            first, length = buffer[offset], buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if size - start < 2:
                    break
                length = (buffer[start] << 8) | buffer[start + 1]
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                (length,) = struct.unpack_from("!Q", buffer, start)
                start += 8
            end = start + length
            if end > size:
                break
            self._frame(first, bytes(buffer[start:end]))
            offset = end
        if offset:
            del buffer[:offset]

    # --- frames -------------------------------------------------------------------------
    def _frame(self, first: int, payload: bytes) -> None:
        opcode, final = first & 0x0F, first & 0x80
        if opcode in (OPCODE_TEXT, OPCODE_BINARY, OPCODE_CONTINUATION):
            if not final:  # a fragment: keep it until the final one
                self._fragments = (self._fragments or bytearray()) + payload
                return
            if self._fragments is not None:
                payload, self._fragments = bytes(self._fragments + payload), None
            expect = self._expect
            if expect is not None and expect[0] in payload:
                self._expect = None
                expect[1].set_result(payload)
                return
            self.on_frame(payload)
        elif opcode == OPCODE_PING:
            self._write(frame(OPCODE_PONG, payload))
        elif opcode == OPCODE_CLOSE:
            self._write(frame(OPCODE_CLOSE, payload[:2]))
            assert self.transport is not None
            self.transport.close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send(self, text: str | bytes) -> None:
        self._write(frame(OPCODE_TEXT, text.encode() if isinstance(text, str) else text))

    async def expect(self, marker: bytes, *, within: float = 60) -> bytes:
        """The next message containing ``marker`` (setup replies: ``subscribed``, ``welcome``);
        other messages still go to ``on_frame``."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._expect = (marker, future)
        return await asyncio.wait_for(future, within)

    async def request(self, text: str, marker: bytes, *, within: float = 60) -> bytes:
        """Send a frame and wait for the reply that contains ``marker``."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._expect = (marker, future)
        self.send(text)
        return await asyncio.wait_for(future, within)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(frame(OPCODE_CLOSE, struct.pack("!H", 1000)))
            self.transport.close()


async def connect(
    host: str,
    port: int,
    path: str,
    on_frame: OnFrame,
    *,
    subprotocols: Iterable[str] = (),
    within: float = 60,
) -> Socket:
    """An open websocket (the handshake answered 101), or ``HandshakeError``."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    protocols = ", ".join(subprotocols)
    if protocols:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _transport, socket = await asyncio.wait_for(
        loop.create_connection(lambda: Socket(request, on_frame), host, port), within
    )
    await asyncio.wait_for(socket.opened, within)
    return socket
