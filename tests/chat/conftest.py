from collections.abc import Iterator

import pytest
from channels.layers import channel_layers

from apps.chat.limits import local_state_clear
from apps.chat.moderation import word_filters_reset


@pytest.fixture(autouse=True)
def _fresh_chat_state() -> Iterator[None]:
    """Each test gets a fresh channel layer (bound to its own event loop), limits and filters."""
    channel_layers.backends.clear()
    local_state_clear()
    word_filters_reset()
    yield
    channel_layers.backends.clear()
