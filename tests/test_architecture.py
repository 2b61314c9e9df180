"""What each layer may import (docs/architecture.md), read from the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
# The web process serves the browser app and proxies to the others: no domain, tables or consumers.
LAYERED = [s for s in SERVICES if s != "web"]
# The domain is pure: no web framework, database, HTTP client, broker, nor the kit's edges.
DOMAIN_FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "httpx", "faststream", "aiokafka",
                    "asyncpg", "prometheus_client", "kinerja_kit.http", "kinerja_kit.db", "kinerja_kit.outbox",
                    "kinerja_kit.consumer", "kinerja_kit.service", "kinerja_kit.persistence", "kinerja_kit.auth")
LAYERS = ("api", "application", "domain", "handlers", "persistence")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"{service}_service"


def hits(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("service", LAYERED)
def test_domain_modules_import_no_edge(service):
    modules = sorted((package(service) / "domain").rglob("*.py"))
    assert modules, f"{service} has no domain modules"
    bad = {str(m.relative_to(ROOT)): hits(imports(m), DOMAIN_FORBIDDEN) for m in modules}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("service", LAYERED)
def test_domain_imports_no_other_layer_of_its_service(service):
    own = f"{service}_service"
    others = tuple(f"{own}.{layer}" for layer in LAYERS if layer != "domain") + (f"{own}.region", f"{own}.main")
    bad = {str(m.relative_to(ROOT)): hits(imports(m), others) for m in (package(service) / "domain").rglob("*.py")}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("service", LAYERED)
def test_nothing_below_the_api_imports_it(service):
    """application, persistence and handlers never depend on the HTTP layer."""
    own = f"{service}_service"
    modules = [m for layer in ("application", "persistence", "handlers")
               for m in (package(service) / layer).rglob("*.py")]
    bad = {str(m.relative_to(ROOT)): hits(imports(m), (f"{own}.api",)) for m in modules}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service):
    others = tuple(f"{s}_service" for s in SERVICES if s != service)
    bad = {str(m.relative_to(ROOT)): hits(imports(m), others) for m in (ROOT / "services" / service).rglob("*.py")}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("service", LAYERED)
def test_every_service_has_the_same_shape(service):
    missing = [layer for layer in ("api", "domain", "handlers", "persistence")
               if not (package(service) / layer / "__init__.py").exists()]
    assert missing == []
    assert not (package(service) / "region.py").exists(), "region configuration lives in the region/ package"


def test_the_forbidden_list_catches_an_edge_import(tmp_path):
    """The check itself can fail: a module importing FastAPI is caught."""
    m = tmp_path / "x.py"
    m.write_text("from fastapi import HTTPException\nimport sqlalchemy as sa\nfrom kinerja_kit.errors import Conflict\n")
    assert hits(imports(m), DOMAIN_FORBIDDEN) == ["fastapi", "fastapi.HTTPException", "sqlalchemy"]
