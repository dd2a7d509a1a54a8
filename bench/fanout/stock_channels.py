"""Baseline: a stock Channels consumer, one ``group_send`` per message on the Redis layer;
each subscribed consumer receives its own layer message and JSON-encodes the frame."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.local")

import django

django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

ROOM = "bench.room"


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(ROOM, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(ROOM, self.channel_name)

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        await self.channel_layer.group_send(ROOM, {"type": "room.message", "frame": content})

    async def room_message(self, event: dict) -> None:
        await self.send_json(event["frame"])


application = URLRouter([path("ws/", RoomConsumer.as_asgi())])
