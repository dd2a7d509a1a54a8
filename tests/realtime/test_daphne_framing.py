"""Daphne as we start it frames a fan-out frame once for all its sockets
(``community.daphne_server.FramedOnceProtocol``): what every client receives is still each
message, byte for byte the same on every socket, in order with that socket's other frames,
whatever the frame's length encoding (7-bit, 16-bit, 64-bit)."""

import asyncio
import json
import threading

import pytest
import websockets

from apps.accounts.services import api_token_create
from tests.ops.test_metrics import sample, scrape
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne
from tests.support.wsclient import SUBPROTOCOL, RawSocket, StalledSocket

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

SETTINGS = {
    "CHAT_RATE_PLAYER_CAPACITY": "100000",
    "CHAT_RATE_CHANNEL_CAPACITY": "100000",
    "MODERATION_REPEAT_LIMIT": "100000",
    "CHAT_MESSAGE_MAX_LENGTH": "80000",
    "WEBSOCKET_MAX_MESSAGE_BYTES": str(512 * 1024),
}
# Frames of a few hundred bytes (16-bit length), one of some 2 KB of multi-byte UTF-8 (the
# length is counted in bytes, not characters) and one over 65,535 bytes (64-bit length).
BODIES = ["gg", "ça va? ça va? ça va?", "こんにちは、世界" * 90, "x" * 70000, "gl hf"]
READERS = 5


class TextReader:
    """A socket that keeps every text frame it receives, as received, in order."""

    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket
        self.texts: list[str] = []
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, token: str) -> "TextReader":
        socket = await websockets.connect(
            url, subprotocols=[SUBPROTOCOL, f"bearer.{token}"], max_size=2**20
        )
        return cls(socket)

    async def _read(self) -> None:
        async for text in self.socket:
            self.texts.append(text)

    def frames(self) -> list[dict]:
        return [json.loads(text) for text in self.texts]

    def message_texts(self) -> list[str]:
        return [text for text in self.texts if json.loads(text)["type"] == "message"]

    async def call(self, frame: dict) -> None:
        """Send ``frame`` and wait for its reply (by ``id``)."""
        await self.socket.send(json.dumps(frame))
        async with asyncio.timeout(20):
            while not any(reply.get("id") == frame["id"] for reply in self.frames()):
                await asyncio.sleep(0.01)

    async def wait_for_messages(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.message_texts()) < count:
                await asyncio.sleep(0.01)


def read_raw_messages(raw: StalledSocket, count: int, into: list[bytes]) -> None:
    """Each message frame's payload as it came over TCP, and each other frame's as well."""
    raw.sock.settimeout(30)
    while sum(b'"type": "message"' in p or b'"type":"message"' in p for p in into) < count:
        frame = raw.next_frame()
        assert frame is not None, "closed before every message came"
        assert frame[0] == 0x1  # a text frame, unfragmented
        into.append(frame[1])


def raw_reader(
    port: int, secret: str, lobby_id: int, count: int, into: list[bytes]
) -> tuple[StalledSocket, threading.Thread]:
    """A raw TCP websocket subscribed to the lobby, its frames read into ``into`` by a thread
    until ``count`` messages came."""
    raw = StalledSocket(port, secret, receive_buffer=4 * 2**20)
    raw.send_json({"type": "hello", "id": "h", "version": 1})
    raw.wait_for("welcome")
    raw.send_json({"type": "subscribe", "id": "s", "channels": [{"channel_id": lobby_id}]})
    raw.wait_for("subscribed")
    reading = threading.Thread(target=read_raw_messages, args=(raw, count, into))
    reading.start()
    return raw, reading


