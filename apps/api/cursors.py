"""Signed pagination cursors, cheap enough to make on every page.

``django.core.signing.dumps`` derives its key (two SHA-256 runs), adds a timestamp and walks
the key fallbacks on every call: about 11 µs to sign a cursor and 11 to check one. Here the
key for a salt is derived once per secret, the payload is orjson, and the signature is an
HMAC-SHA256 truncated to 128 bits: 2.9 µs to sign, 4.4 to check.

A cursor is ``<base64url JSON>.<base64url MAC>``. ``SECRET_KEY_FALLBACKS`` still verify, so a
key rotation does not break a client walking a list. Anything that does not verify or parse
raises ``ValueError``: the caller answers ``invalid_cursor``.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import re
from typing import Any

import orjson
from django.conf import settings

MAC_BYTES = 16
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=64)
def _keys(salt: str, secret: str, fallbacks: tuple[str, ...]) -> tuple[Any, ...]:
    """One keyed HMAC per secret (current first), copied for each use."""
    return tuple(
        hmac.new(
            hmac.new(key.encode(), f"cursor:{salt}".encode(), hashlib.sha256).digest(),
            digestmod=hashlib.sha256,
        )
        for key in (secret, *fallbacks)
    )


def _macs(salt: str) -> tuple[Any, ...]:
    return _keys(salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def _mac(keyed: Any, payload: bytes) -> bytes:
    """The signature as it is written: base64url of the truncated MAC, unpadded. Compared as
    text, so a second spelling of the same bytes (base64's unused low bits) does not pass."""
    mac = keyed.copy()
    mac.update(payload)
    return base64.urlsafe_b64encode(mac.digest()[:MAC_BYTES]).rstrip(b"=")


def cursor_sign(values: list[Any], *, salt: str) -> str:
    payload = base64.urlsafe_b64encode(orjson.dumps(values)).rstrip(b"=")
    return f"{payload.decode()}.{_mac(_macs(salt)[0], payload).decode()}"


def _unpad(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cursor_unsign(cursor: str, *, salt: str) -> Any:
    """The values ``cursor_sign`` signed with ``salt``; ``ValueError`` for anything else."""
    if not _SHAPE.fullmatch(cursor):  # base64 decoding would skip other characters
        raise ValueError("not a cursor")
    payload, _dot, mac_text = cursor.partition(".")
    signed, mac = payload.encode(), mac_text.encode()
    if not any(hmac.compare_digest(_mac(keyed, signed), mac) for keyed in _macs(salt)):
        raise ValueError("bad signature")
    try:
        return orjson.loads(_unpad(payload))
    except (binascii.Error, orjson.JSONDecodeError) as error:
        raise ValueError("not a cursor") from error
