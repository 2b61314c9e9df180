"""Validate rendered Kubernetes manifests offline, strictly (an unknown field is an error):

- built-in kinds against the Kubernetes OpenAPI schemas that the PyPI package kubernetes-validate
  bundles (one or more Kubernetes versions);
- custom resources (Strimzi's kafka.strimzi.io, KEDA's keda.sh) against the openAPIV3Schema of
  the CRDs committed under deploy/k8s/schemas/ (see the README there for where they come from);
- every metadata.name against the DNS-1123 rules, every label against the label syntax.

A kind with no schema is an error, so nothing passes unchecked. Run with the interpreter that has
kubernetes-validate (scripts/ops-tools.sh installs it into .run/tools/k8s-validate):

    kubectl kustomize deploy/k8s/overlays/production > /tmp/prod.yaml
    .run/tools/k8s-validate/bin/python deploy/k8s/validate.py /tmp/prod.yaml   # or - for stdin

Exit status 0 when every document is valid, 1 otherwise (each error printed). CEL rules
(x-kubernetes-validations) are not evaluated: only the API server does that.
"""

from __future__ import annotations

import argparse
import copy
import importlib.resources
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

HERE = Path(__file__).resolve().parent
DEFAULT_SCHEMAS = HERE / "schemas"
DEFAULT_KUBERNETES_VERSIONS = ["1.30", "1.37"]  # the oldest we support and the newest bundled

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Kinds whose names must be DNS-1123 labels (they become DNS names or hostnames).
LABEL_NAMED = {"Service", "Namespace", "Deployment", "StatefulSet"}


# --- Kubernetes built-in kinds (kubernetes-validate's schemas) ------------------------------------

def _schema_dir(version: str):
    root = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    wanted = f"v{version}.0-local-strict"
    path = root / wanted
    if not path.is_dir():
        have = sorted(p.name for p in root.iterdir())
        raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes {version} (has: {', '.join(have)})")
    return path


@lru_cache(maxsize=None)
def _definitions(version: str) -> Resource:
    return Resource.from_contents(json.loads((_schema_dir(version) / "_definitions.json").read_text()))


@lru_cache(maxsize=None)
def _k8s_validator(version: str, api_version: str, kind: str):
    # kubernetes-validate's file naming: apps/v1 -> apps-v1, networking.k8s.io/v1 -> networking-v1
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir(version) / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    registry = _definitions(version) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


# --- custom resources (committed CRDs) ------------------------------------------------------------

def strict_json_schema(node: Any) -> Any:
    """A CRD's structural openAPIV3Schema as a JSON Schema that rejects unknown fields, as
    `kubectl apply` (field validation Strict) does: objects with `properties` and neither
    `additionalProperties` nor x-kubernetes-preserve-unknown-fields get additionalProperties: false;
    `nullable` and x-kubernetes-int-or-string become the JSON Schema types they mean."""
    if isinstance(node, list):
        return [strict_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict_json_schema(v) for k, v in node.items()
           if not (k.startswith("x-kubernetes-") or k == "nullable")}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@lru_cache(maxsize=None)
def _crd_validators(schemas_dir: str) -> dict[tuple[str, str], tuple[Any, str]]:
    """(apiVersion, kind) -> (validator, source file) for every served version of every CRD."""
    found: dict[tuple[str, str], tuple[Any, str]] = {}
    for path in sorted(Path(schemas_dir).rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                api_version = f"{spec['group']}/{version['name']}"
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schema = strict_json_schema(schema)
                schema.setdefault("properties", {})
                schema["properties"]["apiVersion"] = {"const": api_version}
                schema["properties"]["kind"] = {"const": spec["names"]["kind"]}
                schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
                found[(api_version, spec["names"]["kind"])] = (
                    jsonschema.Draft7Validator(schema), str(path.relative_to(schemas_dir)))
    return found


# --- one document ---------------------------------------------------------------------------------

def _metadata_errors(doc: dict) -> list[str]:
    errors = []
    meta = doc.get("metadata") or {}
    name = meta.get("name", "")
    pattern = DNS1123_LABEL if doc.get("kind") in LABEL_NAMED else DNS1123_SUBDOMAIN
    limit = 63 if doc.get("kind") in LABEL_NAMED else 253
    if not name or len(name) > limit or not pattern.match(name):
        errors.append(f"metadata.name {name!r} is not a valid DNS-1123 {'label' if limit == 63 else 'subdomain'}")
    labels = dict(meta.get("labels") or {})
    template = (doc.get("spec") or {}).get("template")
    if isinstance(template, dict):
        labels.update((template.get("metadata") or {}).get("labels") or {})
    for key, value in labels.items():
        prefix, _, label = str(key).rpartition("/")
        if (prefix and not DNS1123_SUBDOMAIN.match(prefix)) or len(label) > 63 or not LABEL_NAME.match(label):
            errors.append(f"label key {key!r} is not valid")
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errors.append(f"label {key}={value!r}: the value is not valid")
    return errors


def validate_document(doc: dict, kubernetes_versions: list[str], schemas_dir: Path) -> tuple[str, list[str]]:
    """(which schema was used, errors) for one manifest."""
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    errors = _metadata_errors(doc)
    crd = _crd_validators(str(schemas_dir)).get((api_version, kind))
    if crd:
        validator, source = crd
        errors += [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                   for e in validator.iter_errors(doc)]
        return source, errors
    if "." in api_version.split("/")[0] and not api_version.split("/")[0].endswith(".k8s.io"):
        return "none", errors + [f"no CRD schema for {api_version} {kind} under {schemas_dir}"]
    used = []
    for version in kubernetes_versions:
        validator = _k8s_validator(version, api_version, kind)
        if validator is None:
            errors.append(f"Kubernetes {version} has no {api_version} {kind}")
            continue
        used.append(version)
        errors += [f"[k8s {version}] {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                   for e in validator.iter_errors(doc)]
    return f"kubernetes {', '.join(used)}", errors


def validate_stream(text: str, source: str, kubernetes_versions: list[str], schemas_dir: Path) -> tuple[int, list[str]]:
    count, problems = 0, []
    for doc in yaml.safe_load_all(text):
        if not doc:
            continue
        count += 1
        _, errors = validate_document(doc, kubernetes_versions, schemas_dir)
        ident = f"{source}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        problems += [f"{ident}: {e}" for e in errors]
    return count, problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", help="rendered manifests (multi-document YAML); - for stdin")
    p.add_argument("--kubernetes-version", action="append", dest="versions",
                   help=f"repeatable; default {' and '.join(DEFAULT_KUBERNETES_VERSIONS)}")
    p.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS, help="folder of committed CRDs")
    a = p.parse_args(argv)
    versions = a.versions or DEFAULT_KUBERNETES_VERSIONS
    total, problems = 0, []
    for name in a.files:
        text = sys.stdin.read() if name == "-" else Path(name).read_text()
        count, found = validate_stream(text, name, versions, a.schemas.resolve())
        total += count
        problems += found
        if count == 0:
            problems.append(f"{name}: no manifests")
    for line in problems:
        print(line)
    print(f"{total} manifests, {len(problems)} errors (Kubernetes {', '.join(versions)}; "
          f"CRDs from {a.schemas})", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
