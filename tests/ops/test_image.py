"""The service image, built here without a Docker engine, runs and answers its readiness probe.

buildah (Debian's package) builds deploy/docker/Dockerfile unchanged; the Python base image is
built from Debian packages by scripts/image-tools.sh, since Docker Hub cannot be reached (cached
under .run/image). The image's own entrypoint then runs in a container (`buildah run`, an OCI
runtime, host network) against the test broker and PostgreSQL, and must answer /health/ready
with 200, pass its own HEALTHCHECK command and stop cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from support import ROOT, eventually

# A fresh machine also builds the base rootfs (mmdebstrap) and downloads the wheels: minutes.
pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]

SERVICE = os.environ.get("KINERJA_TEST_IMAGE_SERVICE", "activity")
TOOLS = ROOT / "scripts" / "image-tools.sh"
MAX_IMAGE_BYTES = 400 * 1000 * 1000  # a guard against build tools or sources leaking into the runtime stage
RUN_DIR = Path(os.environ.get("KINERJA_RUN_DIR", ROOT / ".run" / "test"))


def tools(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(TOOLS), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


IMAGE_DIR = Path(os.environ.get("KINERJA_IMAGE_DIR", ROOT / ".run" / "image"))


def image_bytes(name: str) -> int:
    """Uncompressed size of an image in the store: its layers' diff sizes, top layer to base."""
    images = json.loads((IMAGE_DIR / "storage/overlay-images/images.json").read_text())
    layers = {la["id"]: la for la in json.loads((IMAGE_DIR / "storage/overlay-layers/layers.json").read_text())}
    found = [i for i in images if name in i.get("names", []) or f"docker.io/library/{name}" in i.get("names", [])]
    if not found:
        return 0
    total, layer = 0, layers.get(found[0]["layer"])
    while layer:
        total += layer.get("diff-size", 0)
        layer = layers.get(layer.get("parent"))
    return total


def container_init(pid: int, marker: str) -> int | None:
    """The host pid of the container's PID 1: the descendant of `buildah run` (pid) that runs
    the entrypoint."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        try:
            if marker in Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                return p
        except OSError:
            continue
        todo += children.get(p, [])
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def image(capsys_disabled):
    if os.geteuid() != 0 and not shutil.which("buildah"):
        why = "buildah is not installed and this user cannot install it (scripts/image-tools.sh install, as root)"
        pytest.fail(why) if os.environ.get("KINERJA_TEST_REQUIRE_INFRA") == "1" else pytest.skip(why)
    started = time.monotonic()
    tag = f"test-{os.getpid()}"  # this run's own: a second suite on the machine has its own
    built = tools("build", SERVICE, tag, timeout=840)
    assert built.returncode == 0, f"image build failed:\n{built.stderr[-6000:]}"
    seconds = time.monotonic() - started
    name = built.stdout.strip().splitlines()[-1]
    config = json.loads(tools("buildah", "inspect", "--type", "image", name).stdout)["Docker"]["config"]
    base = os.environ.get("KINERJA_PYTHON_IMAGE") or "localhost/kinerja/python:3.11-bookworm"
    report = {"image": name, "size_bytes": image_bytes(name), "base": base, "base_size_bytes": image_bytes(base),
              "build_seconds": round(seconds, 1), "runtime": tools("runtime").stdout.strip()}
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    (RUN_DIR / "image-report.json").write_text(json.dumps(report, indent=2))
    with capsys_disabled():
        print(f"\n[image] {name}: {report['size_bytes'] / 1e6:.0f} MB uncompressed (base {base} "
              f"{report['base_size_bytes'] / 1e6:.0f} MB), built in {seconds:.0f}s; "
              f"runs with `buildah run {report['runtime']}`")
    yield {"name": name, "config": config, "size": report["size_bytes"], "runtime": report["runtime"].split()}
    tools("buildah", "rmi", "-f", name)  # the store keeps the base (and the uv cache), not every build


@pytest.fixture(scope="module")
def capsys_disabled(request):
    """The figures go to the terminal even when output is captured."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    return capman.global_and_fixture_disabled


