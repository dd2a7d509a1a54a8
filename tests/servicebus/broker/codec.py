"""AMQP 1.0 message (de)serialisation at the *section* level.

The broker never round-trips a client's message through ``proton.Message``: that would lose
multiple body sections and footers, and proton drops header fields equal to their default (a
``delivery-count`` of 0 would go out as null, and the SDK then reports ``delivery_count=None``).
Instead a message is kept as its raw encoded sections; only the header, the message annotations
and (for dead-lettering) the application properties are rebuilt when the message is delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proton import Data, Described, timestamp, uint, ulong

HEADER = 0x70
DELIVERY_ANNOTATIONS = 0x71
MESSAGE_ANNOTATIONS = 0x72
PROPERTIES = 0x73
APPLICATION_PROPERTIES = 0x74
DATA = 0x75
AMQP_SEQUENCE = 0x76
AMQP_VALUE = 0x77
FOOTER = 0x78

_SYMBOLIC = {
    "amqp:header:list": HEADER,
    "amqp:delivery-annotations:map": DELIVERY_ANNOTATIONS,
    "amqp:message-annotations:map": MESSAGE_ANNOTATIONS,
    "amqp:properties:list": PROPERTIES,
    "amqp:application-properties:map": APPLICATION_PROPERTIES,
    "amqp:data:binary": DATA,
    "amqp:amqp-sequence:list": AMQP_SEQUENCE,
    "amqp:amqp-value:*": AMQP_VALUE,
    "amqp:footer:map": FOOTER,
}
_BODY_CODES = (DATA, AMQP_SEQUENCE, AMQP_VALUE, FOOTER)


class CodecError(ValueError):
    """The payload is not a well-formed sequence of AMQP message sections."""


def copy_value(value: Any) -> Any:
    """Deep-copy a decoded value, turning memoryviews into bytes.

    proton's ``Data.get_object`` returns binaries as memoryviews into C memory that is freed with
    the ``Data`` object; keeping one around corrupts batches later (found in the prototype).
    """
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, dict):
        return type(value)((copy_value(k), copy_value(v)) for k, v in value.items())
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(copy_value(v) for v in value)
    if isinstance(value, Described):
        return Described(copy_value(value.descriptor), copy_value(value.value))
    return value


def decode_value(raw: bytes | memoryview) -> Any:
    """Decode exactly one AMQP value from ``raw``."""
    data = Data()
    data.decode(raw)
    data.rewind()
    data.next()
    return copy_value(data.get_object())


def encode_value(value: Any) -> bytes:
    data = Data()
    data.put_object(value)
    return bytes(data.encode())


def split_sections(payload: bytes | memoryview) -> list[tuple[int, bytes]]:
    """Split an encoded message into ``(section code, raw bytes)`` pairs, in wire order."""
    view = memoryview(payload)
    sections: list[tuple[int, bytes]] = []
    offset = 0
    data = Data()
    while offset < len(view):
        data.clear()
        try:
            consumed = data.decode(view[offset:])
        except Exception as exc:  # proton raises DataException/ProtonException subclasses
            raise CodecError(str(exc)) from exc
        if consumed <= 0:
            raise CodecError("no progress while decoding sections")
        data.rewind()
        data.next()
        if not data.is_described():
            raise CodecError("top-level value is not a described section")
        data.enter()
        data.next()
        descriptor = data.get_object()
        data.exit()
        code = _SYMBOLIC.get(str(descriptor)) if isinstance(descriptor, str) else int(descriptor)
        if code is None or not HEADER <= code <= FOOTER:
            raise CodecError(f"unknown section descriptor {descriptor!r}")
        sections.append((code, view[offset : offset + consumed].tobytes()))
        offset += consumed
    return sections


@dataclass
class MessageSections:
    """A message as the broker stores it: decoded where it edits, raw bytes elsewhere."""

    header: list[Any] = field(default_factory=list)  # durable, priority, ttl, first-acquirer
    annotations: dict[Any, Any] = field(default_factory=dict)
    properties_raw: bytes = b""
    application_properties: dict[Any, Any] | None = None
    body_raw: bytes = b""  # every body section plus the footer, verbatim
    message_id: Any = None
    size: int = 0

    def copy(self) -> MessageSections:
        """Topic fan-out copies: the annotation and property dicts must not be shared."""
        return MessageSections(
            header=list(self.header),
            annotations=dict(self.annotations),
            properties_raw=self.properties_raw,
            application_properties=(
                None if self.application_properties is None else dict(self.application_properties)
            ),
            body_raw=self.body_raw,
            message_id=self.message_id,
            size=self.size,
        )


def parse_message(payload: bytes | memoryview) -> MessageSections:
    parts = MessageSections(size=len(payload))
    body: list[bytes] = []
    for code, raw in split_sections(payload):
        if code == HEADER:
            parts.header = list(decode_value(raw).value or [])[:4]
        elif code == MESSAGE_ANNOTATIONS:
            parts.annotations = dict(decode_value(raw).value or {})
        elif code == PROPERTIES:
            parts.properties_raw = raw
            props = decode_value(raw).value or []
            parts.message_id = props[0] if props else None
        elif code == APPLICATION_PROPERTIES:
            parts.application_properties = dict(decode_value(raw).value or {})
        elif code in _BODY_CODES:
            body.append(raw)
        # delivery-annotations are hop-by-hop: deliberately dropped
    parts.body_raw = b"".join(body)
    return parts


def split_batch(payload: bytes | memoryview) -> list[bytes] | None:
    """Return the inner messages if ``payload`` is an SDK batch envelope, else ``None``.

    The SDK marks batches with message-format 0x80013700, which proton's Python API does not
    expose. So a batch is recognised by its structure: at least one data section and every data
    section decodes completely as an AMQP message. Limitation: a single message whose binary body
    is itself an encoded AMQP message would be taken for a batch.
    """
    try:
        sections = split_sections(payload)
    except CodecError:
        return None
    inner = [decode_value(raw).value for code, raw in sections if code == DATA]
    if not inner or any(code in (AMQP_VALUE, AMQP_SEQUENCE) for code, _ in sections):
        return None
    for item in inner:
        if not isinstance(item, bytes) or not item.startswith(b"\x00"):
            return None
        try:
            split_sections(item)
        except CodecError:
            return None
    return inner


def _described(code: int, value: Any) -> bytes:
    return encode_value(Described(ulong(code), value))


def encode_message(
    parts: MessageSections,
    *,
    delivery_count: int,
    annotations: dict[Any, Any],
    application_properties: dict[Any, Any] | None = None,
) -> bytes:
    """Encode ``parts`` for a transfer, with an explicit header and merged annotations."""
    header = [*(list(parts.header) + [None] * 4)[:4], uint(delivery_count)]
    merged = dict(parts.annotations)
    merged.update(annotations)
    app_props = parts.application_properties
    if application_properties:
        app_props = {**(app_props or {}), **application_properties}
    chunks = [_described(HEADER, header), _described(MESSAGE_ANNOTATIONS, merged)]
    if parts.properties_raw:
        chunks.append(parts.properties_raw)
    if app_props is not None:
        chunks.append(_described(APPLICATION_PROPERTIES, app_props))
    chunks.append(parts.body_raw)
    return b"".join(chunks)


def ms_timestamp(seconds: float) -> timestamp:
    return timestamp(int(seconds * 1000))
