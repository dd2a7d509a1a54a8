"""Mounts each app's REST endpoints under /api/v1/.

Each app's endpoints are one include, entered only when the path's first segment is one of
that app's (``guilds/…`` goes straight to the guild endpoints): Django tries patterns in
order, and a request for the last app's endpoints used to be matched against every pattern
of the apps before it (about 80 regular expressions for a guild read). The apps' first
segments are disjoint (tested), so the order of the includes decides nothing."""

from importlib import import_module
from types import ModuleType
from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern

API_URL_MODULES = (
    "apps.accounts.urls_api",
    "apps.titles.urls",
    "apps.players.urls",
    "apps.chat.urls",
    "apps.game_events.urls",
    "apps.moderation.urls",
    "apps.ugc.urls",
    "apps.guilds.urls",
)


def first_segments(module: ModuleType) -> frozenset[str]:
    """The first path segments of a URL module's routes (``guilds`` for ``guilds/<int:…>``)."""
    patterns: list[URLPattern | URLResolver] = module.urlpatterns
    return frozenset(str(pattern.pattern).split("/", 1)[0] for pattern in patterns)


class FirstSegmentPattern(RoutePattern):
    """The empty route of ``path("", include(…))`` that matches only paths whose first
    segment is one of ``segments``; it consumes nothing, so routes, names, reversing and the
    resolved ``route`` (the metrics' label) are those of the plain include."""

    def __init__(self, segments: frozenset[str]) -> None:
        super().__init__("", is_endpoint=False)
        self.segments = segments

    def match(self, path: str) -> tuple[str, tuple[Any, ...], dict[str, Any]] | None:
        if path.split("/", 1)[0] in self.segments:
            return path, (), {}
        return None


def _mount(name: str) -> URLResolver:
    module = import_module(name)
    return URLResolver(FirstSegmentPattern(first_segments(module)), module)


urlpatterns = [_mount(name) for name in API_URL_MODULES]
