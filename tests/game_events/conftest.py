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
