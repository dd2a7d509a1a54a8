import pytest

from apps.chat.channels import lobby_channel_get_or_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


@pytest.fixture
def lobby():
    return lobby_channel_get_or_create(title=TitleFactory(slug="starfall-arena"))


@pytest.fixture
def alice():
    return PlayerFactory(display_name="alice", display_name_key="alice")


@pytest.fixture
def bob():
    return PlayerFactory(display_name="bob", display_name_key="bob")
