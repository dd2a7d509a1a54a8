"""What chat asks apps.players: who a login is, blocks and privacy, mention notifications.

One narrow seam, so chat's rules read the same wherever they run (send, mentions, DMs).
"""

from typing import Any

from apps.accounts.models import User
from apps.players.models import Player


def player_for_user(user: User) -> Player | None:
    from apps.players import selectors

    return selectors.player_get_optional_for_user(user=user)


def is_blocked_between(player_id: int, other_player_id: int) -> bool:
    from apps.players import selectors

    return selectors.block_exists_between(player_id=player_id, other_player_id=other_player_id)


def blocked_ids(player_id: int) -> set[int]:
    from apps.players import selectors

    return set(selectors.blocked_player_ids(player_id=player_id))


def may_direct_message(sender: Player, recipient: Player) -> bool:
    from apps.players import selectors

    return selectors.can_direct_message(sender=sender, recipient=recipient)


def direct_message_recipients(sender: Player, recipient_ids: set[int]) -> set[int]:
    """``may_direct_message`` for many recipients at once."""
    from apps.players import selectors

    return selectors.direct_message_recipients(sender=sender, recipient_ids=recipient_ids)


def mention_notify(*, recipient: Player, actor: Player, data: dict[str, Any]) -> None:
    """Notify a mentioned player; players' service returns None when blocked or opted out."""
    from apps.players import services

    services.notification_create(recipient=recipient, kind="mention", data=data, actor=actor)
