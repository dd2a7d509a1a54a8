import factory
from factory.django import DjangoModelFactory

from apps.common.text_safety import name_key
from apps.players.models import Player
from tests.factories import UserFactory


class PlayerFactory(DjangoModelFactory):
    """A player with a login. ``PlayerFactory(user=None)`` makes a shadow player."""

    class Meta:
        model = Player

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Player {n}")
    display_name_key = factory.LazyAttribute(lambda p: name_key(p.display_name))
