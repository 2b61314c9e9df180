import copy

from kinerja_contracts import schema_tool
from kinerja_contracts.topics import TOPICS, all_topic_names, dlq_topic


def test_committed_schemas_match_the_models():
    assert schema_tool.check() == []


def test_every_topic_has_a_committed_schema_and_a_dlq():
    assert set(schema_tool.committed_schemas()) == set(TOPICS)
    for name in TOPICS:
        assert dlq_topic(name) in all_topic_names()


def test_checker_flags_incompatible_changes():
    old = schema_tool.current_schemas()["tpp.computed.v1"]
    removed = copy.deepcopy(old)
    del removed["properties"]["total_amount"]
    assert any("total_amount: field removed" in p for p in schema_tool.incompatibilities(old, removed))

    retyped = copy.deepcopy(old)
    retyped["properties"]["total_amount"] = {"type": "string"}
    assert any("type changed" in p for p in schema_tool.incompatibilities(old, retyped))

    required = copy.deepcopy(old)
    required["properties"]["new_field"] = {"type": "string"}
    required["required"].append("new_field")
    assert any("new_field: field became required" in p for p in schema_tool.incompatibilities(old, required))


def test_checker_accepts_an_added_optional_field():
    old = schema_tool.current_schemas()["tpp.computed.v1"]
    added = copy.deepcopy(old)
    added["properties"]["bank_account"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert schema_tool.incompatibilities(old, added) == []


def test_every_topic_key_is_a_field_or_property_of_its_model():
    for spec in TOPICS.values():
        assert spec.key in spec.model.model_fields or isinstance(getattr(spec.model, spec.key, None), property), spec.name


def test_catalog_versions_have_their_own_keys():
    from datetime import date

    from kinerja_contracts.catalog.v1 import ActivityTypeV1

    t = ActivityTypeV1(code="LAPORAN", name="x", unit="minutes", standard_minutes=60, effective_from=date(2027, 1, 1))
    assert t.version_key == "LAPORAN@2027-01-01"


def test_models_stay_compatible_with_every_committed_version():
    """Not only the current snapshot: every version of each schema file in git history, so an
    incompatible change cannot hide by re-exporting the snapshot in the same commit."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    import pytest

    schemas = Path(schema_tool.__file__).parent / "schemas"
    if not shutil.which("git") or subprocess.run(["git", "-C", str(schemas), "rev-parse"],
                                                  capture_output=True).returncode != 0:
        pytest.skip("no git history here")
    current = schema_tool.current_schemas()
    problems = []
    for name in TOPICS:
        rel = subprocess.run(["git", "-C", str(schemas), "ls-files", "--full-name", f"{name}.json"],
                             capture_output=True, text=True).stdout.strip()
        if not rel:
            continue
        shas = subprocess.run(["git", "-C", str(schemas), "log", "--format=%H", "--", f"{name}.json"],
                              capture_output=True, text=True, check=True).stdout.split()
        for sha in shas:
            old = json.loads(subprocess.run(["git", "-C", str(schemas), "show", f"{sha}:{rel}"],
                                            capture_output=True, text=True, check=True).stdout)
            problems += [f"{name} vs {sha[:8]}: {p}" for p in schema_tool.incompatibilities(old, current[name])]
    assert problems == []
