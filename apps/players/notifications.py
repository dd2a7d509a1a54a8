"""Reading notifications: mark one or all read; every open socket of the reader gets the new
unread count so badges on other devices agree. (Creating them: ``services.notification_create``.)"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.common.exceptions import NotFound
from apps.players import selectors
from apps.players.models import Notification, Player
from apps.players.realtime import notification_read_frame
from apps.realtime.broadcast import frame_send_to_user_on_commit
from apps.titles.models import Title


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


@dataclass(frozen=True)
class NotificationGroup:
    """Consecutive notifications of one kind about one game, shown as one line ("3 match
    results in Starfall Arena"); a group of one is the notification itself."""

    first: Notification
    items: list[Notification]
    title_name: str | None

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def is_unread(self) -> bool:
        return any(item.read_at is None for item in self.items)

    @property
    def wins(self) -> int:
        return sum(1 for item in self.items if item.data.get("outcome") == "win")


GROUPED_KINDS = {"match_result", "achievement"}


def notifications_grouped(notifications: list[Notification]) -> list[NotificationGroup]:
    """``notifications`` (newest first) with runs of the same grouped kind and game merged."""
    slugs = {n.data.get("title") for n in notifications if isinstance(n.data.get("title"), str)}
    names = {title.slug: title.localized_name for title in Title.objects.filter(slug__in=slugs)}
    groups: list[NotificationGroup] = []
    for notification in notifications:
        title = notification.data.get("title")
        last = groups[-1] if groups else None
        if (
            last is not None
            and notification.kind in GROUPED_KINDS
            and last.first.kind == notification.kind
            and last.first.data.get("title") == title
        ):
            last.items.append(notification)
            continue
        name = names.get(title) if isinstance(title, str) else None
        groups.append(NotificationGroup(first=notification, items=[notification], title_name=name))
    return groups
