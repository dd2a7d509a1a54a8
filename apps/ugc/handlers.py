"""Game events UGC handles: ``ugc.published`` (a level saved in an in-game editor, …)
creates the item through ``item_publish_from_game``. Runs inside the applier's transaction,
so it only writes the database (registry contract)."""

from apps.game_events.registry import HandledEvent, event_handler
from apps.players.services import player_get_or_create_by_identity
from apps.ugc.services.items import item_publish_from_game


@event_handler("ugc.published")
def ugc_published(event: HandledEvent) -> None:
    data = event.data
    ref = data["player"]
    creator = player_get_or_create_by_identity(
        provider=ref["provider"],
        external_id=ref["external_id"],
        title=event.title,
        display_name_hint=ref.get("display_name"),
    )
    item_publish_from_game(
        title=event.title,
        creator=creator,
        external_id=data["ugc_id"],
        kind=data["kind"],
        name=data["name"],
        url=data.get("url", ""),
    )
