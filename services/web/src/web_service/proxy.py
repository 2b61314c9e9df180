"""Same-origin reverse proxy: /api/{service}/{path} → that service, bodies streamed both ways."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from kinerja_kit.http import problem
from web_service.settings import WebSettings

log = logging.getLogger(__name__)
router = APIRouter()

FORWARDED = ("authorization", "content-type", "content-length", "idempotency-key", "last-event-id", "accept",
             "traceparent", "tracestate")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade"})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def build_client(settings: WebSettings) -> httpx.AsyncClient:
    # No read timeout: event streams stay open; the services end idle ones themselves.
    timeout = httpx.Timeout(None, connect=settings.upstream_connect_seconds)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                             limits=httpx.Limits(max_connections=None, max_keepalive_connections=50))


def request_headers(request: Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
    headers["accept-encoding"] = "identity"  # bytes pass through as they come
    return headers


def response_headers(upstream: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP]


@router.api_route("/api/{service}/{path:path}", methods=METHODS, include_in_schema=False)
async def forward(service: str, path: str, request: Request) -> Response:
    settings: WebSettings = request.app.state.settings
    base = settings.upstream(service)
    if base is None:
        return problem(404, f"no service {service!r}", instance=request.url.path)
    client: httpx.AsyncClient = request.app.state.upstream
    url = f"{base}/{path}"
    has_body = request.method in ("POST", "PUT", "PATCH", "DELETE")
    upstream_request = client.build_request(
        request.method, url, params=request.url.query or None, headers=request_headers(request),
        content=request.stream() if has_body else None)
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TransportError as exc:
        log.warning("upstream %s unreachable: %r", service, exc)
        return problem(502, f"the {service} service is unreachable; try again later", instance=request.url.path)
    return _stream(upstream)


def _stream(upstream: httpx.Response) -> StreamingResponse:
    response = StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code,
                                 background=BackgroundTask(upstream.aclose))
    response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers(upstream)]
    return response
