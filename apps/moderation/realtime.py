"""Moderation on the one websocket: a banned or suspended player's socket is refused when it
authenticates (the ``sanction`` frame says why and until when, then ``error`` and close 4008 /
4009). Sockets already open are closed by ``apps.moderation.sanctions`` when the sanction is
issued, in every process."""

from typing import Any

from channels.db import database_sync_to_async

from apps.moderation.enforcement import CLOSE_CODES, session_refusal_for_user
from apps.realtime.registry import SocketRefused


async def on_authenticated(consumer: Any) -> None:
    refusal = await database_sync_to_async(session_refusal_for_user)(
        user_id=consumer.scope["user"].id
    )
    if refusal is None:
        return
    details = refusal.details
    await consumer.send_json(
        {"type": "sanction", "id": details["sanction_id"], "status": "active",
         "kind": details["kind"], "title": details["title"],
         "reason_category": details["reason_category"], "reason": details["reason"],
         "until": details["expires_at"], "appeal_url": details["appeal_url"]}
    )  # fmt: skip
    raise SocketRefused(
        code=refusal.code, message=refusal.message, close_code=CLOSE_CODES[details["kind"]]
    )
