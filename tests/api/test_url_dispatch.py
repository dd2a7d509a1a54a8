"""Each app's API endpoints are entered by their first path segment (apps/api/urls.py): every
route still resolves to its own view, and the apps' segments never overlap."""

import uuid
from importlib import import_module

import pytest
from django.urls import URLPattern, resolve, reverse

from apps.api.urls import API_URL_MODULES, first_segments

SAMPLES = {"IntConverter": 7, "StringConverter": "x", "SlugConverter": "x-y",
           "UUIDConverter": uuid.UUID(int=1), "PathConverter": "x/y"}  # fmt: skip


def test_no_two_apps_share_a_first_segment():
    seen: dict[str, str] = {}
    for name in API_URL_MODULES:
        for segment in first_segments(import_module(name)):
            assert segment not in seen, (segment, seen.get(segment), name)
            seen[segment] = name


@pytest.mark.parametrize("module_name", API_URL_MODULES)
def test_every_api_route_resolves_to_its_own_view(module_name):
    patterns = [p for p in import_module(module_name).urlpatterns if isinstance(p, URLPattern)]
    assert patterns
    for pattern in patterns:
        kwargs = {key: SAMPLES[type(converter).__name__]
                  for key, converter in pattern.pattern.converters.items()}  # fmt: skip
        path = reverse(pattern.name, kwargs=kwargs)

        match = resolve(path)

        assert path.startswith("/api/v1/")
        assert match.url_name == pattern.name, path
        assert match.route == f"api/v1/{pattern.pattern}"  # the metrics' route label
