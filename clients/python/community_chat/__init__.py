"""Reference asyncio client of the community chat protocol (docs/websocket-protocol.md)."""

from community_chat.backoff import Backoff
from community_chat.client import ChatClient, ChatError, Delivery, message_text

__all__ = ["Backoff", "ChatClient", "ChatError", "Delivery", "message_text"]
