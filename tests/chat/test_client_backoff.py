"""The reference client's reconnect schedule: exponential, fully jittered, bounded.

A seeded ``random.Random`` makes each schedule reproducible, so these are exact checks of
what a game team's port must do, not of timing."""

import random

from community_chat import Backoff, ChatClient
from community_chat.client import retry_hint


def schedule(seed: int, count: int, **kwargs: float) -> list[float]:
    backoff = Backoff(rng=random.Random(seed), **kwargs)
    return [backoff.next_delay() for _ in range(count)]


def test_each_wait_is_drawn_below_a_ceiling_that_doubles_up_to_the_maximum():
    delays = schedule(1, 12, initial=0.2, maximum=10.0)

    ceilings = [min(10.0, 0.2 * 2**attempt) for attempt in range(12)]
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert max(delays) <= 10.0
    assert len(set(delays)) == 12  # jittered: not a fixed ladder
    # Full jitter: a wait is not pinned to its ceiling (or half of it) as a plain doubling is.
    assert any(delay < ceiling / 2 for delay, ceiling in zip(delays, ceilings, strict=True))


def test_the_ceiling_stays_bounded_however_many_attempts_fail():
    backoff = Backoff(initial=0.2, maximum=10.0, rng=random.Random(2))
    for _ in range(10_000):
        backoff.next_delay()

    assert backoff.ceiling() == 10.0
    assert 0 <= backoff.next_delay() <= 10.0


def test_clients_cut_off_together_spread_their_reconnects_over_the_window():
    first_waits = [schedule(seed, 1, initial=1.0)[0] for seed in range(1000)]

    tenths = [sum(1 for wait in first_waits if n / 10 <= wait < (n + 1) / 10) for n in range(10)]
    assert all(0 <= wait <= 1.0 for wait in first_waits)
    # Each tenth of the window gets its share (100 ± 40): no synchronized stampede.
    assert all(60 <= count <= 140 for count in tenths), tenths


def test_a_servers_retry_after_is_honoured_and_still_jittered():
    backoff = Backoff(initial=0.2, maximum=10.0, rng=random.Random(3))
    delays = [backoff.next_delay(at_least=5.0) for _ in range(6)]

    assert all(5.0 <= delay <= 5.0 + 10.0 for delay in delays)
    assert len(set(delays)) == 6


def test_an_outages_retry_after_ms_is_honoured_like_retry_after():
    backoff = Backoff(initial=0.2, maximum=10.0, rng=random.Random(5))
    hint = retry_hint({"retry_after_ms": 2500, "retry": "same_client_msg_id"})
    delays = [backoff.next_delay(at_least=hint) for _ in range(6)]

    assert hint == 2.5
    assert all(delay >= 2.5 for delay in delays)
    assert retry_hint({"retry_after": 4}) == 4.0
    assert retry_hint({}) == 0.0


def test_a_connection_that_held_starts_the_schedule_again():
    backoff = Backoff(initial=0.2, maximum=10.0, rng=random.Random(4))
    for _ in range(8):
        backoff.next_delay()
    backoff.reset()

    assert backoff.ceiling() == 0.2
    assert backoff.next_delay() <= 0.2


def test_the_client_reconnects_on_the_schedule_of_its_seeded_generator():
    client = ChatClient(
        "ws://127.0.0.1:9/ws/", "ct_x", backoff_initial=0.1, backoff_max=2.0,
        rng=random.Random(9),
    )  # fmt: skip

    delays = [client.backoff.next_delay() for _ in range(8)]

    assert delays == schedule(9, 8, initial=0.1, maximum=2.0)
    assert all(0 <= delay <= 2.0 for delay in delays)
