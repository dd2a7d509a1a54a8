from collections.abc import Iterator

import pytest
from channels.layers import channel_layers
from django.contrib.auth.models import Group

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.limits import local_state_clear
from apps.moderation.roles import roles_ensure
from tests.factories import TitleFactory, UserFactory
from tests.players.factories import PlayerFactory


@pytest.fixture(autouse=True)
def _roomy_chat_limits(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Tests here post many messages quickly; chat's own flood limits are chat's tests' job."""
    settings.CHAT_RATE_PLAYER_CAPACITY = 10_000
    settings.CHAT_RATE_CHANNEL_CAPACITY = 10_000
    channel_layers.backends.clear()
    local_state_clear()
    yield
    channel_layers.backends.clear()


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
    roles_ensure()  # a transactional test's flush drops the groups the migrations made
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(db):
    return _staff("mod-a", "moderators")


@pytest.fixture
def senior(db):
    return _staff("senior-a", "senior moderators")
