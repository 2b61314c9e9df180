"""Generated artefacts are committed; these fail when the code and the committed copy differ."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(path: str):
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_k8s_topics_match_the_registry():
    gen = load("deploy/k8s/gen_topics.py")
    committed = (ROOT / "deploy/k8s/base/kafka/topics.yaml").read_text()
    assert committed == gen.render(), "run: uv run python deploy/k8s/gen_topics.py > deploy/k8s/base/kafka/topics.yaml"


def test_openapi_and_asyncapi_match_the_code():
    gen = load("tools/gen_docs.py")
    for name, doc in gen.documents().items():
        committed = (ROOT / "docs/api" / name).read_text()
        assert json.loads(committed) == json.loads(gen.render(doc)), f"{name} is stale: run uv run python tools/gen_docs.py"


def test_kafka_users_match_the_consumers():
    gen = load("tools/gen_docs.py")
    assert (ROOT / "deploy/k8s/base/kafka/users.yaml").read_text() == gen.users_yaml(), \
        "run: uv run python tools/gen_docs.py"


def test_asyncapi_names_every_consumer():
    gen = load("tools/gen_docs.py")
    readers = gen.consumers()
    assert readers["approval.decided.v1"] == ["activity", "scoring", "notify"]
    assert readers["tpp.computed.v1"] == ["notify"]
