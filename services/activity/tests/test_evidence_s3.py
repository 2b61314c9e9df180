"""The evidence stores against real storage: `S3EvidenceStore` over HTTP against moto's S3 server on
loopback (no broker, no database), and `LocalEvidenceStore` on a temporary directory."""

from __future__ import annotations

import hashlib
import io
import os

import boto3
import pytest
from botocore.config import Config

from activity_service.persistence.evidence_store import LocalEvidenceStore, TooLarge
from activity_service.persistence.s3_evidence_store import S3EvidenceStore

MiB = 1024 * 1024
BUCKET = "kinerja-evidence-test"
BIG = os.urandom(6 * MiB + 12345)  # over S3's 5 MiB part: a multipart upload of two parts


@pytest.fixture(scope="module")
def endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Throw-away credentials through the standard chain; no ~/.aws of the machine is read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(endpoint, aws_env):
    client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                            config=Config(s3={"addressing_style": "path"}))
    client.create_bucket(Bucket=BUCKET)
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def spool(tmp_path):
    d = tmp_path / "spool"
    d.mkdir()
    return d


@pytest.fixture
def s3_store(s3, endpoint, spool):
    return S3EvidenceStore(BUCKET, "evidence/", endpoint_url=endpoint, region="us-east-1", spool_dir=str(spool))


@pytest.fixture
def local_store(tmp_path):
    return LocalEvidenceStore(tmp_path / "evidence")


