"""Chat's own mutes and bans move into the one sanctions system: every active one survives."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.moderation.enforcement import Action, sanction_holds
from apps.moderation.models import Sanction
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("chat", "0004_change_seq"), ("moderation", "0001_initial")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def test_every_active_chat_mute_and_ban_survives_as_a_sanction(title):
    players = [PlayerFactory() for _ in range(5)]
    moderator = UserFactory(username="old-mod", is_staff=True)
    now = timezone.now()
    executor = _migrate(BEFORE)
    try:
        restriction = executor.loader.project_state(BEFORE).apps.get_model("chat", "Restriction")
        rows = {
            "global mute": {"player_id": players[0].id, "kind": "mute", "reason": "spam",
                                "created_by_id": moderator.id},
            "title ban until": {"player_id": players[1].id, "kind": "ban", "title_id": title.id,
                                    "expires_at": now + timedelta(days=2), "reason": "abuse"},
            "permanent ban": {"player_id": players[2].id, "kind": "ban"},
            "expired mute": {"player_id": players[3].id, "kind": "mute",
                                 "expires_at": now - timedelta(minutes=1)},
            "lifted ban": {"player_id": players[4].id, "kind": "ban", "lifted_at": now},
        }  # fmt: skip
        ids = {name: restriction.objects.create(**fields).id for name, fields in rows.items()}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    sanctions = {
        row["evidence"][0]["id"]: row
        for row in Sanction.objects.values(
            "player_id", "kind", "title_id", "expires_at", "lifted_at", "reason", "issued_by_id",
            "evidence",
        )
    }  # fmt: skip
    assert len(sanctions) == 5
    mute = sanctions[ids["global mute"]]
    assert (mute["kind"], mute["title_id"], mute["expires_at"]) == ("chat_mute", None, None)
    assert (mute["reason"], mute["issued_by_id"]) == ("spam", moderator.id)
    ban = sanctions[ids["title ban until"]]
    assert (ban["kind"], ban["title_id"]) == ("ban", title.id)
    assert ban["expires_at"] == rows["title ban until"]["expires_at"]
    assert sanctions[ids["lifted ban"]]["lifted_at"] == now
    held = [
        sanction_holds(player=players[0], action=Action.CHAT_SEND, title=title),
        sanction_holds(player=players[1], action=Action.CHAT_SEND, title=title),
        sanction_holds(player=players[2], action=Action.LOGIN),
        sanction_holds(player=players[3], action=Action.CHAT_SEND, title=title),
        sanction_holds(player=players[4], action=Action.LOGIN),
    ]
    assert held == [True, True, True, False, False]
