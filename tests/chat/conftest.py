from collections.abc import Iterator

import pytest
from channels.layers import channel_layers

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.limits import local_state_clear
from apps.chat.moderation import word_filters_reset
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


@pytest.fixture(autouse=True)
def _fresh_chat_state() -> Iterator[None]:
    """Each test gets a fresh channel layer (bound to its own event loop), limits and filters."""
    channel_layers.backends.clear()
    local_state_clear()
    word_filters_reset()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def title():
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


@pytest.fixture
def lobby(title):
    return lobby_channel_get_or_create(title=title)


@pytest.fixture
def alice():
    return PlayerFactory(display_name="alice", display_name_key="alice")


@pytest.fixture
def bob():
    return PlayerFactory(display_name="bob", display_name_key="bob")


@pytest.fixture
def carol():
    return PlayerFactory(display_name="carol", display_name_key="carol")
