"""An OTLP/HTTP receiver for tests: what an OpenTelemetry collector accepts on
``/v1/metrics`` and ``/v1/traces`` (protobuf bodies, optionally gzip), decoded with the
protocol's own messages and kept for assertions. A protocol-level double like the Service Bus
broker of tests/servicebus: the SDK's exporters talk real HTTP to it."""

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

_MESSAGES: dict[str, tuple[type, type]] = {
    "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
}


@dataclass
class OtlpReceiver:
    url: str
    metrics: list[Any] = field(default_factory=list)
    traces: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, find: Callable[["OtlpReceiver"], Any], *, timeout: float = 30) -> Any:
        """The first non-empty answer of ``find`` over what has arrived, within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = find(self)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"nothing matched within {timeout} s")


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            messages = _MESSAGES.get(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if messages is None or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_response(404 if messages is None else 415)
                self.end_headers()
                return
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = messages[0].FromString(body)
            with receiver.lock:
                (receiver.metrics if self.path == "/v1/metrics" else receiver.traces).append(
                    request
                )
            answer = messages[1]().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def run_otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def attributes(items: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` list as a dict of plain values."""
    result = {}
    for item in items:
        kind = item.value.WhichOneof("value")
        result[item.key] = getattr(item.value, kind) if kind else None
    return result


def latest_metric(receiver: OtlpReceiver, name: str) -> tuple[dict[str, Any], Any] | None:
    """(resource attributes, metric) of the newest export that carries ``name``."""
    for request in reversed(receiver.metrics):
        for resource_metrics in request.resource_metrics:
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        return attributes(resource_metrics.resource.attributes), metric
    return None


def spans(receiver: OtlpReceiver) -> list[tuple[dict[str, Any], Any]]:
    """Every span received, with its resource's attributes."""
    found = []
    for request in receiver.traces:
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope in resource_spans.scope_spans:
                found.extend((resource, span) for span in scope.spans)
    return found
