"""The /api proxy against a real upstream on loopback: what is forwarded, streamed and refused."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from web_service.main import create_app, load_settings

upstream = FastAPI()


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@upstream.api_route("/v1/echo/{rest:path}", methods=["GET", "POST", "PATCH"])
async def echo(rest: str, request: Request):
    body = await request.body()
    return JSONResponse({"method": request.method, "path": request.url.path, "query": request.url.query,
                         "headers": dict(request.headers), "body_len": len(body), "body_head": body[:40].decode("latin-1")},
                        status_code=201 if request.method == "POST" else 200,
                        headers={"X-Next-Cursor": "abc", "Link": '</v1/echo?cursor=abc>; rel="next"'})


@upstream.get("/v1/stream")
async def sse():
    async def events():
        yield b"id: 1\nevent: snapshot\ndata: {}\n\n"
        await asyncio.sleep(1.5)
        yield b"id: 2\nevent: change\ndata: {}\n\n"
    return StreamingResponse(events(), media_type="text/event-stream")


ENDED: list[str] = []


@upstream.get("/v1/endless")
async def endless():
    async def events():
        try:
            n = 0
            while True:
                n += 1
                yield f"id: {n}\ndata: {{}}\n\n".encode()
                await asyncio.sleep(0.1)
        finally:
            ENDED.append("endless")
    return StreamingResponse(events(), media_type="text/event-stream")


@upstream.get("/v1/problem")
async def refused():
    return JSONResponse({"title": "Forbidden", "status": 403}, status_code=403, media_type="application/problem+json")


def web(served, upstream_url: str):
    settings = load_settings(http_port=0, activity_url=upstream_url, scoring_url=upstream_url,
                             approval_url=f"http://127.0.0.1:{free_port()}")  # nobody listens there
    return served(create_app(settings))


def test_forwards_method_path_query_headers_and_body(served):
    with served(upstream) as up, web(served, up.url) as w:
        payload = b"--b\r\n" + b"x" * 300_000 + b"\r\n--b--\r\n"
        r = httpx.post(f"{w.url}/api/activity/v1/echo/a/b?month=2026-12&x=1", content=payload, headers={
            "Authorization": "Bearer T", "Idempotency-Key": "k-1", "Content-Type": "multipart/form-data; boundary=b",
            "Cookie": "secret=1", "X-Forwarded-For": "1.2.3.4"})
        assert r.status_code == 201
        got = r.json()
        assert got["method"] == "POST" and got["path"] == "/v1/echo/a/b" and got["query"] == "month=2026-12&x=1"
        assert got["body_len"] == len(payload) and got["body_head"].startswith("--b")
        h = got["headers"]
        assert h["authorization"] == "Bearer T" and h["idempotency-key"] == "k-1"
        assert h["content-type"] == "multipart/form-data; boundary=b"
        assert "cookie" not in h and "x-forwarded-for" not in h
        assert r.headers["x-next-cursor"] == "abc" and 'rel="next"' in r.headers["link"]
        r = httpx.get(f"{w.url}/api/scoring/v1/echo/z", headers={"Last-Event-ID": "41", "Accept": "text/event-stream"})
        assert r.json()["headers"]["last-event-id"] == "41" and r.json()["headers"]["accept"] == "text/event-stream"


def test_an_answer_of_the_service_passes_unchanged(served):
    with served(upstream) as up, web(served, up.url) as w:
        r = httpx.get(f"{w.url}/api/activity/v1/problem")
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_event_streams_arrive_as_they_are_sent(served):
    with served(upstream) as up, web(served, up.url) as w:
        started = time.monotonic()
        with httpx.stream("GET", f"{w.url}/api/activity/v1/stream") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            first = next(lines)
            assert first == "id: 1" and time.monotonic() - started < 1.2  # before the upstream's second event
            rest = "\n".join(lines)
        assert "id: 2" in rest and time.monotonic() - started >= 1.4


def test_unknown_service_is_404_and_a_service_down_is_502(served):
    with served(upstream) as up, web(served, up.url) as w:
        r = httpx.get(f"{w.url}/api/payroll/v1/x")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        assert "payroll" in r.json()["detail"]
        r = httpx.get(f"{w.url}/api/approval/v1/inbox")
        assert r.status_code == 502 and r.json()["status"] == 502 and "approval" in r.json()["detail"]


def test_the_app_shell_is_served(served):
    with served(upstream) as up, web(served, up.url) as w:
        r = httpx.get(w.url + "/")
        assert r.status_code == 200 and '<html lang="id">' in r.text and "/static/js/app.js" in r.text
        assert httpx.get(w.url + "/auth/callback?code=x").text == r.text
        sw = httpx.get(w.url + "/sw.js")
        assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
        manifest = httpx.get(w.url + "/manifest.webmanifest")
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        icons = json.loads(manifest.text)["icons"]
        assert {"192x192", "512x512"} <= {i["sizes"] for i in icons}
        for icon in icons:
            assert httpx.get(w.url + icon["src"]).status_code == 200
        for path in ("/health/live", "/health/ready", "/metrics"):
            assert httpx.get(w.url + path).status_code == 200


def test_a_client_that_goes_away_closes_the_upstream_stream(served):
    """A stream the browser drops must not stay open upstream (scoring caps streams per user)."""
    with served(upstream) as up, web(served, up.url) as w:
        ENDED.clear()
        with httpx.stream("GET", f"{w.url}/api/activity/v1/endless") as r:
            lines = r.iter_lines()
            assert next(lines) == "id: 1"
        deadline = time.monotonic() + 5
        while not ENDED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ENDED == ["endless"]
