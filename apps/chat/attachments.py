"""Attachments: links from a chat message to things that live elsewhere (UGC items, …).

A message carries at most ``MAX_ATTACHMENTS`` references, each ``{"kind": <name>, "id":
<int or string>}``. Every kind is registered by the app that owns those things (the UGC
capability registers ``"ugc"`` in its ``AppConfig.ready()``) with a resolver that checks the
author may link that item in that channel and returns what clients show (title, URL,
thumbnail…). The resolved data is stored with the message (``Message.attachments``), so
history never asks the owning app again. An unknown kind, a malformed reference or one the
resolver refuses answers ``invalid_attachment`` (``details.index``), storing nothing.

``attachments_parse`` checks the shape without queries (before a send is queued);
``attachments_resolve`` asks each kind (once the channel is known); ``attachments_clean``
does both.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.chat.exceptions import InvalidAttachment
from apps.chat.models import Channel
from apps.players.models import Player

MAX_ATTACHMENTS = 4
MAX_ID_LENGTH = 64

# (reference id, author, channel) → the JSON-safe data clients show; raises
# ``InvalidAttachment`` (without ``details``: the index is added here) to refuse.
Resolver = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class AttachmentKind:
    name: str
    resolve: Resolver  # resolve(item_id, *, author=Player, channel=Channel) -> dict


_kinds: dict[str, AttachmentKind] = {}


def attachment_kind_register(kind: AttachmentKind) -> None:
    _kinds[kind.name] = kind


def attachment_kind_unregister(name: str) -> None:
    _kinds.pop(name, None)


def attachment_kinds() -> list[str]:
    return sorted(_kinds)


def _refused(index: int, message: Any) -> InvalidAttachment:
    return InvalidAttachment(message=message, details={"index": index})


def _reference(index: int, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _refused(index, _("Each attachment is an object with a kind and an id."))
    kind, item_id = raw.get("kind"), raw.get("id")
    if not isinstance(kind, str) or kind not in _kinds:
        raise _refused(index, _("Unknown attachment kind."))
    is_int = isinstance(item_id, int) and not isinstance(item_id, bool) and item_id >= 0
    is_text = isinstance(item_id, str) and 1 <= len(item_id) <= MAX_ID_LENGTH
    if not (is_int or is_text):
        raise _refused(index, _("An attachment id is a non-negative integer or a short string."))
    return {"kind": kind, "id": item_id}


def attachments_parse(raw: object) -> list[dict[str, Any]]:
    """The references in ``raw`` (``None``: none), checked for shape and known kinds only —
    no queries. Raises ``InvalidAttachment``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidAttachment(message=_("attachments must be a list."))
    if len(raw) > MAX_ATTACHMENTS:
        raise InvalidAttachment(
            message=_("At most %(max)d attachments per message.") % {"max": MAX_ATTACHMENTS},
            details={"max": MAX_ATTACHMENTS},
        )
    references = [_reference(index, item) for index, item in enumerate(raw)]
    seen: set[tuple[str, object]] = set()
    for index, reference in enumerate(references):
        key = (reference["kind"], reference["id"])
        if key in seen:
            raise _refused(index, _("The same item is attached twice."))
        seen.add(key)
    return references


def attachments_resolve(
    references: list[dict[str, Any]], *, author: Player, channel: Channel
) -> list[dict[str, Any]]:
    """Ask each reference's kind whether ``author`` may attach it in ``channel``; returns
    what is stored and shown: ``{"kind", "id", …the kind's data}``. No query without
    attachments. Raises ``InvalidAttachment`` with ``details.index``."""
    resolved = []
    for index, reference in enumerate(references):
        kind = _kinds.get(reference["kind"])
        if kind is None:  # unregistered since parsing
            raise _refused(index, _("Unknown attachment kind."))
        try:
            data = kind.resolve(reference["id"], author=author, channel=channel)
        except InvalidAttachment as error:
            raise _refused(index, error.message) from error
        resolved.append({**data, "kind": reference["kind"], "id": reference["id"]})
    return resolved


def attachments_clean(raw: object, *, author: Player, channel: Channel) -> list[dict[str, Any]]:
    """``attachments_parse`` then ``attachments_resolve``."""
    return attachments_resolve(attachments_parse(raw), author=author, channel=channel)
