"""Real processes for tests: Daphne servers and Celery workers on the test database."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from community.server import daphne_argv

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created (call after db setup)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] or "postgres"
        if db["PASSWORD"]:
            auth += f":{db['PASSWORD']}"
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def live_env(**overrides: str) -> dict[str, str]:
    """Environment for a child process that shares this test run's database and services."""
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="test",
        DJANGO_SETTINGS_MODULE="community.settings.test",
        DATABASE_URL=test_database_url(),
        DATABASE_POOL_MAX_SIZE="4",
        COMMUNITY_VAR_DIR=str(settings.VAR_DIR),
        CELERY_TASK_ALWAYS_EAGER="0" if settings.CELERY_BROKER_URL else "1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def wait_for_http(url: str, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback test URL
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop_process(process: subprocess.Popen, *, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def run_daphne(
    tmp_dir: Path, *, port: int | None = None, **env_overrides: str
) -> Iterator[LiveServer]:
    """A Daphne on ``port`` (a free one if None; pass the port of one that died to restart it
    where its clients reconnect)."""
    port = port or free_port()
    log_path = tmp_dir / f"daphne-{port}.log"
    with log_path.open("a") as log:
        process = subprocess.Popen(
            daphne_argv(host="127.0.0.1", port=port, python=sys.executable),
            cwd=BASE_DIR,
            env=live_env(**env_overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process=process, port=port, log_path=log_path)
    try:
        wait_for_http(f"{server.url}/healthz", timeout=30, process=process)
        yield server
    except Exception:
        print(server.log())
        raise
    finally:
        stop_process(process)


@contextmanager
def tasks_through_broker() -> Iterator[None]:
    """Tasks this process sends go to the broker (for a live worker) instead of running here.
    Set under the settings' own name: Celery 5.6 reads ``CELERY_TASK_ALWAYS_EAGER`` before an
    assignment to ``app.conf.task_always_eager`` (which it silently ignores)."""
    from community.celery import app

    previous = app.conf.task_always_eager
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
    try:
        yield
    finally:
        app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous


# How the deployment units run the worker (infra/selfhosted/systemd/community-worker@.service,
# compose.yaml, infra/azure/modules/containerapps.bicep): the default prefork pool, with gossip
# and heartbeats, only mingle off. Fault tests reproduce with this, not the light test options.
PRODUCTION_WORKER_OPTIONS = ("--pool", "prefork", "--concurrency", "2", "--without-mingle")
TEST_WORKER_OPTIONS = ("--pool", "solo", "--without-gossip", "--without-mingle")


@contextmanager
def run_celery_worker(
    tmp_dir: Path,
    *,
    queues: str = "celery",
    options: tuple[str, ...] = TEST_WORKER_OPTIONS,
    **env_overrides: str,
) -> Iterator[subprocess.Popen]:
    log_path = tmp_dir / "celery-worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "community", "worker", "--loglevel", "INFO",
             "--queues", queues, *options],
            cwd=BASE_DIR,
            env=live_env(**env_overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "ready." not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Celery worker did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        yield process
    finally:
        stop_process(process)
