"""Structured JSON log lines for production (one object per line, ids in ``extra=``)."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


# The id of the request or websocket connection being served, on every log line written while
# serving it (set by apps.ops.middleware.RequestIdMiddleware and the websocket consumer).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
connection_id: ContextVar[str | None] = ContextVar("connection_id", default=None)


class ContextIdsFilter(logging.Filter):
    """Adds ``request_id`` / ``connection_id`` to a record, when one is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (
            ("request_id", request_id.get()),
            ("connection_id", connection_id.get()),
        ):
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)
