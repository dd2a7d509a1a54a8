"""Developer machine and `make run`: embedded defaults, DEBUG on unless told otherwise."""

from community.settings.base import *  # noqa: F403
from community.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_AUTOREFRESH = DEBUG
