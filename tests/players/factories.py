import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.common.text_safety import name_key
from apps.players.models import GameSession, Player
from tests.factories import TitleFactory, UserFactory


class PlayerFactory(DjangoModelFactory):
    """A player with a login. ``PlayerFactory(user=None)`` makes a shadow player."""

    class Meta:
        model = Player

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Player {n}")
    display_name_key = factory.LazyAttribute(lambda p: name_key(p.display_name))


def in_game(player: Player, *, match_id: str = "") -> GameSession:
    """An open game session of ``player`` in a title of its own, seen just now (presence:
    in a game, or in a match with ``match_id``)."""
    return GameSession.objects.create(
        player=player, title=TitleFactory(), session_id=f"s-{player.id}", match_id=match_id,
        last_seen_at=timezone.now(),
    )  # fmt: skip
