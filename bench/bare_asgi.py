"""Baseline for the intake benchmark: the barest ASGI endpoint (reads the body, answers 201 with
a small JSON), served exactly as the services are (uvicorn, uvloop, httptools, one process)."""

from __future__ import annotations

import sys

import uvicorn

BODY = b'{"id":"00000000-0000-0000-0000-000000000000","status":"submitted"}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools", log_level="warning",
                access_log=False)
