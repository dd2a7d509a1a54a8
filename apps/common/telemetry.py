"""OpenTelemetry export: the metrics of ``apps/common/metrics.py`` and spans of HTTP requests
and Celery tasks, to an OTLP/HTTP endpoint and/or Azure Monitor (docs/operations.md,
"OpenTelemetry").

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set;
then nothing of OpenTelemetry is imported, no thread runs, and a request pays one ``None``
check (``active_tracer``).

The metrics are not instrumented twice. Every ``OTEL_METRIC_EXPORT_INTERVAL`` a thread reads
what one Prometheus scrape of this process would report (``metrics.registry()``) and hands it
to the SDK's exporters as OpenTelemetry data: counters as monotonic sums, gauges as gauges,
histograms with the same buckets; names, help texts and labels unchanged. OTLP receives
cumulative values; Azure Monitor deltas since the previous export (what Application Insights
adds up). A last export runs when the process exits.
"""

import atexit
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricsData
    from opentelemetry.trace import Span, Tracer
    from prometheus_client.metrics_core import Metric as PrometheusFamily

logger = logging.getLogger(__name__)

_SCOPE = "community"
_EXPORT_TIMEOUT_MILLIS = 10_000
# A histogram's min and max cannot be read from its buckets; both encoders take None as absent.
_UNKNOWN: Any = None

# Set by telemetry_start when traces are on; read on every request and task.
active_tracer: "Tracer | None" = None
_started: dict[str, Any] = {}
_start_lock = threading.Lock()


def is_configured() -> bool:
    from django.conf import settings

    return bool(
        settings.OTEL_EXPORTER_OTLP_ENDPOINT or settings.APPLICATIONINSIGHTS_CONNECTION_STRING
    )


def telemetry_start(*, service: str, metrics: bool = True, traces: bool = True) -> None:
    """Start exporting from this process when an exporter is configured (idempotent; a
    forked child starts its own). ``service`` is the process type (``service.name`` unless
    ``OTEL_SERVICE_NAME`` is set): ``community-web``, ``community-asgi``,
    ``community-worker``, ``community-events``. Pass ``metrics=False`` in processes whose
    values another process already exports (gunicorn's workers in multiprocess mode)."""
    global active_tracer
    if not is_configured():
        return
    with _start_lock:
        if _started.get("pid") == os.getpid():
            return
        _started.clear()
        _started["pid"] = os.getpid()
        try:
            resource = _resource(service)
            if metrics:
                exporter = MetricsExport(resource=resource, sinks=_metric_sinks())
                exporter.start()
                _started["metrics"] = exporter
            if traces:
                active_tracer = _tracer(resource)
        except ImportError as missing:
            # Serving goes on without export: a deployment that sets the variable before its
            # image has the packages must not go down for it (docs/operations.md).
            logger.error(
                "telemetry export off: OpenTelemetry packages missing",
                extra={"missing_module": missing.name},
            )
            return
    atexit.register(telemetry_stop)
    logger.info("telemetry export started", extra={"service": service})


def telemetry_stop() -> None:
    """Export the metrics one last time and flush the spans (at exit)."""
    exporter = _started.pop("metrics", None)
    if exporter is not None:
        exporter.stop()
    provider = _started.pop("tracer_provider", None)
    if provider is not None:
        provider.shutdown()


def _resource(service: str) -> Any:
    from opentelemetry.sdk.resources import Resource

    attributes = {"service.instance.id": f"{socket.gethostname()}:{os.getpid()}"}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = service
    # create() adds OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME from the environment.
    return Resource.create(attributes)


def _metric_sinks() -> list["MetricSink"]:
    from django.conf import settings

    sinks = []
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        # Reads OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/metrics), _HEADERS, _TIMEOUT itself.
        sinks.append(MetricSink(exporter=OTLPMetricExporter(), is_delta=False))
    if settings.APPLICATIONINSIGHTS_CONNECTION_STRING:
        from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter

        exporter = AzureMonitorMetricExporter(**_azure_monitor_options())
        sinks.append(MetricSink(exporter=exporter, is_delta=True))
    return sinks


def _azure_monitor_options() -> dict[str, Any]:
    from django.conf import settings

    options: dict[str, Any] = {"connection_string": settings.APPLICATIONINSIGHTS_CONNECTION_STRING}
    if settings.APPLICATIONINSIGHTS_ENTRA_AUTH:
        from azure.identity import DefaultAzureCredential

        options["credential"] = DefaultAzureCredential()
    return options


