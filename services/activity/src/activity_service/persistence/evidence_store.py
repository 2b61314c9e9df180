"""Where evidence bytes live: content-addressed by SHA-256, never by a client-given name.
`LocalEvidenceStore` (a directory) is the default; `S3EvidenceStore`
(`persistence/s3_evidence_store.py`, any S3-compatible object store) is the production option.
Both stream: bytes go in and come out a chunk at a time, never whole in memory."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    head: bytes
    new: bool  # False when the same bytes were stored before


class Opened(NamedTuple):
    """A stored file to stream out: its bytes a chunk at a time (blocking reads: iterate them in a
    thread), its size, and `close` to release it unread (reading to the end releases it)."""
    chunks: Iterator[bytes]
    size: int
    close: Callable[[], None]


class EvidenceStore(Protocol):
    def put(self, source: BinaryIO, max_bytes: int) -> Stored: ...
    def open(self, sha256: str) -> Opened | None: ...
    def discard(self, sha256: str) -> None: ...


def is_sha256(value: str) -> bool:
    """64 lowercase hex digits: the only names a store builds a path or key from."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def spool(source: BinaryIO, max_bytes: int, out: BinaryIO) -> tuple[str, int, bytes]:
    """Copy `source` into `out` a chunk at a time, hashing as it goes: (sha256, size, first 16
    bytes). TooLarge past `max_bytes` (the caller removes what was written)."""
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
        head = head or chunk[:16]
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest(), size, head


def file_chunks(f: BinaryIO) -> Iterator[bytes]:
    """The rest of an open file a chunk at a time; closes it at the end (or when abandoned)."""
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


class LocalEvidenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _final(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Copy `source` a chunk at a time (never whole in memory), hashing as it goes; TooLarge
        past `max_bytes` (nothing kept). Same bytes, same file."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size, head = spool(source, max_bytes, out)
            final = self._final(sha)
            if final.exists():
                os.unlink(tmp)
                return Stored(sha, size, head, new=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return Stored(sha, size, head, new=True)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def path(self, sha256: str) -> Path | None:
        p = self._final(sha256)
        return p if is_sha256(sha256) and p.exists() else None

    def open(self, sha256: str) -> Opened | None:
        if not is_sha256(sha256):
            return None
        try:
            f = self._final(sha256).open("rb")
        except FileNotFoundError:
            return None
        return Opened(file_chunks(f), os.fstat(f.fileno()).st_size, f.close)

    def discard(self, sha256: str) -> None:
        if not is_sha256(sha256):
            return
        p = self._final(sha256)
        if p.exists():
            p.unlink()
