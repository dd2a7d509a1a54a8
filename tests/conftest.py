from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.support.live import LiveServer, run_celery_worker, run_daphne, tasks_through_broker
from tests.support.services import enforce_service_markers

# The Service Bus test broker's fixtures (imports proton only when a test uses them).
pytest_plugins = ["tests.servicebus.fixtures"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """The committed catalogs are compiled where their .mo is missing or older (``make test``
    compiles them with GNU gettext first) and the en-xa pseudo-locale is generated (never
    committed) before any test or live server loads translations, so tests see today's
    catalogs."""
    from django.conf import settings

    from apps.ops.catalogs import catalogs_compile
    from apps.ops.pseudo_locale import pseudo_locale_build

    catalogs_compile()
    pseudo_locale_build(output_dir=Path(settings.PSEUDO_LOCALE_DIR))


def pytest_runtest_setup(item: pytest.Item) -> None:
    enforce_service_markers(item)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate limits and once-a-minute guards live in the cache (or, with no Redis, in this
    process), automod's rule sets and API token rows are kept per process, and with no Redis
    who is online is held in this process too: each test starts without them (on SQLite a
    rolled-back test's row ids come back, so a stale set would match them)."""
    from django.core.cache import cache

    from apps.accounts.token_cache import local_state_clear as token_rows_clear
    from apps.chat.limits import local_state_clear as chat_limits_clear
    from apps.moderation.automod.services import local_state_clear as automod_state_clear
    from apps.players.presence_store import local_state_clear as presence_state_clear

    cache.clear()
    chat_limits_clear()
    automod_state_clear()
    presence_state_clear()
    token_rows_clear()


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test gets its own channel layer instance: channels_redis' layer holds asyncio locks
    bound to the first loop that contends on them, and every async test runs on a new loop
    ("Lock ... is bound to a different event loop" otherwise, at random)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _chat_committer_stopped() -> Iterator[None]:
    """A test that stored chat messages through the group committer leaves no thread (or
    database connection, which would block dropping the test database) behind."""
    yield
    from apps.chat.commit import committer_stop

    committer_stop()


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def logged_in_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def live_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker, live_tmp: Path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """One real Daphne for the session, on the test database. Tests that write data it must
    see use ``transactional_db`` (their rows are committed)."""
    with django_db_blocker.unblock(), run_daphne(live_tmp) as server:
        yield server


@pytest.fixture
def celery_worker(django_db_setup, django_db_blocker, live_tmp: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A real ``celery -A community worker`` on the configured broker; while it runs, tasks
    sent from the test go through the broker instead of running in-process."""
    with django_db_blocker.unblock(), run_celery_worker(live_tmp), tasks_through_broker():
        yield
