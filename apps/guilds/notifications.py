"""Guild notifications: invitations under the ``guild_invite`` kind (the opt-out on the
settings page), everything else (request decisions, kicks, promotions, disbanding) under
``guild_news``. ``notification_create`` drops what the recipient opted out of."""

from typing import Any

from apps.guilds.models import Guild
from apps.players.models import NotificationKind, Player
from apps.players.services import notification_create


def guild_notify(
    *, recipient: Player, actor: Player | None, event: str, guild: Guild, **data: Any
) -> None:
    kind = (
        NotificationKind.GUILD_INVITE if event == "guild_invited" else NotificationKind.GUILD_NEWS
    )
    payload = {"event": event, "guild_id": guild.id, "guild_name": guild.name, **data}
    notification_create(recipient=recipient, kind=kind, data=payload, actor=actor)
