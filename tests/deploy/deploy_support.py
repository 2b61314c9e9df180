"""Helpers shared by the tests in tests/deploy (imported by name: conftest.py puts this folder on
sys.path)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("KINERJA_TOOLS_DIR") or ROOT / ".run" / "tools")
REQUIRED = os.environ.get("KINERJA_TEST_REQUIRE_INFRA") == "1"
SERVICES = ["activity", "scoring", "approval", "tpp", "notify"]
OVERLAYS = ["local", "production", "production-keda"]


def need(path: Path | str | None, what: str) -> str:
    if path and Path(path).exists():
        return str(path)
    message = f"{what} is missing: run `bash scripts/ops-tools.sh`"
    if REQUIRED:
        pytest.fail(message + " (KINERJA_TEST_REQUIRE_INFRA=1)")
    pytest.skip(message)


def service_ports() -> dict[str, int]:
    """Each service's default HTTP port, read from its ServiceSpec in main.py."""
    ports = {}
    for service in SERVICES:
        text = (ROOT / f"services/{service}/src/{service}_service/main.py").read_text()
        found = re.search(r'ServiceSpec\(name="(\w+)", port=(\d+)', text)
        assert found and found.group(1) == service, f"no ServiceSpec in {service}'s main.py"
        ports[service] = int(found.group(2))
    return ports


def settings_fields() -> set[str]:
    from kinerja_kit.settings import ServiceSettings

    return set(ServiceSettings.model_fields)


def service_setting_exists(service: str, field: str) -> bool:
    """A KINERJA_<SERVICE>_<FIELD> variable names a shared setting or one the service declares
    (a `name: type = …` line in its package: its Settings class or a base of it)."""
    if field in settings_fields():
        return True
    pattern = re.compile(rf"^\s+{re.escape(field)}\s*:", re.M)
    return any(pattern.search(p.read_text()) for p in (ROOT / f"services/{service}/src").rglob("*.py"))


def check_env_name(name: str) -> str | None:
    """None if the KINERJA_* variable is read by the code, else why not."""
    rest = name.removeprefix("KINERJA_").lower()
    for service in SERVICES:
        if rest.startswith(service + "_"):
            field = rest[len(service) + 1:]
            return None if service_setting_exists(service, field) else f"{service} has no setting {field}"
    return None if rest in settings_fields() else f"no shared setting {rest}"