def test_image_is_small_non_root_with_health_check(image):
    config = image["config"]
    assert config["User"] == "10001:10001"
    assert config["Cmd"] == ["/app/service"] and not config.get("Entrypoint")
    assert config["Healthcheck"]["Test"][:2] == ["CMD", "python"], config.get("Healthcheck")
    assert config["StopSignal"] == "SIGTERM"
    assert image["size"] < MAX_IMAGE_BYTES, f"{image['size'] / 1e6:.0f} MB"
    container = tools("buildah", "from", "--pull=never", image["name"]).stdout.strip()
    try:
        root = Path(tools("buildah", "mount", container).stdout.strip())
        assert (root / "app/.venv/bin/python").exists()
        assert (root / "app/service").readlink() == Path(f"/app/.venv/bin/kinerja-{SERVICE}")
        assert not (root / "src").exists(), "sources are not shipped"
        assert not any((root / d / "uv").exists() for d in ("app/.venv/bin", "usr/local/bin", "usr/bin")), "no uv"
        assert (root / "app/var").stat().st_uid == 10001, "the service user owns its data dir"
        site = next((root / "app/.venv/lib").glob("python3*/site-packages"))
        assert not list(site.glob("pytest*")), "no dev dependencies"
        assert not list(site.glob("*.pth")) or all("/src" not in p.read_text() for p in site.glob("*.pth")), \
            "our packages are installed as wheels, not editable"
    finally:
        tools("buildah", "rm", container)


async def test_image_entrypoint_answers_ready_against_broker_and_database(image, ops_kafka, fresh_database):
    config, port = image["config"], free_port()
    database_url = await fresh_database(f"image_{SERVICE}")
    container = tools("buildah", "from", "--pull=never", "--name", f"kinerja-image-test-{uuid.uuid4().hex[:8]}",
                      image["name"]).stdout.strip()
    assert container, "buildah from failed"
    env = {
        "KINERJA_KAFKA_BOOTSTRAP": ops_kafka,
        "KINERJA_DATABASE_URL": database_url,
        # Host network: bind loopback (the image's 0.0.0.0 would need a real JWT secret).
        "KINERJA_HTTP_HOST": "127.0.0.1",
        "KINERJA_HTTP_PORT": str(port),
    }
    env_args = [a for k, v in env.items() for a in ("--env", f"{k}={v}")]
    log_path = RUN_DIR / "logs" / f"image-{SERVICE}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    entrypoint = (config.get("Entrypoint") or []) + config["Cmd"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["bash", str(TOOLS), "buildah", "run", *image["runtime"], "--network", "host", *env_args, container,
             "--", *entrypoint], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            async def ready() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"the container exited ({proc.returncode}): {log_path.read_text()[-3000:]}")
                try:
                    return (await http.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False
            await eventually(ready, timeout=90)
            body = (await http.get(f"http://127.0.0.1:{port}/health/ready")).json()
        # The image's own HEALTHCHECK command, run inside the image as Docker would.
        check = config["Healthcheck"]["Test"][1:]
        probe = tools("buildah", "run", *image["runtime"], "--network", "host", "--env", f"KINERJA_HTTP_PORT={port}",
                      container, "--", *check, timeout=60)
        assert probe.returncode == 0, probe.stdout + probe.stderr
        whoami = tools("buildah", "run", *image["runtime"], container, "--", "id", "-u", timeout=60)
        assert whoami.stdout.strip() == "10001"
    finally:
        if proc.poll() is None:
            # As `docker stop` and the kubelet do: SIGTERM to the container's PID 1 (a SIGTERM to
            # `buildah run` itself makes it kill the container).
            init = container_init(proc.pid, entrypoint[-1])
            if init:
                os.kill(init, signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
        tools("buildah", "rm", container)
    log = log_path.read_text(errors="replace")
    assert body == {"status": "ok"}, body  # database and broker both reached ("degraded" without the broker)
    assert "service stopped" in log and code == 0, f"no graceful stop (exit {code}):\n{log[-3000:]}"
