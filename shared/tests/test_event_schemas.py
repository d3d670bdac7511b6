"""Event validation: the fast checker (jsonschema-rs) and the reference (jsonschema) never disagree."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from natres_platform.events import ENVELOPE_SCHEMA, CloudEvent, EventSchemaError, SchemaRegistry, _Checker

CONTRACTS = sorted((p.name.removesuffix(".json"), json.loads(p.read_text(encoding="utf-8")))
                   for d in (resources.files("natres_platform") / "contracts").iterdir() if d.is_dir()
                   for p in d.iterdir() if p.name.endswith(".json"))

ENVELOPE = {"specversion": "1.0", "id": "5b0c3a8e-8f0e-4d2b-9a59-1c3f2b7e0a11", "source": "/natres/registry",
            "type": "registry.unit.registered.v1", "time": "2026-11-29T08:00:00Z", "subject": "u-1", "actor": "x",
            "region": "140105", "datacontenttype": "application/json", "data": {}}


def _agree(checker: _Checker, instance) -> bool:
    fast = checker.fast.is_valid(instance)
    full = checker.full.is_valid(instance)
    assert fast == full, instance
    return fast


def _plausible(schema):
    """An instance built from the schema's own words (enum, const, type, format): valid more often than not."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return {k: _plausible(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        items = schema.get("items")
        return [_plausible(items)] if isinstance(items, dict) else []
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1.5)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return {"date-time": "2026-11-29T08:00:00Z", "uuid": "5b0c3a8e-8f0e-4d2b-9a59-1c3f2b7e0a11",
            "date": "2026-11-29", "uri": "https://example.test/x", "email": "a@example.test"}.get(
        schema.get("format"), "x" * max(1, schema.get("minLength", 1)))


def _mutations(value):
    """Broken variants of a valid instance: each property dropped, retyped, emptied or extended."""
    yield None
    yield []
    yield "text"
    if isinstance(value, dict):
        yield {**value, "unexpected_property": 1}
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for bad in (None, 12345, 1.5, True, "", "not-a-date", "X" * 300, [], {}, "14010", "２０２６"):
                yield {**value, key: bad}
            if isinstance(inner, (dict, list)):
                for nested in _mutations(inner):
                    yield {**value, key: nested}


def test_the_envelope_checks_agree():
    checker = _Checker(ENVELOPE_SCHEMA)
    assert _agree(checker, ENVELOPE)
    assert sum(1 for m in _mutations(ENVELOPE) if not _agree(checker, m)) > 20


@pytest.mark.parametrize("event_type, schema", CONTRACTS, ids=[t for t, _ in CONTRACTS])
def test_every_contract_checks_agree(event_type, schema):
    checker = _Checker(schema)
    base = _plausible(schema)
    _agree(checker, base)
    assert sum(1 for broken in _mutations(copy.deepcopy(base)) if not _agree(checker, broken)) > 3


def test_an_invalid_event_is_refused_with_the_first_error_worded():
    registry = SchemaRegistry({"test.thing.v1": {"type": "object", "required": ["n"],
                                        "properties": {"n": {"type": "integer", "minimum": 1}}}})
    event = CloudEvent(id="5b0c3a8e-8f0e-4d2b-9a59-1c3f2b7e0a11", source="/s", type="test.thing.v1",
                       time="2026-11-29T08:00:00Z", subject="s", actor="a", data={"n": 0})
    with pytest.raises(EventSchemaError, match="test.thing.v1 data n: 0 is less than the minimum of 1"):
        registry.validate(event)
    assert registry.validate(CloudEvent(**{**event.to_dict(), "data": {"n": 2}})).data == {"n": 2}
