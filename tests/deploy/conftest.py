"""Fixtures for the offline checks of deploy/ (Compose, kustomize, Prometheus, Grafana, OTel).

No broker or database is needed. The tools come from scripts/ops-tools.sh (.run/tools, or
KINERJA_TOOLS_DIR); kubectl from the machine. A missing tool skips its tests, except under
`make test` (KINERJA_TEST_REQUIRE_INFRA=1), where it is an error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_support import OVERLAYS, ROOT, TOOLS, need  # noqa: E402


@pytest.fixture(scope="session")
def kubectl() -> str:
    return need(shutil.which("kubectl"), "kubectl")


@pytest.fixture(scope="session")
def promtool() -> str:
    return need(TOOLS / "bin" / "promtool", "promtool")


@pytest.fixture(scope="session")
def k8s_python() -> str:
    """The interpreter with kubernetes-validate, for deploy/k8s/validate.py."""
    return need(TOOLS / "k8s-validate" / "bin" / "python", "kubernetes-validate")


@pytest.fixture(scope="session")
def docker_compose() -> list[str]:
    """`docker compose`, with the plugin from .run/tools (see compose_env)."""
    docker = need(shutil.which("docker"), "the docker client")
    need(TOOLS / "docker" / "cli-plugins" / "docker-compose", "the Docker Compose plugin")
    return [docker, "compose"]


@pytest.fixture(scope="session")
def compose_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    env["DOCKER_CONFIG"] = str(TOOLS / "docker")
    return env


@pytest.fixture(scope="session")
def rendered(kubectl, tmp_path_factory) -> dict[str, tuple[Path, list[dict]]]:
    """overlay -> (file with the `kubectl kustomize` output, its documents)."""
    out = tmp_path_factory.mktemp("k8s")
    procs = {overlay: subprocess.Popen([kubectl, "kustomize", str(ROOT / "deploy/k8s/overlays" / overlay)],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for overlay in OVERLAYS}  # all at once: each takes a second or two
    result = {}
    for overlay, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"kubectl kustomize {overlay} failed:\n{stderr}"
        path = out / f"{overlay}.yaml"
        path.write_text(stdout)
        result[overlay] = (path, [d for d in yaml.load_all(stdout, Loader=yaml.CSafeLoader) if d])
    return result
