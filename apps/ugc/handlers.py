"""Game events UGC handles: ``ugc.published`` (a level saved in an in-game editor, …)
creates the item through ``item_publish_from_game``. Runs inside the applier's transaction,
so it only writes the database (registry contract).

A refusal of UGC's (``kind_not_allowed``, ``upload_banned``, ``content_rejected``, …) ends the
event ``failed`` with that code as its reason in the inbox (``EventRefused``), not as a
handler error."""

from apps.common.exceptions import ApplicationError
from apps.game_events.exceptions import EventRefused
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
    try:
        item_publish_from_game(
            title=event.title,
            creator=creator,
            external_id=data["ugc_id"],
            kind=data["kind"],
            name=data["name"],
            url=data.get("url", ""),
        )
    except ApplicationError as error:
        raise EventRefused(code=error.code, message=_reason(error)) from error


def _reason(error: ApplicationError) -> str:
    """The refusal as an operator reads it in the inbox: the message and its details."""
    details = ", ".join(f"{key}={value}" for key, value in sorted(error.details.items()))
    return f"{error.message} ({details})" if details else error.message
