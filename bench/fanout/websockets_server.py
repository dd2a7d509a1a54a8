"""Baseline: a plain ``websockets`` server (the physical limit of this machine): every text
frame is broadcast to every connection. Run: ``python -m bench.fanout.websockets_server PORT``."""

import asyncio
import sys

from websockets.asyncio.server import broadcast, serve

_connections: set = set()


async def handler(connection) -> None:  # type: ignore[no-untyped-def]
    _connections.add(connection)
    try:
        async for text in connection:
            broadcast(_connections, text)
    finally:
        _connections.discard(connection)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, backlog=2048, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
