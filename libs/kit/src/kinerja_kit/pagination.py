"""Cursor pagination for lists: the cursor is the last row's sort key, opaque to clients
(URL-safe base64 of JSON). A list's next page is announced in `Link: <…>; rel="next"` and
`X-Next-Cursor`, so list bodies stay what they were."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response

from kinerja_kit.http import FieldError


def encode(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, types: tuple[Callable[[Any], Any], ...]) -> tuple[Any, ...] | None:
    """The sort key in `cursor`, each part converted by its type (e.g. `date.fromisoformat`), or
    422 naming `cursor` for anything else."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(key, list) and len(key) == len(types):
            return tuple(convert(part) for convert, part in zip(types, key))
    except (ValueError, TypeError):
        pass
    raise FieldError("cursor", "not a cursor of this list")


def announce_next(request: Request, response: Response, key: list[Any] | None) -> None:
    """Set the next page's headers when `key` (the last row's sort key of a full page) is given."""
    if key is None:
        return
    cursor = encode(key)
    response.headers["X-Next-Cursor"] = cursor
    response.headers["Link"] = f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
