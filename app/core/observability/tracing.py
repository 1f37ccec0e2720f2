"""OpenTelemetry traces, configured only by the standard OTEL_* variables.

Off unless an exporter is named (OTEL_TRACES_EXPORTER=otlp|console) or an OTLP endpoint is
set (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and always off with
OTEL_SDK_DISABLED=true. A tracer provider installed before us (opentelemetry-instrument, a
test) is used as it is.
"""

import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from app.core.config import ConfigError

_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def configure_tracing() -> TracerProvider | None:
    """The SDK provider recording our spans, or None when tracing is off."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    default = "otlp" if any(os.environ.get(name) for name in _OTLP_ENDPOINTS) else "none"
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", default).split(",") if n.strip()]
    exporters = [_exporter(name) for name in names if name != "none"]
    if not exporters:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", "flow-api")}))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    raise ConfigError(f"OTEL_TRACES_EXPORTER is invalid: {name!r} is not supported (use otlp, console or none)")
