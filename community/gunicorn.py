"""gunicorn hooks (``gunicorn -c python:community.gunicorn``): a worker that exits stops
counting in the live metrics its siblings export (apps/common/metrics.py)."""

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    from apps.common.metrics import process_dead

    process_dead(worker.pid)
