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
