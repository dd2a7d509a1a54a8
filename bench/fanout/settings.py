"""Settings for the benchmark's Daphne servers: the project's local settings plus the channel
layer read timeout docs/websocket-protocol.md recommends (redis-py 8's 5 s default equals
channels_redis' blocking receive; under this load consumers otherwise die of read timeouts)."""

from community.settings.local import *  # noqa: F403
from community.settings.local import CHANNEL_LAYERS, REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0].update({"socket_timeout": 30})
