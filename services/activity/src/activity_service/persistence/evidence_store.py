"""Where evidence bytes live: content-addressed by SHA-256, never by a client-given name.
`LocalEvidenceStore` (a directory) is the default; an S3-compatible store would implement the
same three methods (not built yet)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    head: bytes
    new: bool  # False when the same bytes were stored before


class EvidenceStore(Protocol):
    def put(self, source: BinaryIO, max_bytes: int) -> Stored: ...
    def path(self, sha256: str) -> Path | None: ...
    def discard(self, sha256: str) -> None: ...


class LocalEvidenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _final(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Copy `source` a chunk at a time (never whole in memory), hashing as it goes; TooLarge
        past `max_bytes` (nothing kept). Same bytes, same file."""
        digest, size, head = hashlib.sha256(), 0, b""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    head = head or chunk[:16]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
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
        return p if len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256) and p.exists() else None

    def discard(self, sha256: str) -> None:
        p = self._final(sha256)
        if p.exists():
            p.unlink()
