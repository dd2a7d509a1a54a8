"""Building CloudEvents for tests, and a recording handler."""

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apps.game_events.catalog import catalog_entry
from apps.game_events.models import InboxEvent
from apps.game_events.registry import (
    HandledEvent,
    handler_register,
    handler_unregister,
    handlers_for,
)

_counter = itertools.count(1)


def player_ref(name: str) -> dict[str, str]:
    return {"provider": "custom", "external_id": f"ext-{name}", "display_name": name}


def cloud_event(
    event_type: str = "player.progressed",
    *,
    data: dict[str, Any] | None = None,
    slug: str = "starfall-arena",
    event_id: str | None = None,
    **attributes: Any,
) -> dict[str, Any]:
    """A valid structured CloudEvent; ``data`` defaults to the catalog example of the type."""
    if data is None:
        entry = catalog_entry(event_type, 1)
        data = entry.examples[0] if entry else {"anything": 1}
    event = {
        "specversion": "1.0",
        "id": event_id or f"evt-{next(_counter)}-{uuid.uuid4().hex[:8]}",
        "source": f"/titles/{slug}",
        "type": event_type,
        "time": "2026-11-25T03:20:00Z",
        "datacontenttype": "application/json",
        "data": data,
    }
    event.update(attributes)
    return event


class Recorder:
    def __init__(self) -> None:
        self.events: list[HandledEvent] = []

    def __call__(self, event: HandledEvent) -> None:
        self.events.append(event)

    @property
    def ids(self) -> list[str]:
        return [event.id for event in self.events]


@pytest.fixture
def handler_recorder() -> Iterator[Recorder]:
    """Replaces the handlers of ``player.progressed`` with a recorder, so pipeline tests do not
    depend on the players app; the real handlers come back afterwards."""
    recorder = Recorder()
    originals = handlers_for("player.progressed", 1)
    for handler in originals:
        handler_unregister("player.progressed", handler)
    handler_register("player.progressed", recorder)
    try:
        yield recorder
    finally:
        handler_unregister("player.progressed", recorder)
        for handler in originals:
            handler_register("player.progressed", handler)


def linked_player(*, username: str, title: Any, provider: str, external_id: str) -> Any:
    """A registered player whose game identity is linked (claim-code flow of the players app)."""
    from apps.players.identities import identity_claim_code_issue, identity_claim_redeem
    from apps.players.services import player_register

    player = player_register(
        username=username,
        email=f"{username}@example.test",
        password="correct-horse-battery-staple",
        display_name=username,
    )
    issued = identity_claim_code_issue(title=title, provider=provider, external_id=external_id)
    identity_claim_redeem(player=player, code=issued.code)
    return player


@contextmanager
def inbox_refusing(event_id_prefix: str, *, sqlstate: str = "22023") -> Iterator[None]:
    """PostgreSQL refuses inbox rows whose event id starts with ``event_id_prefix``, raising
    ``sqlstate`` (22xxx: a data exception → ``DataError``; 23xxx: a constraint violation →
    ``IntegrityError``), as it would for a value validation let through. A real trigger on
    the real table: it fires inside the ingest's ``COPY``, for every connection."""
    from django.db import connection

    table = InboxEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_inbox_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.event_id LIKE '{event_id_prefix}%' THEN "
            f"RAISE EXCEPTION 'refused event %', NEW.event_id USING ERRCODE = '{sqlstate}'; "
            "END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_inbox_refuse BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION test_inbox_refuse()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS test_inbox_refuse ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS test_inbox_refuse()")
