"""Hot reads compiled once and rerun with fresh parameters (apps.common.compiled_query)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.gates import login_gate_hint_values
from apps.accounts.models import ApiToken
from apps.accounts.selectors import api_token_get_active
from apps.accounts.services import api_token_create
from apps.common.compiled_query import CompiledQuery, CompiledQueryError, instance_copy
from apps.common.exceptions import NotFound
from apps.common.secrets import secret_digest
from apps.players.selectors import player_get_visible
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory


@pytest.fixture(autouse=True)
def _token_read_every_call(settings) -> None:  # type: ignore[no-untyped-def]
    """The token lookup's own query, run on every call (a process keeps its row otherwise:
    tests/accounts/test_token_cache.py)."""
    settings.API_TOKEN_CACHE_SECONDS = 0


@pytest.mark.django_db
def test_a_token_read_compiled_brings_its_user_and_player_in_one_query(
    django_assert_num_queries,
):
    player = PlayerFactory(display_name="Aiko")
    secret = api_token_create(user=player.user, name="t").secret
    api_token_get_active(secret=secret)  # compiled by now

    with django_assert_num_queries(1):
        token = api_token_get_active(secret=secret)
        names = (token.user.username, token.user.player.display_name)

    assert token.name == "t"
    assert names == (player.user.username, "Aiko")
    assert api_token_get_active(secret=secret + "x") is None


@pytest.mark.django_db
def test_a_copy_reads_and_saves_as_the_instances_it_was_copied_from():
    """``instance_copy`` (the kept API token's per-request instances): the same values and
    related instances, nothing shared that can change in place, and a real saved instance."""
    player = PlayerFactory(display_name="Aiko", notification_opt_outs=["friend_request"])
    secret = api_token_create(user=player.user, name="t").secret
    token = api_token_get_active(secret=secret)

    copied = instance_copy(token)
    copied.user.player.notification_opt_outs.append("guild_invite")
    copied.user.player.display_name = "Aiko copy"
    copied.user.player.save(update_fields=["display_name"])

    assert copied.pk == token.pk and copied.user is not token.user
    assert copied.user.player.user is copied.user  # the reverse one-to-one, as loaded
    assert token.user.player.notification_opt_outs == ["friend_request"]
    assert login_gate_hint_values(copied) == login_gate_hint_values(token) != {}
    player.refresh_from_db()
    assert player.display_name == "Aiko copy"  # an UPDATE of the existing row, not an INSERT
    with CaptureQueriesContext(connection) as captured:
        assert copied.user.player.display_name == "Aiko copy"
    assert not captured  # related instances come with the copy


@pytest.mark.django_db
def test_a_token_expiring_while_in_use_is_refused_on_the_next_request():
    user = UserFactory()
    token = api_token_create(user=user, name="t")
    assert api_token_get_active(secret=token.secret) is not None  # compiled at this moment

    ApiToken.objects.filter(id=token.token.id).update(expires_at=timezone.now())

    assert api_token_get_active(secret=token.secret) is None


@pytest.mark.django_db
def test_a_builder_that_reads_the_clock_itself_is_refused_at_first_use():
    def tokens_live_now(*, digest):
        return ApiToken.objects.filter(digest=digest, expires_at__gt=timezone.now())

    query = CompiledQuery(tokens_live_now, digest=ApiToken._meta.get_field("digest"))

    with pytest.raises(CompiledQueryError, match="not one of"):
        query.first(digest="anything")


@pytest.mark.django_db
@pytest.mark.parametrize("player_id", [10**20, -(10**20), 2**63])
def test_an_id_no_column_can_hold_finds_nothing_instead_of_failing(player_id):
    """As Django's own lookups: an id beyond the column's range is "no such player" (404),
    on PostgreSQL and on SQLite alike, not a database error."""
    viewer = PlayerFactory()
    player_get_visible(viewer=viewer, player_id=viewer.id)  # compiled by now

    with pytest.raises(NotFound):
        player_get_visible(viewer=viewer, player_id=player_id)

    assert player_get_visible(viewer=viewer, player_id=viewer.id)[0] == viewer


def prepared_runs(sql_start: str) -> list[tuple[int, int]]:
    """PostgreSQL's prepared statements on this connection whose SQL starts with
    ``sql_start``: (generic plans, custom plans) of each: how often each was run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            [sql_start.replace("%", r"\%") + "%"],
        )
        return cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_compiled_read_is_parsed_and_planned_once_per_connection_then_rerun():
    users = [UserFactory() for _ in range(3)]
    secrets = [api_token_create(user=user, name="t").secret for user in users]
    api_token_get_active(secret="no-such-token")  # compiled and prepared by now

    with CaptureQueriesContext(connection) as logged:
        found = [api_token_get_active(secret=secret) for secret in secrets]

    assert [token.user for token in found] == users  # each run with its own parameter
    runs = prepared_runs('SELECT "accounts_apitoken"."id"')
    assert len(runs) == 1  # one statement, not one per parameter
    assert sum(runs[0]) == 4  # run four times by its name
    # Logged as any query is (DEBUG's connection.queries): the SQL with its parameters.
    assert [query["sql"][:31] for query in logged] == ['SELECT "accounts_apitoken"."id"'] * 3
    assert all(
        secret_digest(secret) in query["sql"] for secret, query in zip(secrets, logged, strict=True)
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_prepared_read_gives_the_times_django_gives():
    user = UserFactory()
    secret = api_token_create(user=user, name="t").secret
    expiry = timezone.now() + timedelta(days=3, microseconds=7)
    ApiToken.objects.filter(user=user).update(expires_at=expiry)
    api_token_get_active(secret=secret)

    compiled = api_token_get_active(secret=secret)

    assert compiled.expires_at == expiry  # to the microsecond
    assert compiled.expires_at.utcoffset() == timedelta(0)  # aware, in UTC
    assert compiled.user.date_joined == user.date_joined


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_prepared_statements_off_nothing_is_prepared(monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=false (a pooler that loses them): the compiled reads
    run as Django's own queries do."""
    monkeypatch.delitem(connection.settings_dict["OPTIONS"], "prepare_threshold")
    user = UserFactory()
    secret = api_token_create(user=user, name="t").secret

    assert api_token_get_active(secret=secret).user == user
    assert api_token_get_active(secret=secret).user == user

    assert prepared_runs('SELECT "accounts_apitoken"."id"') == []
