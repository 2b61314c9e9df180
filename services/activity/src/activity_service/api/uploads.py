"""Evidence parts of a multipart request: each streamed into the evidence store (hashed as it
goes, never whole in memory), its type checked from its bytes; file names are never used."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from starlette.datastructures import UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from activity_service.domain.evidence import check_count, check_file
from activity_service.persistence.evidence_store import EvidenceStore, TooLarge
from kinerja_kit.http import FieldError


def validated(model: type[BaseModel], data) -> BaseModel:
    """`model` from a dict or JSON bytes, refusals answered like FastAPI's own (422 naming fields)."""
    try:
        return model.model_validate_json(data) if isinstance(data, (bytes, str)) else model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def check_length(request: Request, max_files: int, max_bytes: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_files * max_bytes + 1024 * 1024:
        raise FieldError("evidence", f"request larger than {max_files} files of {max_bytes} bytes", 413)


async def store_evidence(parts: list, store: EvidenceStore, *, max_files: int,
                         max_bytes: int) -> tuple[list[tuple[str, str, int]], list[str]]:
    """(sha256, content type, size) of each part, and the hashes stored anew by this request
    (to discard if the write then fails)."""
    if any(not isinstance(p, UploadFile) for p in parts):
        raise FieldError("evidence", "must be file parts")
    check_count(0, len(parts), max_files)
    files, new = [], []
    try:
        for part in parts:
            try:
                stored = await asyncio.to_thread(store.put, part.file, max_bytes)
            except TooLarge:
                raise FieldError("evidence", f"a file is larger than {max_bytes} bytes", 413) from None
            if stored.new:
                new.append(stored.sha256)
            files.append((stored.sha256, check_file(stored.head), stored.size))
    except Exception:
        for sha in new:
            store.discard(sha)
        raise
    return files, new


async def read_multipart(request: Request, store: EvidenceStore, settings, max_fields: int,
                         ) -> tuple[dict[str, str], list[tuple[str, str, int]], list[str]]:
    """The text fields, the stored evidence, and the hashes this request stored anew."""
    check_length(request, settings.evidence_max_files, settings.evidence_max_bytes)
    async with request.form(max_files=settings.evidence_max_files + 1, max_fields=max_fields) as form:
        fields = {k: v for k, v in form.multi_items() if k != "evidence" and isinstance(v, str)}
        files, new = await store_evidence(form.getlist("evidence"), store, max_files=settings.evidence_max_files,
                                          max_bytes=settings.evidence_max_bytes)
    return fields, files, new


@contextmanager
def discarded_on_failure(store: EvidenceStore, new: list[str]) -> Iterator[None]:
    """Nothing refers to bytes first stored by a request that is then refused: remove them."""
    try:
        yield
    except BaseException:
        for sha in new:
            store.discard(sha)
        raise
