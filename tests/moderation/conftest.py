import pytest
from django.contrib.auth.models import Group

from apps.chat.channels import lobby_channel_get_or_create
from tests.factories import TitleFactory, UserFactory
from tests.players.factories import PlayerFactory


@pytest.fixture
def title():
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


@pytest.fixture
def other_title():
    return TitleFactory(slug="kaiju-kingdoms", name="Kaiju Kingdoms")


@pytest.fixture
def lobby(title):
    return lobby_channel_get_or_create(title=title)


@pytest.fixture
def alice():
    return PlayerFactory(display_name="alice", display_name_key="alice")


@pytest.fixture
def bob():
    return PlayerFactory(display_name="bob", display_name_key="bob")


def _staff(username: str, group: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(db):
    return _staff("mod-a", "moderators")


@pytest.fixture
def senior(db):
    return _staff("senior-a", "senior moderators")
