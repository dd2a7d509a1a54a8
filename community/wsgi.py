"""WSGI entry point: production serves the portal and REST API from gunicorn workers.

Sync Django views ran at about a fifth of gunicorn's throughput under Daphne on our machines,
so only ``/ws/`` goes to Daphne (see docs/operations.md for the proxy routing).
"""

import os

from django.core.wsgi import get_wsgi_application

from community.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

application = get_wsgi_application()

from apps.common.metrics import is_multiprocess  # noqa: E402
from apps.common.telemetry import telemetry_start  # noqa: E402

# OpenTelemetry export when configured (docs/operations.md): each worker its spans, and its
# metrics unless the workers share PROMETHEUS_MULTIPROC_DIR (then the master exports the sum:
# community/gunicorn.py).
telemetry_start(service="community-web", metrics=not is_multiprocess())
