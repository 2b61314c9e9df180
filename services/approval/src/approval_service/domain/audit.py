"""The tamper-evident audit trail: each entry's hash covers the previous one. Pure."""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


def chain_hash(prev_hash: str, entry: dict) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
