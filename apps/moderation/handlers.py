"""Game events that become sanctions (registered with the game-events handler registry in
``ModerationConfig.ready()``). A title's in-game sanction holds in that title only; the
event's ``sanction_id`` makes redelivery idempotent (one sanction per title and id)."""

import contextlib
from typing import Any

from apps.game_events.envelope import rfc3339_parse
from apps.game_events.registry import HandledEvent, event_handler
from apps.moderation.exceptions import SanctionNotActive
from apps.moderation.models import IssuerKind, Sanction
from apps.moderation.sanctions import sanction_issue, sanction_lift
from apps.players.services import player_get_or_create_by_identity


def _player(event: HandledEvent) -> Any:
    ref = event.data["player"]
    return player_get_or_create_by_identity(
        provider=ref["provider"], external_id=ref["external_id"], title=event.title,
        display_name_hint=ref.get("display_name"),
    )  # fmt: skip


@event_handler("player.sanctioned")
def player_sanctioned(event: HandledEvent) -> None:
    data = event.data
    expires = data.get("expires_at")
    sanction_issue(
        player=_player(event), kind=data["kind"], title=event.title,
        expires_at=rfc3339_parse(expires) if expires else None,
        reason=data.get("reason", ""), issuer_kind=IssuerKind.GAME_SERVER,
        issuer_detail=f"game event {event.id}", source_title=event.title,
        external_id=data["sanction_id"], starts_at=event.time,
    )  # fmt: skip


@event_handler("player.unsanctioned")
def player_unsanctioned(event: HandledEvent) -> None:
    sanction = Sanction.objects.filter(
        source_title=event.title, external_id=event.data["sanction_id"], lifted_at__isnull=True
    ).first()
    if sanction is None:
        return  # unknown, or lifted already: a redelivery changes nothing
    with contextlib.suppress(SanctionNotActive):  # it ran out meanwhile: nothing to lift
        sanction_lift(
            sanction=sanction, reason=event.data.get("reason", ""),
            actor_kind=IssuerKind.GAME_SERVER, actor_name=f"game event {event.id}",
        )  # fmt: skip
