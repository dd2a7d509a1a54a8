"""The fields of chat's client frames, checked before anything is asked of the database.

One rule for every frame type (docs/websocket-protocol.md, "Errors"): a required field that is
missing, or any field of the wrong type, answers ``invalid_frame`` with ``details.field`` (its
name) and, for a field inside a list entry, ``details.index`` (the entry). ``null`` is the
same as an absent field. What a well-typed value means is the service's to judge (an empty
body is ``empty_message``, an unknown channel ``unknown_channel``, an emoji outside the set
``invalid_reaction``).
"""

from typing import Any, overload

from django.utils.translation import gettext as _

from apps.chat.exceptions import InvalidFrame

CLIENT_MSG_ID_MAX_LENGTH = 64


def refused(message: str, *, field: str, index: int | None = None) -> InvalidFrame:
    details: dict[str, Any] = {"field": field}
    if index is not None:
        details["index"] = index
    return InvalidFrame(message, details=details)


def _missing(field: str, index: int | None) -> InvalidFrame:
    return refused(_("%(field)s is required.") % {"field": field}, field=field, index=index)


def is_count(value: object, *, minimum: int = 0) -> bool:
    """An integer (JSON booleans are not) of at least ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


@overload
def int_field(frame: dict[str, Any], name: str, *, index: int | None = None) -> int: ...


@overload
def int_field(
    frame: dict[str, Any], name: str, *, required: bool, minimum: int = 0, index: int | None = None
) -> int | None: ...


def int_field(
    frame: dict[str, Any],
    name: str,
    *,
    required: bool = True,
    minimum: int = 0,
    index: int | None = None,
) -> int | None:
    value = frame.get(name)
    if value is None:
        if required:
            raise _missing(name, index)
        return None
    if not is_count(value, minimum=minimum):
        message = _("%(field)s must be an integer of at least %(minimum)d.")
        raise refused(message % {"field": name, "minimum": minimum}, field=name, index=index)
    return value


@overload
def text_field(frame: dict[str, Any], name: str) -> str: ...


@overload
def text_field(frame: dict[str, Any], name: str, *, required: bool) -> str | None: ...


def text_field(frame: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = frame.get(name)
    if value is None:
        if required:
            raise _missing(name, None)
        return None
    if not isinstance(value, str):
        raise refused(_("%(field)s must be a string.") % {"field": name}, field=name)
    return value


def list_field(frame: dict[str, Any], name: str, *, required: bool = True) -> list | None:
    value = frame.get(name)
    if value is None:
        if required:
            raise _missing(name, None)
        return None
    if not isinstance(value, list):
        raise refused(_("%(field)s must be a list.") % {"field": name}, field=name)
    return value


def client_msg_id_field(frame: dict[str, Any]) -> str | None:
    value = frame.get("client_msg_id")
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= CLIENT_MSG_ID_MAX_LENGTH:
        message = _("client_msg_id must be a string of 1 to %(max)d characters.")
        raise refused(message % {"max": CLIENT_MSG_ID_MAX_LENGTH}, field="client_msg_id")
    return value


def one_of(frame: dict[str, Any], first: str, second: str) -> None:
    """At most one of two fields that exclude each other (``before``/``after``)."""
    if frame.get(first) is not None and frame.get(second) is not None:
        message = _("Give %(first)s or %(second)s, not both.")
        raise refused(message % {"first": first, "second": second}, field=second)
