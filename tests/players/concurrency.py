"""Run calls at the same moment, each in its own thread with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_concurrently(*calls: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Release all calls together; return their results and the errors they raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors
