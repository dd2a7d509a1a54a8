"""The one place that reads the process environment (12-factor configuration).

Every setting that varies between deployments is read here through ``env``; the settings
modules never touch ``os.environ`` directly. ``.env.example`` documents every variable.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A developer may keep variables in a local .env file; real deployments use the environment.
_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    environ.Env.read_env(str(_dotenv))


def default_settings_module() -> str:
    """Settings module for ``DJANGO_ENV`` (local, test or production)."""
    return f"community.settings.{env.str('DJANGO_ENV', default='local')}"