async def scenario(url: str, lobby_id: int, secrets: list[str]) -> tuple[list, list]:
    sender = await TextReader.open(url, secrets[0])
    await sender.call({"type": "hello", "id": "h", "version": 1})
    readers = [await TextReader.open(url, secret) for secret in secrets[1:]]
    for reader in readers:
        await reader.call({"type": "hello", "id": "h", "version": 1})
        await reader.call({"type": "subscribe", "id": "s", "channels": [{"channel_id": lobby_id}]})
    for number, body in enumerate(BODIES):
        await sender.call(
            {"type": "send", "id": f"m{number}", "channel_id": lobby_id, "body": body}
        )
        # Frames of each socket's own between the fan-out frames (short: 7-bit length).
        await asyncio.gather(
            *(reader.call({"type": "ping", "id": f"p{number}"}) for reader in readers)
        )
    for reader in readers:
        await reader.wait_for_messages(len(BODIES))
    outcome = [reader.texts for reader in readers], [reader.message_texts() for reader in readers]
    for socket in [sender, *readers]:
        await socket.socket.close()
    return outcome


def test_every_socket_gets_each_fanned_out_frame_byte_identical_and_in_order(
    live_tmp, lobby, settings
):
    # Daphne's own frame limit comes from this process's settings (``daphne_argv``).
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = int(SETTINGS["WEBSOCKET_MAX_MESSAGE_BYTES"])
    players = [PlayerFactory() for _ in range(READERS + 1)]
    secrets = [api_token_create(user=player.user, name="framing").secret for player in players]
    raw_payloads: list[bytes] = []

    with run_daphne(live_tmp, **SETTINGS) as server:
        raw, reading = raw_reader(server.port, secrets[-1], lobby.id, len(BODIES), raw_payloads)
        texts, messages = asyncio.run(scenario(server.ws_url, lobby.id, secrets[:-1]))
        reading.join()
        raw.close()

    # The same bytes on every socket, the raw TCP reader's included.
    assert all(each == messages[0] for each in messages)
    raw_messages = [p for p in raw_payloads if json.loads(p)["type"] == "message"]
    assert raw_messages == [text.encode() for text in messages[0]]
    delivered = [json.loads(text)["message"] for text in messages[0]]
    assert [message["body"] for message in delivered] == BODIES
    assert [message["seq"] for message in delivered] == list(range(1, len(BODIES) + 1))
    # Each socket's own replies sit between them, in the order they were asked for.
    for frames in texts:
        kinds = [(frame["type"], frame.get("id")) for frame in map(json.loads, frames)]
        assert kinds.index(("subscribed", "s")) < kinds.index(("message", None))
        pongs = [kind for kind in kinds if kind[0] == "pong"]
        assert pongs == [("pong", f"p{number}") for number in range(len(BODIES))]
        # A message is only sent after the previous round's pongs: its frame comes after them.
        for number in range(1, len(BODIES)):
            assert (
                kinds.index(("pong", f"p{number - 1}"))
                < [index for index, kind in enumerate(kinds) if kind[0] == "message"][number]
            )


SENDERS, PIPELINED = 4, 15


async def pipelined_scenario(url: str, lobby_id: int, secrets: list[str]) -> list[list[str]]:
    """Every sender sends all its messages at once, without waiting for the replies: the group
    commit stores them in batches, and each batch reaches a socket as one write."""
    senders = [await TextReader.open(url, secret) for secret in secrets[:SENDERS]]
    readers = [await TextReader.open(url, secret) for secret in secrets[SENDERS:]]
    for socket in senders + readers:
        await socket.call({"type": "hello", "id": "h", "version": 1})
    for reader in readers:
        await reader.call({"type": "subscribe", "id": "s", "channels": [{"channel_id": lobby_id}]})
    await asyncio.gather(*(
        sender.socket.send(json.dumps(
            {"type": "send", "id": f"m{number}", "channel_id": lobby_id,
             "body": f"sender {index} message {number}"}
        ))
        for number in range(PIPELINED) for index, sender in enumerate(senders)
    ))  # fmt: skip
    for reader in readers:
        await reader.wait_for_messages(SENDERS * PIPELINED)
    outcome = [reader.message_texts() for reader in readers]
    for socket in senders + readers:
        await socket.socket.close()
    return outcome


