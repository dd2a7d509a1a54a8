"""This app's section of a player's data export (players' ``export_section_register``)."""

from typing import Any

from apps.players.models import Player
from apps.ugc.models import Comment, Favourite, Item, Like, Subscription


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def player_export_section(player: Player) -> dict[str, Any]:
    items = (
        Item.objects.filter(creator=player)
        .select_related("title")
        .prefetch_related("versions")
        .order_by("id")
    )
    return {
        "items": [
            {
                "id": item.id, "title": item.title.slug, "kind": item.kind, "name": item.name,
                "description": item.description, "tags": item.tags_text.split(),
                "visibility": item.visibility, "state": item.state,
                "versions": [
                    {"number": v.number, "sha256": v.sha256, "size": v.size,
                     "original_filename": v.original_filename, "changelog": v.changelog}
                    for v in sorted(item.versions.all(), key=lambda v: v.number)
                ],
                "created_at": _iso(item.created_at),
            }
            for item in items
        ],
        "comments": [
            {"item_id": c.item_id, "body": c.body, "created_at": _iso(c.created_at)}
            for c in Comment.objects.filter(author=player, deleted_at__isnull=True).order_by("id")
        ],
        "likes": list(Like.objects.filter(player=player).values_list("item_id", flat=True)),
        "favourites": list(
            Favourite.objects.filter(player=player).values_list("item_id", flat=True)
        ),
        "subscriptions": list(
            Subscription.objects.filter(player=player).values_list("item_id", flat=True)
        ),
    }  # fmt: skip


def player_erase_section(player: Player) -> None:
    """Erasing an account (``apps.players.data_rights``): the player's items go with their
    files (deleted once the erasure commits), their comments keep the thread as "deleted"
    placeholders, and their likes, favourites and subscriptions go. Items a moderator removed
    go too: the moderation case keeps its own evidence snapshot."""
    from django.db.models import F
    from django.utils import timezone

    from apps.ugc.services.files import files_delete_on_commit
    from apps.ugc.services.items import item_files

    items = list(Item.objects.filter(creator=player))
    files_delete_on_commit([name for item in items for name in item_files(item)])
    Item.objects.filter(id__in=[item.id for item in items]).delete()
    now = timezone.now()
    live = Comment.objects.filter(author=player, deleted_at__isnull=True)
    for item_id in live.values_list("item_id", flat=True):
        Item.objects.filter(id=item_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )
    live.update(deleted_at=now, body="", updated_at=now)
    for model, counter in ((Like, "like_count"), (Favourite, "favourite_count"),
                           (Subscription, "subscriber_count")):  # fmt: skip
        for item_id in model.objects.filter(player=player).values_list("item_id", flat=True):
            Item.objects.filter(id=item_id, **{f"{counter}__gt": 0}).update(
                **{counter: F(counter) - 1}
            )
        model.objects.filter(player=player).delete()
