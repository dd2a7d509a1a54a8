"""WSGI entry point: production serves the portal and REST API from gunicorn workers.

Sync Django views ran at about a fifth of gunicorn's throughput under Daphne on our machines,
so only ``/ws/`` goes to Daphne (see docs/operations.md for the proxy routing).
"""

import os

from django.core.wsgi import get_wsgi_application

from community.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

application = get_wsgi_application()