def test_messages_committed_together_reach_every_socket_once_in_order_as_separate_frames(
    live_tmp, lobby
):
    players = [PlayerFactory() for _ in range(SENDERS + READERS + 1)]
    secrets = [api_token_create(user=player.user, name="framing").secret for player in players]
    raw_payloads: list[bytes] = []
    total = SENDERS * PIPELINED

    with run_daphne(live_tmp, **SETTINGS) as server:
        raw, reading = raw_reader(server.port, secrets[-1], lobby.id, total, raw_payloads)
        messages = asyncio.run(pipelined_scenario(server.ws_url, lobby.id, secrets[:-1]))
        reading.join()
        raw.close()
        metrics = scrape(f"{server.url}/metrics")[1]

    # Some commits stored several messages (else this test would not test batches).
    assert sample(metrics, "community_chat_commit_batch_size_count") < total
    assert all(each == messages[0] for each in messages)
    raw_messages = [p for p in raw_payloads if json.loads(p)["type"] == "message"]
    assert raw_messages == [text.encode() for text in messages[0]]  # one frame each
    delivered = [json.loads(text)["message"] for text in messages[0]]
    assert [message["seq"] for message in delivered] == list(range(1, total + 1))
    assert sorted(message["body"] for message in delivered) == sorted(
        f"sender {index} message {number}"
        for number in range(PIPELINED)
        for index in range(SENDERS)
    )


# A late reader: this much lobby traffic is more than the kernel holds for one socket (the
# server's send buffer is at most tcp_wmem's maximum, the reader's receive buffer is kept
# small), so the server writes part of some frames to the socket and keeps the rest for later
# behind which the next frames must wait; under the send queue's bound, raised here.
LATE_MESSAGES, LATE_BODY = 600, "y" * 15000
LATE_SETTINGS = {**SETTINGS, "WEBSOCKET_SEND_QUEUE_MAX_BYTES": str(64 * 2**20)}


def kernel_send_buffer_max() -> int:
    with open("/proc/sys/net/ipv4/tcp_wmem") as tcp_wmem:
        return int(tcp_wmem.read().split()[2])


def test_a_socket_that_reads_late_gets_every_frame_once_in_order(live_tmp, lobby):
    assert LATE_MESSAGES * len(LATE_BODY) > 2 * kernel_send_buffer_max()  # the premise
    players = [PlayerFactory() for _ in range(2)]
    secrets = [api_token_create(user=player.user, name="late").secret for player in players]

    async def send_all(url: str) -> None:
        sender = await RawSocket.open(url, secrets[0])
        for first in range(0, LATE_MESSAGES, 50):
            replies = await asyncio.gather(*(
                sender.request({"type": "send", "channel_id": lobby.id, "body": f"{n} {LATE_BODY}"})
                for n in range(first, first + 50)
            ))  # fmt: skip
            assert {reply["type"] for reply in replies} == {"sent"}, replies
        await sender.close()

    with run_daphne(live_tmp, **LATE_SETTINGS) as server:
        late = StalledSocket(server.port, secrets[1], receive_buffer=8 * 1024)
        late.send_json({"type": "subscribe", "id": "s", "channels": [{"channel_id": lobby.id}]})
        late.wait_for("subscribed")  # then reads nothing while the lobby streams
        asyncio.run(send_all(server.ws_url))
        received: list[bytes] = []
        read_raw_messages(late, LATE_MESSAGES, received)
        late.close()

    messages = [json.loads(payload) for payload in received]
    assert [m["type"] for m in messages] == ["message"] * LATE_MESSAGES  # no close, no error
    assert [m["message"]["seq"] for m in messages] == list(range(1, LATE_MESSAGES + 1))
    assert [m["message"]["body"] for m in messages] == [
        f"{n} {LATE_BODY}" for n in range(LATE_MESSAGES)
    ]
