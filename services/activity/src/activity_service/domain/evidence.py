"""Evidence files (DOMAIN.md, Security: uploads). Pure: the type is read from the bytes, never
from the name or the client's content type."""

from __future__ import annotations

from kinerja_kit.errors import InvalidField

MAGIC = (  # leading bytes → content type
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
DEFAULT_TYPES = frozenset(t for _, t in MAGIC)


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, or None."""
    return next((t for magic, t in MAGIC if head.startswith(magic)), None)


def check_file(head: bytes, allowed: frozenset[str] = DEFAULT_TYPES) -> str:
    """The file's real content type, or InvalidField('evidence') when it is not an allowed one."""
    kind = sniff(head)
    if kind is None or kind not in allowed:
        raise InvalidField("evidence", f"not a {' / '.join(sorted(t.split('/')[1].upper() for t in allowed))} file "
                                       "(the type is read from its bytes)")
    return kind


def check_count(existing: int, adding: int, limit: int) -> None:
    if existing + adding > limit:
        raise InvalidField("evidence", f"at most {limit} files per activity")
