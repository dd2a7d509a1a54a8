"""Chat's error codes (docs/websocket-protocol.md and docs/api.md list every one). The REST
API and the websocket ``error`` frame render the same code."""

from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import ApplicationError, InvalidInput, NotFound, PermissionDenied
from apps.common.outage import DatabaseUnavailable, database_outage


class UnknownChannel(NotFound):
    """No such channel — or one the player may not read (existence is never leaked)."""

    code = "unknown_channel"
    default_message = _("No such channel.")


class UnknownMessage(NotFound):
    """No such message in a channel the player may read."""

    code = "unknown_message"
    default_message = _("No such message.")


class UnknownTitle(NotFound):
    """No active title with that slug (``lobbies``)."""

    code = "unknown_title"
    default_message = _("No such title.")


class UnknownPlayer(NotFound):
    """No such player who can chat (a shadow player without a login cannot)."""

    code = "unknown_player"
    default_message = _("No such player.")


class SelfDirectMessage(InvalidInput):
    code = "self_direct_message"
    default_message = _("You cannot start a direct message with yourself.")


class Forbidden(PermissionDenied):
    code = "forbidden"
    default_message = _("You may not do that in this channel.")


class TooLong(InvalidInput):
    code = "too_long"
    default_message = _("The message is too long.")


class EmptyMessage(InvalidInput):
    code = "empty_message"
    default_message = _("The message is empty.")


class Blocked(PermissionDenied):
    """A direct message to someone who blocked you, or whose privacy settings refuse it."""

    code = "blocked"
    default_message = _("You cannot send direct messages to this player.")


class MessageRejected(InvalidInput):
    """The automod filter blocked the message; nothing was stored."""

    code = "message_rejected"
    default_message = _("The message was blocked by the chat filter.")


class RateLimited(ApplicationError):
    code = "rate_limited"
    status_code = 429
    default_message = _("You are sending too fast.")


class ChannelClosed(PermissionDenied):
    code = "channel_closed"
    default_message = _("This channel is closed.")


class NoPlayer(PermissionDenied):
    code = "no_player"
    default_message = _("This login has no player profile.")


class InvalidReaction(InvalidInput):
    code = "invalid_reaction"
    default_message = _("That reaction is not available.")


class InvalidFrame(InvalidInput):
    """A websocket frame that is not JSON, not an object, or has a field missing or of the
    wrong type (``details.field``; ``details.index`` inside a list)."""

    code = "invalid_frame"
    default_message = _("The frame is not valid.")


class TooManySubscriptions(ApplicationError):
    code = "too_many_subscriptions"
    default_message = _("Too many subscriptions on this socket.")


class InvalidAttachment(InvalidInput):
    """An attachment of an unknown kind, malformed, or refused by its kind's resolver."""

    code = "invalid_attachment"
    default_message = _("That attachment is not available.")


class SendOutcomeUnknown(DatabaseUnavailable):
    """A send whose commit could not be confirmed (the database went down, or the commit did
    not finish in time): it may or may not be stored. Retrying with the same
    ``client_msg_id`` is safe — it stores the message once, or answers the stored one as a
    duplicate (``details.retry``: ``same_client_msg_id``)."""

    default_message = _(
        "The message could not be confirmed as stored. Send it again with the same client_msg_id."
    )

    @classmethod
    def now(cls) -> "SendOutcomeUnknown":
        return cls(details={"retry_after_ms": database_outage.retry_after_ms(),
                            "retry": "same_client_msg_id"})  # fmt: skip
