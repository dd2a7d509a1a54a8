"""What a channel is called for the viewer: a title's channels (lobbies, announcement
channels, match channels) are named after the title's name in the viewer's language
(``Title.localized_name``) and the channel's role in it; guild and direct-message channels
keep the name stored with them (a guild's name, the two players' names).

``Channel.name`` stays the name in the default language, as it was made (the admin, data
exports); everything a player reads goes through ``channel_display_name``.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from apps.chat.models import Channel, ChannelKind


def _match_id(channel: Channel) -> str:
    return channel.key.split(":", 2)[-1]  # match:<title id>:<match id>


def channel_display_name(channel: Channel) -> str:
    """The name in the active language. Reads ``channel.title``: load it with the channel."""
    if channel.title_id is None or channel.kind not in (
        ChannelKind.LOBBY, ChannelKind.ANNOUNCEMENT, ChannelKind.MATCH,
    ):  # fmt: skip
        return channel.name
    title = channel.title.localized_name  # type: ignore[union-attr]
    if channel.kind == ChannelKind.LOBBY:
        return f"{title} ({channel.locale})" if channel.locale else title
    if channel.kind == ChannelKind.ANNOUNCEMENT:
        if channel.locale:
            return _("%(title)s · announcements (%(locale)s)") % {
                "title": title, "locale": channel.locale,
            }  # fmt: skip
        return _("%(title)s · announcements") % {"title": title}
    return _("%(title)s · match %(match)s") % {"title": title, "match": _match_id(channel)}


def channel_display_names(channel: Channel) -> dict[str, str]:
    """The name in every language the service speaks (``LANGUAGES``): for a frame sent to
    players whose languages the sender does not know (``channel_joined``)."""
    names = {}
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            names[code] = channel_display_name(channel)
    return names
