"""The home page: a player's (feed with results, friends online, games, unread chat, first-run
checklist) and a visitor's (what this is, live public numbers, sign up)."""

from django.test import Client

from apps.players.friends import friend_request_send
from apps.players.models import ActivityKind, PlayerIdentity, PlayerTitleStats
from apps.players.services import activity_record
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


def _client_for(player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


def _befriend(one, other) -> None:
    friend_request_send(sender=one, recipient=other)
    friend_request_send(sender=other, recipient=one)  # a crossed request makes the friendship


def test_a_new_player_sees_the_first_run_checklist_with_nothing_but_the_name_done(db):
    player = PlayerFactory(display_name="Hanako")

    page = _client_for(player).get("/").content.decode()

    assert 'data-testid="checklist"' in page
    assert 'class="done" data-step="name"' in page
    for step in ("avatar", "game_account", "friend"):
        assert f'class="" data-step="{step}"' in page
    assert "Nothing here yet" in page


def test_the_checklist_ticks_a_linked_game_account_and_a_friend(db):
    player = PlayerFactory()
    PlayerIdentity.objects.create(player=player, provider="steam", external_id="7656")
    _befriend(player, PlayerFactory())

    page = _client_for(player).get("/").content.decode()

    assert 'class="done" data-step="game_account"' in page
    assert 'class="done" data-step="friend"' in page


def test_the_feed_shows_a_friends_match_result_with_its_score(db):
    title = TitleFactory(name="Starfall Arena")
    player, friend = PlayerFactory(), PlayerFactory(display_name="Bruno")
    _befriend(player, friend)
    activity_record(
        player=friend,
        kind=ActivityKind.MATCH_COMPLETED,
        data={"outcome": "win", "score": 31, "mode": "duel", "team": "red"},
        title=title,
    )

    page = _client_for(player).get("/").content.decode()

    feed = page.split('data-testid="home-feed"')[1].split("</section>")[0]
    assert "<bdi>Bruno</bdi>" in feed
    assert "won a match" in feed
    assert "score 31" in feed
    assert "<bdi>duel</bdi>" in feed
    assert "<bdi>Starfall Arena</bdi>" in feed


def test_the_feed_leaves_out_strangers(db):
    player, stranger = PlayerFactory(), PlayerFactory(display_name="Stranger")
    activity_record(player=stranger, kind=ActivityKind.MATCH_COMPLETED, data={"outcome": "win"})

    page = _client_for(player).get("/").content.decode()

    assert "Stranger" not in page


def test_the_player_sees_their_games_with_stats(db):
    title = TitleFactory(name="Starfall Arena")
    player = PlayerFactory()
    PlayerTitleStats.objects.create(
        player=player, title=title, matches_played=12, matches_won=5, session_seconds=5400
    )

    page = _client_for(player).get("/").content.decode()

    games = page.split('data-testid="home-games"')[1].split("</section>")[0]
    assert "<bdi>Starfall Arena</bdi>" in games
    assert "12 matches" in games
    assert "5 wins" in games
    assert "1.5 hours" in games  # time played from game sessions


def test_a_visitor_sees_public_numbers_and_the_sign_up(db):
    PlayerFactory()
    PlayerFactory()
    PlayerFactory(user=None)  # a shadow player (no login) is not counted

    page = Client().get("/").content.decode()

    numbers = page.split('data-testid="public-numbers"')[1].split("</section>")[0]
    assert "<strong>2</strong>" in numbers
    assert 'href="/accounts/signup/"' in page
    assert 'data-testid="checklist"' not in page


def test_a_signed_in_user_without_a_player_is_asked_to_create_one(db):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="nobody"))

    page = client.get("/").content.decode()

    assert 'data-testid="create-player"' in page
    assert 'href="/players/create/"' in page
