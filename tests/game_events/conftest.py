from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TitleFactory
from tests.game_events.events import handler_recorder
from tests.servicebus.fixtures import servicebus_broker  # noqa: F401

__all__ = ["handler_recorder"]


@pytest.fixture
def title(db):  # type: ignore[no-untyped-def]
    return TitleFactory(slug="starfall-arena", name="Starfall Arena")


@pytest.fixture
def title_client(title) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client authenticated with a ``tk_`` key of ``title`` holding events:publish."""
    issued = title_credential_create(
        title=title, name="game server", scopes=[scopes.EVENTS_PUBLISH]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


@pytest.fixture
def recorded(handler_recorder):  # type: ignore[no-untyped-def]
    return handler_recorder


@pytest.fixture
def unhandled_type() -> Iterator[str]:
    """A catalog type no app handles in this deployment: ``ugc.published`` with UGC's handler
    taken out for the test (every catalog type has a handler once all apps are installed)."""
    from apps.game_events import registry

    key = ("ugc.published", 1)
    saved = list(registry._handlers.get(key, []))
    registry._handlers[key] = []
    yield "ugc.published"
    registry._handlers[key] = saved


@pytest.fixture
def apply_task_queued(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Apply tasks go to the test's broker (nobody consumes them here) instead of running at
    once, so the test decides when the applier runs and can count the queued tasks. Set in
    Django's settings as well: some Celery versions read ``CELERY_*`` from them on each access,
    so an assignment to ``app.conf`` alone does not hold."""
    from apps.game_events.tasks import events_apply_pending_task

    app = events_apply_pending_task.app  # the app the task sends with
    app.control.purge()
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
        app.control.purge()
        # The purged tasks' wake-up key would hold back the next commit's wake-up.
        from django.core.cache import cache

        from apps.game_events.tasks import WAKEUP_KEY

        cache.delete(WAKEUP_KEY)


def queued_tasks() -> int:
    """Messages waiting in the broker's default queue."""
    from apps.game_events.tasks import events_apply_pending_task

    app = events_apply_pending_task.app

    with app.connection_for_read() as connection:
        return connection.default_channel.queue_declare(queue="celery", passive=True).message_count
