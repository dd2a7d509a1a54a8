"""The migration that adds identity title uses backfills the titles that already have a
player's history, so their claim codes and chat tokens keep working after the upgrade."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

# Titles as they were then too: later title columns (per-language names) have no database
# default, so the historical model could not insert a title with them present.
BEFORE = [("players", "0003_notification_kind_match_result"), ("titles", "0001_initial")]
AFTER = [("players", "0004_identity_title_use"), ("titles", "0001_initial")]


def migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_latest():  # type: ignore[no-untyped-def]
    """Leave the schema fully migrated for the tests that follow (later migrations too)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_titles_that_already_have_a_players_history_are_recorded_as_using_its_identities():
    old = migrate(BEFORE)
    title_model = old.get_model("titles", "Title")
    starfall = title_model.objects.create(slug="starfall-arena", name="Starfall Arena")
    kaiju = title_model.objects.create(slug="kaiju-kingdoms", name="Kaiju Kingdoms")
    racers = title_model.objects.create(slug="tiny-racers", name="Tiny Racers")
    shadow = old.get_model("players", "Player").objects.create(
        display_name="Nova", display_name_key="nova"
    )
    identity = old.get_model("players", "PlayerIdentity").objects.create(
        player=shadow, provider="steam", external_id="1", title=starfall
    )
    old.get_model("players", "PlayerTitleStats").objects.create(player=shadow, title=starfall)
    old.get_model("players", "Achievement").objects.create(
        player=shadow, title=kaiju, key="k", name="K", unlocked_at=timezone.now()
    )

    new = migrate(AFTER)

    uses = new.get_model("players", "IdentityTitleUse").objects.values_list(
        "identity_id", "title_id"
    )
    assert list(uses) == [(identity.id, kaiju.id)]  # not the creator, not a stranger
    assert racers.id not in {title_id for _identity, title_id in uses}
