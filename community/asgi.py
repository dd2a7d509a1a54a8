"""ASGI entry point served by Daphne: HTTP (embedded default) and the ``/ws/`` websocket.

The websocket stack is: origin check → authentication (session cookie or bearer token) →
URL router. Both live in ``apps.realtime``; the routes are in ``community.routing``.
"""

import os

from django.core.asgi import get_asgi_application

from community.env import default_settings_module
from community.server import daphne_request_patch

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

daphne_request_patch()

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.common.telemetry import telemetry_start  # noqa: E402
from apps.realtime.middleware import RealtimeAuthMiddleware, WebsocketOriginValidator  # noqa: E402
from community.routing import websocket_urlpatterns  # noqa: E402

# OpenTelemetry export when configured (docs/operations.md); nothing otherwise.
telemetry_start(service="community-asgi")

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketOriginValidator(
            RealtimeAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
