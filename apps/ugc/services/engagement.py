"""Likes, favourites, subscriptions and downloads. Each toggle is idempotent and race-safe:
the row's unique constraint decides, and the item's counter moves with ``F()`` only when a row
was really added or removed. Callers pass an item the player may see (``item_get_visible``)."""

from datetime import UTC

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from apps.players.models import Player
from apps.ugc.exceptions import NotPublished
from apps.ugc.models import DownloadDay, Favourite, Item, Like, ReviewState, Subscription

_COUNTERS: dict[type[models.Model], str] = {
    Like: "like_count",
    Favourite: "favourite_count",
    Subscription: "subscriber_count",
}


def _toggle(model: type[models.Model], *, item: Item, player: Player, on: bool) -> bool:
    """Add or remove the (item, player) row; returns whether it is there afterwards."""
    if item.state != ReviewState.PUBLISHED:
        raise NotPublished()
    counter = _COUNTERS[model]
    with transaction.atomic():
        if on:
            try:
                with transaction.atomic():
                    model.objects.create(item=item, player=player)  # type: ignore[attr-defined]
            except IntegrityError:
                return True  # already there
            Item.objects.filter(id=item.id).update(**{counter: F(counter) + 1})
            return True
        deleted, _rows = model.objects.filter(item=item, player=player).delete()  # type: ignore[attr-defined]
        if deleted:
            Item.objects.filter(id=item.id, **{f"{counter}__gt": 0}).update(
                **{counter: F(counter) - 1}
            )
        return False


def like_set(*, item: Item, player: Player, liked: bool) -> bool:
    return _toggle(Like, item=item, player=player, on=liked)


def favourite_set(*, item: Item, player: Player, favourited: bool) -> bool:
    return _toggle(Favourite, item=item, player=player, on=favourited)


def subscription_set(*, item: Item, player: Player, subscribed: bool) -> bool:
    """Subscribers are notified of each new approved version (``ugc_new_version``)."""
    return _toggle(Subscription, item=item, player=player, on=subscribed)


def download_record(*, item: Item, player: Player | None) -> bool:
    """Count a download once per player per UTC day; returns whether it counted. Title-key
    downloads (no player) and the creator's own are not counted."""
    if player is None or player.id == item.creator_id or item.state != ReviewState.PUBLISHED:
        return False
    today = timezone.now().astimezone(UTC).date()
    with transaction.atomic():
        try:
            with transaction.atomic():
                DownloadDay.objects.create(item=item, player=player, day=today)
        except IntegrityError:
            return False
        Item.objects.filter(id=item.id).update(download_count=F("download_count") + 1)
    return True
