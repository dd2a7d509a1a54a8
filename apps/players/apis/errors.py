"""Error codes the players' services raise by name (``InvalidInput(code=…)``), for the OpenAPI
schema; codes with their own exception class are declared with the class."""

from django.utils.translation import gettext_lazy as _

from apps.api.errors import ErrorCode

NAME_ERRORS = (
    ErrorCode(
        "name_control_characters",
        400,
        _("The display name has invisible, formatting or control characters."),
    ),
    ErrorCode("name_too_short", 400, _("The display name is shorter than 3 display columns.")),
    ErrorCode("name_too_long", 400, _("The display name is longer than 32 display columns.")),
    ErrorCode(
        "name_invalid_characters", 400, _("Only letters, digits, single spaces, `_`, `-` and `.`.")
    ),
    ErrorCode("name_mixed_script", 400, _("Look-alike alphabets are mixed in one word.")),
)
PROFILE_ERRORS = (
    ErrorCode("unknown_time_zone", 400, _("Not an IANA time zone name.")),
    ErrorCode("unsupported_locale", 400, _("Not one of the portal's languages.")),
    ErrorCode("invalid_country", 400, _("Not a two-letter country code.")),
    ErrorCode("invalid_privacy", 400, _("Not a privacy level.")),
    ErrorCode("bio", 400, _("The bio is too long or has invalid characters.")),
)
UNKNOWN_NOTIFICATION_KIND = ErrorCode(
    "unknown_notification_kind", 400, _("An opt-out names an unknown kind (`details.unknown`).")
)
SHOWCASE_TOO_LARGE = ErrorCode(
    "showcase_too_large", 400, _("More achievements in the showcase than allowed (6).")
)
IDENTITY_ERRORS = (
    ErrorCode("unknown_provider", 400, _("Not a known identity provider.")),
    ErrorCode("invalid_external_id", 400, _("The external id is not valid for the provider.")),
)
AVATAR_ERRORS = (
    ErrorCode("avatar_too_large", 413, _("The upload exceeds the avatar size limit (2 MiB).")),
    ErrorCode("avatar_unsupported_type", 400, _("Not PNG, JPEG or WebP by content.")),
    ErrorCode(
        "avatar_too_many_pixels", 400, _("More pixels than allowed (decompression-bomb guard).")
    ),
    ErrorCode("avatar_corrupt", 400, _("The image cannot be decoded as what its header says.")),
)
