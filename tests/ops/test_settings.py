"""Each environment variable switches the backend it names; production passes check --deploy.

Settings are read once per process, so each case imports them in a fresh interpreter.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "pool": db.get("OPTIONS", {}).get("pool"),
    "connect_timeout": db.get("OPTIONS", {}).get("connect_timeout"),
    "prepare_threshold": db.get("OPTIONS", {}).get("prepare_threshold"),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "debug": settings.DEBUG,
    "secure_cookies": settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE,
    "ugc_storage": settings.STORAGES["ugc"]["BACKEND"],
    "ugc_credential": type(settings.STORAGES["ugc"]["OPTIONS"].get("token_credential")).__name__,
    "ugc_key": settings.STORAGES["ugc"]["OPTIONS"].get("account_key"),
}, default=lambda value: getattr(value, "__name__", type(value).__name__)))
"""

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ENV")


def clean_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(variables)
    return env


def settings_under(**variables: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
         "__import__('community.env').env.default_settings_module())\n" + PRINT_SETTINGS],
        cwd=BASE_DIR, env=clean_env(**variables), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout)


def test_embedded_defaults_need_no_server():
    result = settings_under()
    assert result["engine"] == "django.db.backends.sqlite3"
    assert result["layer"] == "channels.layers.InMemoryChannelLayer"
    assert result["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert result["eager"] is True
    assert result["debug"] is True


def test_database_url_switches_to_postgresql_with_a_pool_and_no_persistent_connections():
    result = settings_under(DATABASE_URL="postgres://postgres@127.0.0.1:5432/community")
    # Django's backend with the outage breaker in front of it (apps/common/postgresql).
    assert result["engine"] == "apps.common.postgresql"
    assert result["conn_max_age"] == 0
    assert result["pool"] == {"min_size": 1, "max_size": 10, "timeout": 2.0,
                              "reconnect_timeout": 5.0}  # fmt: skip
    assert result["connect_timeout"] == 2
    assert result["prepare_threshold"] == 1  # the hot reads are prepared statements
    assert result["layer"] == "channels.layers.InMemoryChannelLayer"


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them():
    result = settings_under(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/community",
        DATABASE_PREPARED_STATEMENTS="false",
    )
    assert result["prepare_threshold"] is None  # psycopg prepares nothing


def test_redis_url_switches_channel_layer_and_cache_to_redis():
    result = settings_under(REDIS_URL="redis://127.0.0.1:6379/3")
    assert result["layer"] == "apps.realtime.layer.ChannelLayer"  # channels-redis, subclassed
    # Pooled connections are health-checked and retried once after a Redis restart.
    assert result["layer_hosts"] == [
        {
            "address": "redis://127.0.0.1:6379/3",
            "max_connections": 1000,
            "socket_timeout": 30,
            "socket_connect_timeout": 2,
            "socket_keepalive": True,
            "health_check_interval": 5,
            "retry": "Retry",
            "retry_on_error": ["ConnectionError"],
        }
    ]
    assert result["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert result["engine"] == "django.db.backends.sqlite3"


def test_celery_broker_url_switches_tasks_to_the_broker():
    result = settings_under(CELERY_BROKER_URL="redis://127.0.0.1:6379/4")
    assert result["eager"] is False
    assert result["broker"] == "redis://127.0.0.1:6379/4"


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "p" * 20 + "-x8!Qz3$kV7#mW2@rL9^tB4&nH6*jF1(",
    "DJANGO_ALLOWED_HOSTS": "community.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/community",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
}


def test_production_settings_pass_check_deploy():
    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=clean_env(**PRODUCTION), capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr + completed.stdout
    assert "no issues" in completed.stdout
    result = settings_under(**PRODUCTION)
    assert result["debug"] is False
    assert result["secure_cookies"] is True


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = clean_env(**PRODUCTION)
    del env[missing]
    completed = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert completed.returncode != 0
    assert missing in completed.stderr


def test_env_example_lists_every_variable_the_settings_read():
    """Operators learn the knobs from .env.example: a setting read from the environment but
    missing there is invisible to them."""
    root = Path(__file__).resolve().parents[2]
    settings_source = "\n".join(
        path.read_text() for path in sorted((root / "community" / "settings").glob("*.py"))
    )
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))

    assert read - listed == set()


def test_a_fresh_clone_without_var_runs_database_tests(tmp_path):
    """A fresh clone has no ``var/``: the embedded SQLite test database must still be created
    (it once failed every database test with "unable to open database file")."""
    missing = tmp_path / "not-yet" / "var"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/ops/test_migrations.py::test_moderators_group_exists_after_migrate"],
        cwd=BASE_DIR, env=clean_env(COMMUNITY_VAR_DIR=str(missing)),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "1 passed" in completed.stdout
    assert missing.is_dir()


def test_no_broker_configured_gives_no_broker_warning(tmp_path):
    """Under the embedded default tasks run in-process; ``make run`` once printed kombu's
    "No hostname was supplied" warning as if a broker were misconfigured."""
    env = clean_env(COMMUNITY_VAR_DIR=str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR, env=env, check=True,
    )  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from apps.game_events.tasks import events_apply_pending_task as t; t.delay()"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "No hostname" not in completed.stderr + completed.stdout


def test_channel_layer_urls_shard_the_layer_over_several_redis_instances():
    result = settings_under(
        REDIS_URL="redis://10.0.0.1:6379/0",
        CHANNEL_LAYER_URLS="redis://10.0.0.2:6379/0,redis://10.0.0.3:6379/0",
    )
    assert [host["address"] for host in result["layer_hosts"]] == [
        "redis://10.0.0.2:6379/0",
        "redis://10.0.0.3:6379/0",
    ]
    assert result["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_ugc_on_azure_with_an_account_name_and_no_key_uses_the_managed_identity():
    """What the Azure deployment sets (infra/azure/modules/containerapps.bicep): the account
    by name, no key — requests carry Entra tokens, links are user delegation SAS."""
    keyless = settings_under(UGC_AZURE_ACCOUNT_NAME="stcommunityprod")
    with_key = settings_under(
        UGC_AZURE_ACCOUNT_NAME="stcommunityprod", UGC_AZURE_ACCOUNT_KEY="a2V5"
    )

    assert keyless["ugc_storage"] == "storages.backends.azure_storage.AzureStorage"
    assert keyless["ugc_credential"] == "DefaultAzureCredential"
    assert keyless["ugc_key"] is None
    assert with_key["ugc_credential"] == "NoneType" and with_key["ugc_key"] == "a2V5"
