"""Baseline: a raw ASGI websocket app under Daphne, no Channels, no Django. Every text frame
a client sends is written to every connected socket (one room). Daphne's own floor."""

from typing import Any

_sockets: set[Any] = set()


async def application(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return
    if scope["type"] != "websocket":
        return
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            _sockets.add(send)
        elif event["type"] == "websocket.receive":
            frame = {"type": "websocket.send", "text": event.get("text") or ""}
            for socket_send in list(_sockets):
                await socket_send(frame)
        else:
            _sockets.discard(send)
            return