def _tracer(resource: Any) -> "Tracer":
    from django.conf import settings
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: all).
    provider = TracerProvider(resource=resource)
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if settings.APPLICATIONINSIGHTS_CONNECTION_STRING:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        exporter = AzureMonitorTraceExporter(**_azure_monitor_options())
        provider.add_span_processor(BatchSpanProcessor(exporter))
    _started["tracer_provider"] = provider
    return provider.get_tracer(_SCOPE)


# --- Spans ------------------------------------------------------------------------------------


@contextmanager
def request_span(method: str, headers: Any) -> Iterator["Span"]:
    """A server span for one HTTP request, continuing the caller's W3C ``traceparent``.
    Call only when ``active_tracer`` is set; the caller names it once the route is known."""
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    assert active_tracer is not None
    with active_tracer.start_as_current_span(
        method, context=extract(headers), kind=SpanKind.SERVER
    ) as span:
        yield span


def request_span_finish(span: "Span", *, method: str, route: str, status: int, rid: str) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.update_name(f"{method} {route}")
    span.set_attribute("http.request.method", method)
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("community.request_id", rid)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


_task_spans: dict[str, tuple["Span", Any]] = {}


def task_span_start(*, task_id: str, task_name: str) -> None:
    """Celery ``task_prerun``: a span for the task run, ended by ``task_span_end``."""
    if active_tracer is None:
        return
    from opentelemetry import context, trace
    from opentelemetry.trace import SpanKind

    span = active_tracer.start_span(task_name, kind=SpanKind.CONSUMER)
    span.set_attribute("celery.task_name", task_name)
    span.set_attribute("celery.task_id", task_id)
    _task_spans[task_id] = (span, context.attach(trace.set_span_in_context(span)))


def task_span_end(*, task_id: str, state: str | None) -> None:
    started = _task_spans.pop(task_id, None)
    if started is None:
        return
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode

    span, token = started
    span.set_attribute("celery.state", state or "")
    if state == "FAILURE":
        span.set_status(Status(StatusCode.ERROR))
    context.detach(token)
    span.end()


# --- Metrics ----------------------------------------------------------------------------------


@dataclass
class MetricSink:
    """One exporter and the temporality it wants; ``last`` keeps each series' previous
    cumulative value (and its time) to compute deltas."""

    exporter: "MetricExporter"
    is_delta: bool
    last: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[int, Any]] = field(
        default_factory=dict
    )


class MetricsExport(threading.Thread):
    """Exports ``metrics.registry()`` every interval until stopped, then once more."""

    def __init__(self, *, resource: Any, sinks: list[MetricSink]) -> None:
        from django.conf import settings

        super().__init__(name="telemetry-metrics", daemon=True)
        self.resource = resource
        self.sinks = sinks
        self.interval = settings.OTEL_METRIC_EXPORT_INTERVAL_MS / 1000
        self.started_ns = time.time_ns()
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.export_once()

    def stop(self) -> None:
        self._stopping.set()
        self.export_once()
        for sink in self.sinks:
            sink.exporter.shutdown()

    def export_once(self) -> None:
        from apps.common.metrics import registry

        with self._lock:  # the thread and the exit hook may meet
            try:
                families = list(registry().collect())
                now_ns = time.time_ns()
                for sink in self.sinks:
                    data = metrics_data(
                        families, resource=self.resource, sink=sink,
                        started_ns=self.started_ns, now_ns=now_ns,
                    )  # fmt: skip
                    sink.exporter.export(data, timeout_millis=_EXPORT_TIMEOUT_MILLIS)
            except Exception:
                # An unreachable collector must not stop the process or the next export;
                # the SDK's exporters log their own HTTP failures.
                logger.exception("telemetry metrics export failed")


