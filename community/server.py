"""Starts Daphne with our explicit limits: ``python -m community.server --port 8000``.

`make run`, the test fixtures and the benchmarks all start Daphne through ``daphne_argv`` so
they run with the same frame limits, timeouts and listen backlog as production (and with
``community.daphne_server``: an oversized frame closes the socket with 1009).
"""

import argparse
import os
import sys

from community.env import default_settings_module


def daphne_argv(*, host: str, port: int, python: str = sys.executable) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    from django.conf import settings

    max_bytes = str(settings.WEBSOCKET_MAX_MESSAGE_BYTES)
    return [
        python, "-m", "community.daphne_server",  # Daphne that closes with 1009, not a reset
        "-e", f"tcp:port={port}:interface={host}:backlog={settings.DAPHNE_LISTEN_BACKLOG}",
        "--websocket-max-message-size", max_bytes,
        "--websocket-max-frame-size", max_bytes,
        "--ping-interval", "20",
        "--ping-timeout", "30",
        # Matches the channel layer's group_expiry; clients reconnect and resume after it.
        "--websocket_timeout", "86400",
        "--application-close-timeout", "10",
        # Verbosity 1 (Daphne's default) writes its access log; 0 writes none. Logging itself
        # is configured by Django's settings either way (Twisted's own log goes nowhere).
        *(("--access-log", "-") if settings.DAPHNE_ACCESS_LOG else ("--verbosity", "0")),
        "community.asgi:application",
    ]  # fmt: skip


def daphne_request_patch() -> None:
    """Stop Daphne's HTTP layer (Twisted) from parsing form bodies itself.

    Twisted parses every POST multipart body into ``request.args``, which Daphne never reads,
    and answers a body it cannot parse (an empty multipart, only the closing boundary) with a
    bare 400 before the application sees it, so the client got no JSON error. Django parses
    bodies itself; Twisted's ``parsePOSTFormSubmission=False`` leaves them alone. Called from
    community/asgi.py; does nothing unless this process is a Daphne server."""
    http_protocol = sys.modules.get("daphne.http_protocol")
    base = getattr(http_protocol, "WebRequest", None)
    if base is None or getattr(base, "form_parsing_off", False):
        return

    class WebRequest(base):  # type: ignore[misc, valid-type]
        form_parsing_off = True

        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.setdefault("parsePOSTFormSubmission", False)
            super().__init__(*args, **kwargs)

    # HTTPFactory.buildProtocol looks the class up by its module-level name.
    http_protocol.WebRequest = WebRequest  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    argv = daphne_argv(host=arguments.host, port=arguments.port)
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with Daphne, fixed argv


if __name__ == "__main__":
    main()
