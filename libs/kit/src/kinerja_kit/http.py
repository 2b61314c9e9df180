"""HTTP plumbing shared by the services: RFC 9457 problem details, request metrics, /metrics,
/health/live and /health/ready."""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from kinerja_kit.db import is_infrastructure_error
from kinerja_kit.errors import Conflict, DomainError, InvalidField, NotFound, NotPermitted

log = logging.getLogger(__name__)

HTTP_SECONDS = Histogram(
    "kinerja_http_request_seconds", "HTTP request duration", ["method", "route", "status"]
)
HTTP_ERRORS = Counter("kinerja_http_errors_total", "HTTP responses with status >= 500", ["route"])
HTTP_SHED = Counter("kinerja_http_shed_total", "Writes refused with 503 because too many were in flight")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem(status: int, detail: str | None = None, *, title: str | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
            instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")



class FieldError(InvalidField):
    """Raise from a route to answer naming the offending field (422 unless `status` says else,
    e.g. 413 for a body too large). Domains raise `kinerja_kit.errors.InvalidField` instead."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(field, message)
        self.status = status


# How each domain refusal answers over HTTP (the most specific class wins).
DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (InvalidField, 422), (NotPermitted, 403), (NotFound, 404), (Conflict, 409), (DomainError, 422),
]


def domain_status(exc: DomainError) -> int:
    """The HTTP status a domain refusal answers with."""
    return getattr(exc, "status", None) or next(code for cls, code in DOMAIN_STATUS if isinstance(exc, cls))


def domain_problem(exc: DomainError, instance: str | None = None) -> JSONResponse:
    status = domain_status(exc)
    if exc.field:
        return problem(status, str(exc), errors=[{"field": exc.field, "message": exc.message}], instance=instance)
    return problem(status, exc.message, instance=instance)


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


class RequestTelemetry:
    """Pure ASGI middleware (no BaseHTTPMiddleware task and stream plumbing): one SERVER span per
    request, continuing an incoming W3C traceparent, and the request-duration histogram."""

    def __init__(self, app) -> None:
        self.app = app
        self.tracer = trace.get_tracer("kinerja.http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED:
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())
                   if k in (b"traceparent", b"tracestate")}
        token = otel_context.attach(propagate.extract(carrier)) if carrier else None
        span = self.tracer.start_span(f"{scope['method']} {scope['path']}", kind=trace.SpanKind.SERVER)
        try:
            with trace.use_span(span):
                await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")  # set by the router once matched
            span.update_name(f"{scope['method']} {route}")
            span.set_attribute("http.status_code", status["code"])
            span.end()
            if token is not None:
                otel_context.detach(token)
            HTTP_SECONDS.labels(scope["method"], route, str(status["code"])).observe(time.perf_counter() - started)
            if status["code"] >= 500:
                HTTP_ERRORS.labels(route).inc()


UNTRACED = frozenset({"/metrics", "/health/live", "/health/ready"})


class InFlightLimit:
    """Load shedding: past `limit` writes in flight in this process, a write answers 503 with
    Retry-After at once (nothing applied) instead of queueing for a database connection until
    the client gives up. Reads and the ops endpoints are not counted (SSE streams stay open)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit, self.in_flight = app, limit, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            return await self.app(scope, receive, send)
        if self.in_flight >= self.limit:
            HTTP_SHED.inc()
            response = problem(503, f"more than {self.limit} writes in flight; the request was not applied, "
                               "retry later", headers={"Retry-After": "1"}, instance=scope["path"])
            return await response(scope, receive, send)
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def install(app: FastAPI, ready_checks: list, degraded_checks: list | None = None, *,
            max_writes_in_flight: int = 0) -> None:
    """Problem-detail handlers, metrics middleware and the ops endpoints. A failing ready check
    answers 503; a failing degraded check is reported in a 200 (`status: degraded`).
    `max_writes_in_flight` > 0 sheds writes past it with 503 (InFlightLimit)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail) if exc.detail else None,
                       headers=getattr(exc, "headers", None), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, detail, errors=errors, instance=request.url.path)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc, request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_infrastructure_error(exc):  # nothing was committed: the client may retry
            log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
            return problem(503, "the database is unavailable; the request was not applied, retry later",
                           headers={"Retry-After": "5"}, instance=request.url.path)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal error; the request was not applied", instance=request.url.path)

    if max_writes_in_flight > 0:
        app.add_middleware(InFlightLimit, limit=max_writes_in_flight)  # inside the telemetry: 503s are measured
    app.add_middleware(RequestTelemetry)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        failures, degraded = await _run_checks(ready_checks), await _run_checks(degraded_checks or [])
        if failures:
            return problem(503, "; ".join(f"{k}: {v}" for k, v in {**failures, **degraded}.items()))
        if degraded:
            return JSONResponse({"status": "degraded", **degraded})
        return JSONResponse({"status": "ok"})


async def _run_checks(checks: list) -> dict[str, str]:
    failures: dict[str, str] = {}
    for name, check in checks:
        try:
            ok = await check()
        except Exception as exc:
            ok, failures[name] = False, repr(exc)
        if not ok:
            failures.setdefault(name, "not ready")
    return failures
