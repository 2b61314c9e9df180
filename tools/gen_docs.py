"""Generate the committed API documents: OpenAPI of each service, AsyncAPI of all topics.

    uv run python tools/gen_docs.py          # rewrite docs/api/*.json
A test compares these files with what the code generates, so API changes show in review."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from kinerja_contracts.topics import TOPICS, dlq_topic

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "api"
SERVICES = ["activity", "scoring", "approval", "tpp", "notify"]


def openapi(service: str) -> dict:
    module = importlib.import_module(f"{service}_service.main")
    app = module.create_app(module.load_settings(database_url="sqlite:///:memory:"))
    return app.openapi()


def consumers() -> dict[str, list[str]]:
    """topic -> services that consume it, read from each service's registered handlers."""
    out: dict[str, list[str]] = {}
    for service in SERVICES:
        module = importlib.import_module(f"{service}_service.main")
        app = module.create_app(module.load_settings(database_url="sqlite:///:memory:"))
        for topic in app.state.runtime.consumers.handlers:
            out.setdefault(topic, []).append(service)
    return out


def asyncapi() -> dict:
    readers = consumers()
    channels, operations, schemas = {}, {}, {}
    for name, spec in sorted(TOPICS.items()):
        schema = spec.model.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas[def_name] = definition
        schemas[spec.model.__name__] = schema
        channel_id = name.replace(".", "_")
        channels[channel_id] = {
            "address": name,
            "description": f"{spec.description} Key: {spec.key}. "
                           f"{'Compacted.' if spec.compacted else 'Retained.'} Dead letters: {dlq_topic(name)}.",
            "messages": {spec.model.__name__: {
                "name": spec.model.__name__,
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/EventHeaders"},
                "payload": {"$ref": f"#/components/schemas/{spec.model.__name__}"},
            }},
        }
        operations[f"publish_{channel_id}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"produced by {spec.producer}",
        }
        for reader in readers.get(name, []):
            operations[f"{reader}_receives_{channel_id}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"consumed by {reader} (group kinerja-{reader})",
            }
    schemas["EventHeaders"] = {
        "type": "object",
        "required": ["event-id", "event-type", "schema-version", "occurred-at", "producer"],
        "properties": {h: {"type": "string"} for h in [
            "event-id", "event-type", "schema-version", "occurred-at", "producer", "correlation-id",
            "traceparent", "tracestate"]},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Kinerja events", "version": "1.0.0",
                 "description": "Every topic of the platform, generated from kinerja_contracts.topics."},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def documents() -> dict[str, dict]:
    docs = {f"openapi-{s}.json": openapi(s) for s in SERVICES}
    docs["asyncapi.json"] = asyncapi()
    return docs


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, doc in documents().items():
        (OUT / name).write_text(render(doc))
    print(f"wrote {len(documents())} documents to {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
