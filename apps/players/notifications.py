"""Reading notifications: mark one or all read; every open socket of the reader gets the new
unread count so badges on other devices agree. (Creating them: ``services.notification_create``.)"""

from django.db import transaction
from django.utils import timezone

from apps.common.exceptions import NotFound
from apps.players import selectors
from apps.players.models import Notification, Player
from apps.players.realtime import notification_read_frame
from apps.realtime.broadcast import frame_send_to_user_on_commit


def _announce_unread(player: Player) -> int:
    unread = selectors.notification_unread_count(player_id=player.id)
    if player.user_id is not None:
        frame = notification_read_frame(unread_count=unread)
        frame_send_to_user_on_commit(user_id=player.user_id, frame=frame)
    return unread


@transaction.atomic
def notification_mark_read(*, player: Player, notification_id: int) -> int:
    """Mark one of the player's notifications read (idempotent); returns the unread count."""
    if not Notification.objects.filter(recipient=player, id=notification_id).exists():
        raise NotFound()
    Notification.objects.filter(recipient=player, id=notification_id, read_at__isnull=True).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )
    return _announce_unread(player)


@transaction.atomic
def notification_mark_all_read(*, player: Player) -> int:
    now = timezone.now()
    Notification.objects.filter(recipient=player, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
    return _announce_unread(player)
