"""A Celery worker bootstep that runs and supervises the Service Bus consumer processes.

Operators start one command, ``celery -A community worker``; with
``SERVICEBUS_CONNECTION_STRING`` set, the worker also keeps ``GAME_EVENTS_CONSUMERS``
``manage.py consume_events`` child processes alive. Why processes and not worker tasks: the
consumer is a long-running receive loop holding AMQP links and message locks; as a task it
would occupy a pool slot forever, fight the task time limits and be invisible to
``acks_late`` redelivery. A child process has its own SDK client (the SDK is not thread-safe),
can be SIGTERMed for a graceful stop (it finishes the batch in hand) and is restarted with
backoff if it dies. The effects themselves run as ordinary Celery tasks on this worker pool.

Imported by ``community/celery.py`` before Django is set up: nothing here imports models.
"""

import ctypes
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from celery import bootsteps

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 30
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the consumer gets SIGTERM if the worker dies without stopping it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        return


class ConsumerSupervisor(threading.Thread):
    def __init__(self, index: int, manage_py: Path) -> None:
        super().__init__(name=f"game-events-consumer-{index}", daemon=True)
        self.manage_py = manage_py
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None

    def run(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, str(self.manage_py), "consume_events"],
                cwd=self.manage_py.parent,
                preexec_fn=_die_with_parent,
            )
            code = self.process.wait()
            if self.stopping.is_set():
                return
            logger.error("game event consumer exited; restarting", extra={"code": code})
            self.stopping.wait(delay)
            delay = min(delay * 2, 60.0)

    def shutdown(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class GameEventsConsumerStep(bootsteps.StartStopStep):
    """Starts the consumers when the worker starts and stops them (gracefully) with it."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.supervisors: list[ConsumerSupervisor] = []

    def start(self, parent: Any) -> None:
        from django.conf import settings

        from apps.game_events.consumer import servicebus_configured

        if not servicebus_configured():
            return
        manage_py = Path(settings.BASE_DIR) / "manage.py"
        for index in range(settings.GAME_EVENTS_CONSUMERS):
            supervisor = ConsumerSupervisor(index, manage_py)
            supervisor.start()
            self.supervisors.append(supervisor)
        logger.info("game event consumers started", extra={"count": len(self.supervisors)})

    def stop(self, parent: Any) -> None:
        for supervisor in self.supervisors:
            supervisor.shutdown()
        self.supervisors = []
