"""Moderation's error codes (docs/moderation.md and docs/api.md list every one).

A refusal by a sanction says which sanction: ``details`` carries its ``kind``, ``title`` (slug
or null = everywhere), ``reason_category``, ``reason`` and ``expires_at`` (ISO 8601 UTC, null =
permanent).
"""

from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import (
    ApplicationError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


class Sanctioned(PermissionDenied):
    """Base of every refusal by an active sanction (HTTP 403)."""

    code = "sanctioned"
    default_message = _("A sanction prevents this action.")


class Muted(Sanctioned):
    code = "muted"
    default_message = _("You are muted.")


class DmRestricted(Sanctioned):
    code = "dm_restricted"
    default_message = _("You may not send direct messages or friend requests right now.")


class UploadBanned(Sanctioned):
    code = "upload_banned"
    default_message = _("You may not upload content right now.")


class GuildCreationBanned(Sanctioned):
    code = "guild_creation_banned"
    default_message = _("You may not create guilds right now.")


class Suspended(Sanctioned):
    code = "suspended"
    default_message = _("Your account is suspended.")


class Banned(Sanctioned):
    code = "banned"
    default_message = _("Your account is banned.")


class InvalidSanction(InvalidInput):
    code = "invalid_sanction"
    default_message = _("The sanction is not valid.")


class SanctionNotActive(Conflict):
    code = "sanction_not_active"
    default_message = _("The sanction is already lifted or over.")


class NotAllowed(PermissionDenied):
    """A moderator's role does not include this action (e.g. a ban needs a senior moderator)."""

    code = "moderation_forbidden"
    default_message = _("Your moderator role does not allow this action.")


class RateLimited(ApplicationError):
    code = "rate_limited"
    status_code = 429
    default_message = _("You are doing that too often.")


class UnknownSanction(NotFound):
    code = "unknown_sanction"
    default_message = _("No such sanction.")
