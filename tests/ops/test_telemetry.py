"""OpenTelemetry export (docs/operations.md, "OpenTelemetry"): a real Daphne exports the
metrics its /metrics serves, and spans of its requests, over OTLP/HTTP to a receiver the test
runs; with nothing configured no OpenTelemetry code is loaded."""

import asyncio
import json
import subprocess
import sys
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

pytest.importorskip("opentelemetry.sdk", reason="OpenTelemetry packages not installed")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http")

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource

from apps.accounts.services import api_token_create
from apps.common.metrics import HTTP_REQUEST_SECONDS
from apps.common.telemetry import MetricSink, metrics_data
from tests.factories import UserFactory
from tests.support.live import BASE_DIR, live_env, run_daphne
from tests.support.otlp import attributes, latest_metric, run_otlp_receiver, spans
from tests.support.wsclient import RawSocket

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.status


def _readyz_histogram(receiver) -> tuple[dict, object] | None:  # type: ignore[no-untyped-def]
    found = latest_metric(receiver, "community_http_request_seconds")
    if found is None:
        return None
    for point in found[1].histogram.data_points:
        if attributes(point.attributes).get("route") == "readyz" and point.count == 2:
            return found[0], found[1], point
    return None


def _socket_metrics(receiver) -> tuple | None:  # type: ignore[no-untyped-def]
    sockets = latest_metric(receiver, "community_ws_open_sockets")
    frames = latest_metric(receiver, "community_ws_frames_total")
    if not sockets or not frames or sockets[1].gauge.data_points[0].as_double != 1:
        return None
    return sockets[1], frames[1]


def _readyz_spans(receiver) -> list | None:  # type: ignore[no-untyped-def]
    found = [span for _resource, span in spans(receiver) if span.name == "GET readyz"]
    return found if len(found) == 2 else None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_daphne_exports_its_metrics_and_request_spans_over_otlp(live_tmp):
    token = api_token_create(user=UserFactory(), name="t").secret
    with (
        run_otlp_receiver() as receiver,
        run_daphne(
            live_tmp, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_METRIC_EXPORT_INTERVAL="300"
        ) as server,
    ):
        traceparent = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"
        assert _get(f"{server.url}/readyz", {"traceparent": traceparent}) == 200
        assert _get(f"{server.url}/readyz") == 200

        resource, metric, point = receiver.wait_for(_readyz_histogram)
        assert resource["service.name"] == "community-asgi"
        assert metric.histogram.aggregation_temporality == (
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        )
        assert attributes(point.attributes) == {"route": "readyz", "method": "GET", "status": "200"}
        assert list(point.explicit_bounds) == list(HTTP_REQUEST_SECONDS._upper_bounds[:-1])
        assert sum(point.bucket_counts) == 2
        assert len(point.bucket_counts) == len(point.explicit_bounds) + 1

        async def hold_a_socket() -> tuple:
            socket = await RawSocket.open(server.ws_url, token)
            try:
                return receiver.wait_for(_socket_metrics)
            finally:
                await socket.close()

        _sockets, frames = asyncio.run(hold_a_socket())
        assert frames.sum.is_monotonic
        by_direction = {
            attributes(p.attributes)["direction"]: p.as_double for p in frames.sum.data_points
        }
        assert by_direction["in"] >= 1
        assert by_direction["out"] >= 1

        server_spans = receiver.wait_for(_readyz_spans)
    continued = [s for s in server_spans if s.trace_id.hex() == TRACE_ID]
    assert len(continued) == 1
    assert continued[0].parent_span_id.hex() == CALLER_SPAN_ID
    span_attributes = attributes(continued[0].attributes)
    assert span_attributes["http.route"] == "readyz"
    assert span_attributes["http.response.status_code"] == 200
    assert all(span.kind == Span.SPAN_KIND_SERVER for span in server_spans)


def test_no_exporter_runs_when_none_is_configured():
    """Off by default and free: serving a request starts no export thread, no span and no
    exporter. (redis-py imports the OpenTelemetry API for its own optional metrics when the
    package is installed; the SDK's exporters, tracing SDK and Azure Monitor stay unloaded.)"""
    script = (
        "import sys, json, threading, community.wsgi\n"
        "from django.test import Client\n"
        "from apps.common import telemetry\n"
        "status = Client(HTTP_HOST='127.0.0.1').get('/healthz').status_code\n"
        "ours = ('opentelemetry.exporter', 'opentelemetry.sdk.trace', 'azure.monitor',"
        " 'opentelemetry.propagate')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(ours))\n"
        "threads = [t.name for t in threading.enumerate() if t.name.startswith('telemetry')]\n"
        "print(json.dumps([status, loaded, threads, telemetry.active_tracer is None]))\n"
    )
    env = live_env()
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "APPLICATIONINSIGHTS_CONNECTION_STRING"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, [], [], True]


def test_a_delta_exporter_receives_what_happened_since_its_previous_export():
    """Azure Monitor adds up what it receives: each export carries only the increase."""
    registry = CollectorRegistry()
    refusals = Counter("community_test_refusals_total", "t", ["limit"], registry=registry)
    latency = Histogram("community_test_seconds", "t", buckets=(0.1, 1.0), registry=registry)
    sink = MetricSink(exporter=None, is_delta=True)  # type: ignore[arg-type]
    resource = Resource.create({})

    def export(now_ns: int) -> dict:
        data = metrics_data(
            registry.collect(), resource=resource, sink=sink, started_ns=0, now_ns=now_ns
        )
        metrics = data.resource_metrics[0].scope_metrics[0].metrics
        return {metric.name: metric.data.data_points[0] for metric in metrics}

    refusals.labels("chat").inc(3)
    latency.observe(0.05)
    first = export(10)
    refusals.labels("chat").inc(2)
    latency.observe(0.5)
    latency.observe(5)
    second = export(20)

    assert first["community_test_refusals_total"].value == 3
    assert second["community_test_refusals_total"].value == 2
    assert second["community_test_refusals_total"].start_time_unix_nano == 10
    assert first["community_test_seconds"].bucket_counts == [1, 0, 0]
    assert second["community_test_seconds"].bucket_counts == [0, 1, 1]
    assert second["community_test_seconds"].count == 2
    assert second["community_test_seconds"].sum == pytest.approx(5.5)
