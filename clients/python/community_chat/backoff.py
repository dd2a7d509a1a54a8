"""The reconnect and retry schedule: exponential back-off with full jitter, bounded.

After a deploy or a Redis restart every client of a server loses its socket at the same
moment; if they all came back on the same schedule they would arrive together, again and
again. "Full jitter" draws each wait uniformly from ``[0, ceiling]``, where the ceiling
doubles from ``initial`` up to ``maximum``: the reconnects spread over the whole window.
When the server names a time (``details.retry_after``), the wait starts there and the jitter
is added on top, so clients told the same time still do not come back together.
"""

import random
from dataclasses import dataclass, field

# 2**32 times any initial delay is past any maximum: stop growing the exponent there.
_MAX_EXPONENT = 32


@dataclass
class Backoff:
    initial: float = 0.2
    maximum: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def ceiling(self) -> float:
        """The longest jittered wait of the next attempt (before any server hint)."""
        return min(self.maximum, self.initial * 2 ** min(self.attempt, _MAX_EXPONENT))

    def next_delay(self, *, at_least: float = 0.0) -> float:
        """Seconds to wait before the next attempt: ``at_least`` (the server's hint) plus a
        uniform draw from ``[0, ceiling]``; every call doubles the ceiling up to ``maximum``."""
        delay = max(0.0, at_least) + self.rng.uniform(0.0, self.ceiling())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """A connection held (or a request succeeded): start again from ``initial``."""
        self.attempt = 0
