"""Settings for the benchmark's Daphne servers: the project's local settings (the channel layer
already reads Redis with the 30 s timeout docs/websocket-protocol.md explains)."""

from community.settings.local import *  # noqa: F403
