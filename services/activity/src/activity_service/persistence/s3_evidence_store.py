"""Evidence in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …), one object per file
under `<prefix>/<sha[:2]>/<sha>`. Same contract as `LocalEvidenceStore`: an upload is spooled to
a local temporary file while it is hashed (TooLarge past the limit, nothing kept), then sent with
boto3's transfer manager (multipart from 5 MiB, read from the file a part at a time, never whole
in memory); bytes already stored are not sent again. Downloads stream the object's body.

Every method blocks (boto3 is synchronous): call them from a thread, as the API does.
Credentials come from boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
AWS_PROFILE and ~/.aws, web identity / IRSA, the instance or container role). The identity needs
s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on the prefix, and
s3:ListBucket on the bucket (without it S3 answers 403 rather than 404 for a missing object, and
every new upload fails)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from activity_service.persistence.evidence_store import CHUNK, Opened, Stored, is_sha256, spool

PART = 5 * 1024 * 1024  # S3's smallest multipart part
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3EvidenceStore:
    def __init__(self, bucket: str, prefix: str = "evidence", *, endpoint_url: str | None = None,
                 region: str | None = None, spool_dir: str | None = None, client=None,
                 part_size: int = PART, max_concurrency: int = 4) -> None:
        if not bucket:
            raise ValueError("an S3 evidence store needs a bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.spool_dir = spool_dir  # None: the system's temporary directory (TMPDIR)
        # Path-style addressing for a custom endpoint: MinIO, Ceph and most others serve it
        # without wildcard DNS; AWS itself keeps the default.
        config = Config(retries={"mode": "standard", "max_attempts": 5},
                        s3={"addressing_style": "path"} if endpoint_url else None)
        # A boto3 client (unlike a session) is safe to share between threads.
        self.client = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config)
        self.transfer = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                                       max_concurrency=max_concurrency)

    def key(self, sha256: str) -> str:
        if not is_sha256(sha256):  # never build a key from anything else
            raise ValueError("not a SHA-256 hex digest")
        return f"{self.prefix}/{sha256[:2]}/{sha256}" if self.prefix else f"{sha256[:2]}/{sha256}"

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Spool `source` to a temporary file while hashing it (TooLarge past `max_bytes`, nothing
        kept), then upload it unless an object of the same hash is there already."""
        fd, tmp = tempfile.mkstemp(dir=self.spool_dir, prefix=".kinerja-evidence-")
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size, head = spool(source, max_bytes, out)
            key = self.key(sha)
            if self._exists(key):
                return Stored(sha, size, head, new=False)
            self.client.upload_file(tmp, self.bucket, key, Config=self.transfer,
                                    ExtraArgs={"ContentType": "application/octet-stream"})
            return Stored(sha, size, head, new=True)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass

    def open(self, sha256: str) -> Opened | None:
        if not is_sha256(sha256):
            return None
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        body = obj["Body"]
        return Opened(_body_chunks(body), int(obj["ContentLength"]), body.close)

    def discard(self, sha256: str) -> None:
        if is_sha256(sha256):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))  # a missing key is fine

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


def _body_chunks(body) -> Iterator[bytes]:
    """An object's body a chunk at a time; the connection is released at the end (or when the
    iterator is abandoned)."""
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
