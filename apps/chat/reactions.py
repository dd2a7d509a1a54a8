"""Reaction emoji per title: a title's game team sets its own set in the admin (Chat → Title
chat settings); a title without one, and a channel without a title (direct messages), offers
the default ``CHAT_REACTION_EMOJI``. ``react`` accepts only the channel's set; ``unreact``
accepts any emoji, so a reaction stays removable after its emoji left the set."""

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from apps.chat.models import Channel, TitleChatSettings
from apps.common.exceptions import InvalidInput

MAX_REACTION_EMOJI = 20
MAX_EMOJI_LENGTH = 32  # Reaction.emoji's column


def default_reaction_emoji() -> list[str]:
    return list(settings.CHAT_REACTION_EMOJI)


def reaction_emoji_for_titles(title_ids: Iterable[int | None]) -> dict[int | None, list[str]]:
    """The reaction set of each title (``None``: no title), with one query."""
    wanted = set(title_ids)
    configured: dict[int | None, list[str]] = dict(
        TitleChatSettings.objects.filter(title_id__in=[i for i in wanted if i is not None])
        .exclude(reaction_emoji=[])
        .values_list("title_id", "reaction_emoji")
    )
    return {
        title_id: list(configured.get(title_id) or default_reaction_emoji()) for title_id in wanted
    }


def reaction_emoji_for_channel(channel: Channel) -> list[str]:
    return reaction_emoji_for_titles([channel.title_id])[channel.title_id]


def reaction_emoji_clean(values: object) -> list[str]:
    """A valid reaction set: distinct non-empty strings of at most ``MAX_EMOJI_LENGTH``
    characters, at most ``MAX_REACTION_EMOJI`` of them (an empty list: use the default)."""
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise InvalidInput(_("Reaction emoji must be a list of strings."))
    cleaned = [value.strip() for value in values]
    if any(not value or len(value) > MAX_EMOJI_LENGTH for value in cleaned):
        raise InvalidInput(
            _("Each reaction emoji must have 1 to %(max)d characters.") % {"max": MAX_EMOJI_LENGTH}
        )
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInput(_("Reaction emoji must be distinct."))
    if len(cleaned) > MAX_REACTION_EMOJI:
        raise InvalidInput(
            _("At most %(max)d reaction emoji per title.") % {"max": MAX_REACTION_EMOJI}
        )
    return cleaned


def title_chat_settings_save(*, settings_row: TitleChatSettings) -> TitleChatSettings:
    """Validate and save a title's chat settings (the admin's ``save_model``)."""
    settings_row.reaction_emoji = reaction_emoji_clean(settings_row.reaction_emoji)
    settings_row.save()
    return settings_row
