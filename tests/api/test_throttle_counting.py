"""With Redis as the cache (production), a throttle counts every call exactly, however many
workers count the same caller at once: DRF's own GET-then-SET loses updates between them."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.api.throttling import AnonRateThrottle

pytestmark = pytest.mark.redis

LIMIT = 60


def test_concurrent_calls_from_one_caller_are_let_through_exactly_up_to_the_limit(monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": f"{LIMIT}/hour"})
    view = APIView()

    def one_call(_number: int) -> bool:
        request = Request(RequestFactory().get("/api/v1/titles", REMOTE_ADDR="203.0.113.7"))
        return AnonRateThrottle().allow_request(request, view)

    with ThreadPoolExecutor(max_workers=8) as workers:
        answers = list(workers.map(one_call, range(4 * LIMIT)))

    assert answers.count(True) == LIMIT
    assert answers.count(False) == 3 * LIMIT
