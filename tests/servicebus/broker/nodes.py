"""Request/response nodes: ``$cbs`` (put-token) and ``<entity>/$management``.

Replies go out on the broker's sender link *of the same connection* whose source is the node:
the SDK opens one connection per sender/receiver and never sets reply-to for CBS.
Status property names differ: CBS uses ``status-code``, management uses ``statusCode`` and the
SDK picks the exception type from ``errorCondition`` (not from the status code).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from proton import Array, Data, Delivery, Link, Message, symbol

from .codec import encode_message
from .store import Entity, EntityNotFoundError, LockLostError, entity_path

if TYPE_CHECKING:
    from .server import AmqpServer

log = logging.getLogger(__name__)

MGMT_SUFFIX = "/$management"


def handle_request(server: AmqpServer, link: Link, delivery: Delivery, payload: bytes) -> None:
    request = Message()
    request.decode(payload)
    delivery.update(Delivery.ACCEPTED)
    delivery.settle()
    node = entity_path(link.remote_target.address)
    props = dict(request.properties or {})
    operation = str(props.get("operation", ""))
    if node == "$cbs":
        # Any token is accepted: the double does not verify SAS signatures or JWTs.
        with server.store.lock:
            server.store.tokens_put.append((str(props.get("type", "")), str(props.get("name", ""))))
        reply = Message(properties={"status-code": 202, "status-description": "Accepted"})
    else:
        reply = _management(server, node[: -len(MGMT_SUFFIX)], operation, request.body)
    reply.correlation_id = request.id  # must keep the UUID type of the request's message-id
    reply_node = entity_path(request.reply_to) if request.reply_to else node
    links = link.connection.reply_links
    out = links.get(reply_node) or links.get(node)
    if out is None:
        log.warning("no reply link for node %s on this connection", node)
        return
    reply_delivery = out.delivery(uuid.uuid4().bytes)
    out.send(reply.encode())
    out.advance()
    if out.snd_settle_mode == Link.SND_SETTLED:
        reply_delivery.settle()


def _status(code: int, description: str, condition: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"statusCode": code, "statusDescription": description}
    if condition:
        props["errorCondition"] = symbol(condition)
    return props


def _tokens(body: dict[str, Any]) -> list[uuid.UUID]:
    raw = body.get("lock-tokens") or []
    items = raw.elements if isinstance(raw, Array) else raw
    return [item if isinstance(item, uuid.UUID) else uuid.UUID(bytes=bytes(item)) for item in items]


def _management(server: AmqpServer, path: str, operation: str, body: Any) -> Message:
    store = server.store
    body = {str(k): v for k, v in dict(body or {}).items()}
    try:
        entity = store.entity(path)
    except EntityNotFoundError:
        return Message(properties=_status(404, f"{path} not found", "amqp:not-found"), body={})
    try:
        if operation == "com.microsoft:renew-lock":
            expirations = [store.renew(entity, token) for token in _tokens(body)]
            stamps = Array(None, Data.TIMESTAMP, *[int(e * 1000) for e in expirations])
            return Message(properties=_status(200, "OK"), body={"expirations": stamps})
        if operation == "com.microsoft:update-disposition":
            _update_disposition(server, entity, body)
            return Message(properties=_status(200, "OK"), body={})
        if operation == "com.microsoft:peek-message":
            return _peek(server, entity, body)
    except LockLostError:
        return Message(
            properties=_status(
                410, "The lock supplied is invalid.", "com.microsoft:message-lock-lost"
            ),
            body={},
        )
    return Message(
        properties=_status(501, f"{operation} is not implemented", "amqp:not-implemented"), body={}
    )


def _update_disposition(server: AmqpServer, entity: Entity, body: dict[str, Any]) -> None:
    store = server.store
    status = str(body.get("disposition-status", ""))
    for token in _tokens(body):
        if status == "completed":
            store.complete(entity, token)
        elif status == "abandoned":
            store.abandon(entity, token)
        elif status == "suspended":
            reason = body.get("deadletter-reason")
            description = body.get("deadletter-description")
            store.dead_letter(
                entity,
                token,
                None if reason is None else str(reason),
                None if description is None else str(description),
            )
        elif status == "defered":  # sic: the SDK's spelling
            store.defer(entity, token)
    server.pump([entity])


def _peek(server: AmqpServer, entity: Entity, body: dict[str, Any]) -> Message:
    start = int(body.get("from-sequence-number") or 0)
    count = int(body.get("message-count") or 1)
    found = server.store.peek(entity.name, start, count)
    if not found:
        return Message(properties=_status(204, "No messages"), body={})
    encoded = []
    for msg in found:
        annotations = msg.annotations()
        # A peeked message is not locked by the peeker: do not leak a lock token.
        annotations.pop(symbol("x-opt-lock-token"), None)
        raw = encode_message(msg.parts, delivery_count=msg.delivery_count, annotations=annotations)
        encoded.append({"message": raw})
    return Message(properties=_status(200, "OK"), body={"messages": encoded})
