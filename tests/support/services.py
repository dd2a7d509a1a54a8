"""Which real services this run has, and the skip-or-fail rule for tests that need them.

A test marked ``postgres``/``redis``/``celery_worker``/``browser``/``servicebus``/``azurite`` runs
when the service is configured; otherwise it is skipped with the reason shown — unless
``COMMUNITY_REQUIRE_SERVICES=1`` (CI), where a missing service fails the test.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("COMMUNITY_REQUIRE_SERVICES") == "1"
CHROMIUM = Path("/usr/bin/chromium")


def _missing_reason(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "PostgreSQL not configured (set DATABASE_URL=postgres://…)"
    if marker == "redis" and not settings.REDIS_URL:
        return "Redis not configured (set REDIS_URL=redis://…)"
    if marker == "celery_worker" and not settings.CELERY_BROKER_URL:
        return "no Celery broker configured (set CELERY_BROKER_URL=redis://…)"
    if marker == "browser" and not CHROMIUM.exists():
        return "Debian's chromium is not installed (/usr/bin/chromium; make system-packages)"
    if marker == "azurite":
        from tests.support.azurite import azurite_missing_reason

        return azurite_missing_reason()
    if marker == "servicebus":
        try:
            import proton  # noqa: F401
        except ImportError:
            return "python-qpid-proton is not installed"
    return None


def enforce_service_markers(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "celery_worker", "browser", "servicebus", "azurite"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_reason(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"COMMUNITY_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
