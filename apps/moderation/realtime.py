"""Moderation on the one websocket: a banned or suspended player's socket is refused when it
authenticates (the ``sanction`` frame says why and until when, then ``error`` and close 4008 /
4009). Sockets already open are closed by ``apps.moderation.sanctions`` when the sanction is
issued, in every process."""

from typing import Any

from apps.moderation.enforcement import CLOSE_CODES, session_refusal_for_user
from apps.realtime.auth import credential_of
from apps.realtime.registry import SessionSetup, SocketRefused


def _refuse_sanctioned(consumer: Any) -> None:
    """Off the loop, with the connect's other setup work (``SessionSetup``). No query when
    the bearer token's lookup already found no session-ending sanction (its login gate hint)."""
    if credential_of(consumer.scope).login_gates_passed:
        return
    refusal = session_refusal_for_user(user_id=consumer.scope["user"].id)
    if refusal is None:
        return
    details = refusal.details
    raise SocketRefused(
        code=refusal.code, message=refusal.message, close_code=CLOSE_CODES[details["kind"]],
        frame={"type": "sanction", "id": details["sanction_id"], "status": "active",
               "kind": details["kind"], "title": details["title"],
               "reason_category": details["reason_category"], "reason": details["reason"],
               "until": details["expires_at"], "appeal_url": details["appeal_url"]},
    )  # fmt: skip


session_setup = SessionSetup(prepare=_refuse_sanctioned)