def metrics_data(
    families: Iterable["PrometheusFamily"],
    *,
    resource: Any,
    sink: MetricSink,
    started_ns: int,
    now_ns: int,
) -> "MetricsData":
    """Prometheus families as one OpenTelemetry export (cumulative, or deltas for a delta
    sink). Summaries, infos and state sets are not used by this project and are skipped."""
    from opentelemetry.sdk.metrics.export import (
        AggregationTemporality,
        Gauge,
        Histogram,
        Metric,
        MetricsData,
        ResourceMetrics,
        ScopeMetrics,
        Sum,
    )
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    temporality = (
        AggregationTemporality.DELTA if sink.is_delta else AggregationTemporality.CUMULATIVE
    )
    converted = []
    for family in families:
        data: Any
        if family.type == "counter":
            name = f"{family.name}_total"
            points = _counter_points(family, name, sink, started_ns, now_ns)
            data = Sum(points, temporality, is_monotonic=True)
        elif family.type == "gauge":
            name = family.name
            data = Gauge(_gauge_points(family, now_ns))
        elif family.type == "histogram":
            name = family.name
            data = Histogram(_histogram_points(family, sink, started_ns, now_ns), temporality)
        else:
            continue
        if data.data_points:
            converted.append(
                Metric(name=name, description=family.documentation, unit=family.unit, data=data)
            )
    scope = ScopeMetrics(InstrumentationScope(_SCOPE), converted, schema_url="")
    return MetricsData([ResourceMetrics(resource, [scope], schema_url="")])


def _labels(sample: Any, *, without: str = "") -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in sample.labels.items() if k != without))


def _since(
    sink: MetricSink, key: tuple[str, tuple[tuple[str, str], ...]], value: Any, started_ns: int,
    now_ns: int,
) -> tuple[int, Any | None]:  # fmt: skip
    """(start time, previous cumulative value or None) of a series for this export, and
    remember this one."""
    previous = sink.last.get(key)
    sink.last[key] = (now_ns, value)
    if not sink.is_delta or previous is None:
        return started_ns, None
    return previous[0], previous[1]


def _counter_points(
    family: Any, name: str, sink: MetricSink, started_ns: int, now_ns: int
) -> list[Any]:
    from opentelemetry.sdk.metrics.export import NumberDataPoint

    points = []
    for sample in family.samples:
        if sample.name != name:
            continue  # `_created`
        labels = _labels(sample)
        start, previous = _since(sink, (name, labels), sample.value, started_ns, now_ns)
        # A restarted worker's series drops in a multiprocess sum: count from zero again.
        value = sample.value if previous is None or sample.value < previous else (
            sample.value - previous
        )  # fmt: skip
        points.append(NumberDataPoint(dict(labels), start, now_ns, value))
    return points


def _gauge_points(family: Any, now_ns: int) -> list[Any]:
    from opentelemetry.sdk.metrics.export import NumberDataPoint

    return [NumberDataPoint(dict(_labels(s)), now_ns, now_ns, s.value) for s in family.samples]


@dataclass
class _HistogramSeries:
    bounds: list[float] = field(default_factory=list)
    cumulative: list[float] = field(default_factory=list)
    count: float = 0.0
    total: float = 0.0


def _histogram_points(family: Any, sink: MetricSink, started_ns: int, now_ns: int) -> list[Any]:
    from opentelemetry.sdk.metrics.export import HistogramDataPoint

    series: dict[tuple[tuple[str, str], ...], _HistogramSeries] = {}
    for sample in family.samples:
        one = series.setdefault(_labels(sample, without="le"), _HistogramSeries())
        if sample.name.endswith("_bucket"):
            if sample.labels["le"] != "+Inf":
                one.bounds.append(float(sample.labels["le"]))
            one.cumulative.append(sample.value)
        elif sample.name.endswith("_count"):
            one.count = sample.value
        elif sample.name.endswith("_sum"):
            one.total = sample.value
    points = []
    for labels, one in series.items():
        counts = [int(c) for c in one.cumulative]
        total = one.total
        start, previous = _since(sink, (family.name, labels), (counts, total), started_ns, now_ns)
        if previous is not None and previous[0][-1] <= counts[-1]:
            counts = [now - before for now, before in zip(counts, previous[0], strict=True)]
            total -= previous[1]
        per_bucket = [counts[0]] + [b - a for a, b in itertools.pairwise(counts)]
        points.append(
            HistogramDataPoint(
                dict(labels),
                start,
                now_ns,
                count=counts[-1],
                sum=total,
                bucket_counts=per_bucket,
                explicit_bounds=one.bounds,
                min=_UNKNOWN,
                max=_UNKNOWN,
            )
        )
    return points