@pytest.fixture(params=["s3", "local"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def read_all(opened) -> bytes:
    chunks = list(opened.chunks)
    assert len(chunks) > 1 and all(len(c) <= MiB for c in chunks), "streamed a chunk at a time"
    return b"".join(chunks)


def test_s3_round_trip_of_a_multipart_file(s3_store, s3, spool):
    sha = hashlib.sha256(BIG).hexdigest()
    stored = s3_store.put(io.BytesIO(BIG), max_bytes=10 * MiB)
    assert (stored.sha256, stored.size, stored.head, stored.new) == (sha, len(BIG), BIG[:16], True)
    assert keys(s3) == [f"evidence/{sha[:2]}/{sha}"]
    head = s3.head_object(Bucket=BUCKET, Key=f"evidence/{sha[:2]}/{sha}")
    assert head["ETag"].strip('"').endswith("-2"), "sent as a multipart upload of two parts"
    assert list(spool.iterdir()) == [], "the spooled upload is removed"

    opened = s3_store.open(sha)
    assert opened.size == len(BIG)
    assert hashlib.sha256(read_all(opened)).hexdigest() == sha

    s3_store.discard(sha)
    assert keys(s3) == []
    assert s3_store.open(sha) is None
    s3_store.discard(sha)  # discarding what is gone is fine


def test_s3_same_bytes_twice_are_one_object(s3_store, s3):
    first = s3_store.put(io.BytesIO(b"%PDF-1.4 same bytes"), max_bytes=MiB)
    again = s3_store.put(io.BytesIO(b"%PDF-1.4 same bytes"), max_bytes=MiB)
    assert (first.new, again.new) == (True, False)
    assert first.sha256 == again.sha256
    assert keys(s3) == [f"evidence/{first.sha256[:2]}/{first.sha256}"]


def test_s3_too_large_keeps_nothing(s3_store, s3, spool):
    with pytest.raises(TooLarge):
        s3_store.put(io.BytesIO(BIG), max_bytes=5 * MiB)
    assert keys(s3) == []
    assert list(spool.iterdir()) == []
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_s3_empty_prefix_keys_by_hash_alone(s3, endpoint, spool):
    store = S3EvidenceStore(BUCKET, "", endpoint_url=endpoint, region="us-east-1", spool_dir=str(spool))
    stored = store.put(io.BytesIO(b"\x89PNG\r\n\x1a\n"), max_bytes=MiB)
    assert keys(s3) == [f"{stored.sha256[:2]}/{stored.sha256}"]
    assert b"".join(store.open(stored.sha256).chunks) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("bad", ["", "../" + "a" * 61, "A" * 64, "g" * 64, "a" * 63, "a" * 65,
                                 "a" * 62 + "/x", "a" * 64 + "\n"])
def test_a_malformed_sha256_opens_nothing(store, bad):
    stored = store.put(io.BytesIO(b"%PDF-1.4 something"), max_bytes=MiB)
    assert store.open(bad) is None
    store.discard(bad)  # no key or path is built from it
    opened = store.open(stored.sha256)
    assert opened is not None
    opened.close()  # released unread


def test_an_unknown_sha256_opens_nothing(store):
    assert store.open(hashlib.sha256(b"never stored").hexdigest()) is None


def test_local_round_trip_streams_in_chunks(local_store, tmp_path):
    sha = hashlib.sha256(BIG).hexdigest()
    stored = local_store.put(io.BytesIO(BIG), max_bytes=10 * MiB)
    assert (stored.sha256, stored.size, stored.new) == (sha, len(BIG), True)
    opened = local_store.open(sha)
    assert opened.size == len(BIG)
    assert hashlib.sha256(read_all(opened)).hexdigest() == sha
    local_store.discard(sha)
    assert local_store.open(sha) is None


def test_local_same_bytes_twice_are_one_file(local_store, tmp_path):
    first = local_store.put(io.BytesIO(b"%PDF-1.4 same bytes"), max_bytes=MiB)
    again = local_store.put(io.BytesIO(b"%PDF-1.4 same bytes"), max_bytes=MiB)
    assert (first.new, again.new) == (True, False)
    assert [p.name for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == [first.sha256]


def test_local_too_large_keeps_nothing(local_store, tmp_path):
    with pytest.raises(TooLarge):
        local_store.put(io.BytesIO(BIG), max_bytes=5 * MiB)
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []


def test_s3_without_a_bucket_refuses_to_start(monkeypatch, tmp_path):
    from activity_service.main import EvidenceStoreMisconfigured, SERVICE, evidence_store

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_STORE", "s3")
    monkeypatch.delenv("KINERJA_ACTIVITY_EVIDENCE_S3_BUCKET", raising=False)
    monkeypatch.delenv("KINERJA_EVIDENCE_S3_BUCKET", raising=False)
    settings = SERVICE.load_settings(database_url="sqlite:///:memory:")
    assert settings.evidence_store == "s3" and settings.evidence_s3_bucket is None
    with pytest.raises(EvidenceStoreMisconfigured, match="KINERJA_ACTIVITY_EVIDENCE_S3_BUCKET"):
        evidence_store(settings)
    with pytest.raises(EvidenceStoreMisconfigured):
        SERVICE.create_app(settings)  # wire() refuses before anything starts


def test_settings_pick_the_store(monkeypatch, tmp_path, aws_env):
    from activity_service.main import SERVICE, evidence_store

    monkeypatch.chdir(tmp_path)
    assert isinstance(evidence_store(SERVICE.load_settings(evidence_store="local")), LocalEvidenceStore)
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_STORE", "s3")
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_S3_BUCKET", "bucket")
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_S3_PREFIX", "kinerja/evidence")
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KINERJA_ACTIVITY_EVIDENCE_S3_REGION", "ap-southeast-3")
    store = evidence_store(SERVICE.load_settings())
    assert isinstance(store, S3EvidenceStore)
    assert (store.bucket, store.prefix) == ("bucket", "kinerja/evidence")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "ap-southeast-3"
    assert store.key("a" * 64) == "kinerja/evidence/aa/" + "a" * 64


@pytest.fixture
def download(monkeypatch):
    """`GET /v1/activities/{id}/evidence/{sha}` of the real route over ASGI, the database read
    replaced by one activity of OWNER whose atasan is BOSS, with `rows` as its evidence."""
    from contextlib import asynccontextmanager
    from types import SimpleNamespace

    import httpx
    from fastapi import FastAPI

    from activity_service.api.routes import router
    from activity_service.persistence import repository as repo
    from activity_service.persistence.tables import EvidenceRow
    from kinerja_kit.auth import Principal, current_principal

    rows: list = []

    async def get_activity(session, activity_id, **kw):
        return SimpleNamespace(id=activity_id, nip="owner") if activity_id == "act-1" else None

    async def get_employee(session, nip, **kw):
        return SimpleNamespace(nip=nip, supervisor_nip="boss")

    async def evidence_of(session, ids):
        return {"act-1": list(rows)} if "act-1" in ids else {}

    for name, fn in [("get_activity", get_activity), ("get_employee", get_employee), ("evidence_of", evidence_of)]:
        monkeypatch.setattr(repo, name, fn)

    @asynccontextmanager
    async def sessions():
        yield None

    async def get(store, sha: str, who: str = "owner", roles=("pegawai",)):
        app = FastAPI()
        app.include_router(router)
        app.state.evidence = store
        app.state.runtime = SimpleNamespace(db=SimpleNamespace(sessions=sessions))
        app.dependency_overrides[current_principal] = lambda: Principal(who, frozenset(roles))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get(f"/v1/activities/act-1/evidence/{sha}")

    def attach(sha: str, content_type: str = "application/pdf") -> None:
        rows.append(EvidenceRow(activity_id="act-1", sha256=sha, content_type=content_type, size=0, added_at=None))

    return SimpleNamespace(get=get, attach=attach)


async def test_download_streams_the_file_from_either_store(store, download):
    stored = store.put(io.BytesIO(b"%PDF-1.4\n" + BIG), max_bytes=10 * MiB)
    download.attach(stored.sha256)
    for who, roles in [("owner", ("pegawai",)), ("boss", ("pegawai",)), ("auditor", ("inspektorat",))]:
        r = await download.get(store, stored.sha256, who, roles)
        assert r.status_code == 200, who
        assert r.content == b"%PDF-1.4\n" + BIG
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-length"] == str(stored.size)
        assert r.headers["x-content-type-options"] == "nosniff"


async def test_download_404s_like_before(store, download):
    stored = store.put(io.BytesIO(b"%PDF-1.4 mine"), max_bytes=MiB)
    other = store.put(io.BytesIO(b"%PDF-1.4 not attached here"), max_bytes=MiB)
    gone = hashlib.sha256(b"attached, then lost from the store").hexdigest()
    download.attach(stored.sha256)
    download.attach(gone)
    assert (await download.get(store, stored.sha256, "stranger")).status_code == 404
    assert (await download.get(store, other.sha256)).status_code == 404, "stored, but not this activity's"
    assert (await download.get(store, gone)).status_code == 404, "in the database, not in the store"
    assert (await download.get(store, "A" * 64)).status_code == 404
