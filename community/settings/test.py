"""pytest: the same backends as every environment (switched by the same variables), made fast.

CI exports DATABASE_URL, REDIS_URL and CELERY_BROKER_URL so the suite runs on PostgreSQL and
Redis; without them it runs on the embedded defaults and the service tests skip.
"""

import os

from community.settings.base import *  # noqa: F403
from community.settings.base import DATABASES, VAR_DIR, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a live Daphne started by a fixture sees the same test database;
    # one per pytest process so parallel runs on one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif env.int("DATABASE_POOL_MAX_SIZE", default=0) == 0:
    # The pytest process opens one connection; live servers started by fixtures use the pool.
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)

# The pytest process runs tasks in-process so a test sees their effects; tests that need a real
# worker use the `celery_worker` fixture, which sends to the broker and starts a worker process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min", "auth": "10000/min"},
}
METRICS_TOKEN = env.str("METRICS_TOKEN", default="test-metrics-token")
