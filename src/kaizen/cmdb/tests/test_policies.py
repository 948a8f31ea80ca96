"""Attribute schemas and attribute validation: the pure rules of the CMDB."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaizen.cmdb.defaults import CI_TYPES
from kaizen.cmdb.policies import clean_attributes, validate_schema

from .factories import SERVER_SCHEMA


def test_every_built_in_schema_is_valid():
    for item in CI_TYPES:
        assert validate_schema(item["attribute_schema"]) == [], item["code"]


@pytest.mark.parametrize(
    "schema",
    [
        "not a list",
        [{"name": "Bad Name", "label": "x", "type": "string"}],
        [{"name": "a", "label": "x", "type": "string"}, {"name": "a", "label": "y", "type": "string"}],
        [{"name": "a", "label": "x", "type": "colour"}],
        [{"name": "a", "label": "x", "type": "enum"}],
        [{"name": "a", "label": "x", "type": "enum", "choices": ["p", "p"]}],
        [{"name": "a", "label": "x", "type": "string", "choices": ["p"]}],
        [{"name": "a", "label": "", "type": "string"}],
        [{"name": "a", "label": "x", "type": "string", "required": "yes"}],
        [{"name": "a", "label": "x", "type": "string", "evil": 1}],
        [{"name": "a", "label": "x\x00", "type": "string"}],
        [{"name": f"a{i}", "label": "x", "type": "string"} for i in range(101)],
        [42],
    ],
)
def test_bad_schemas_are_refused_with_a_reason(schema):
    problems = validate_schema(schema)
    assert problems and all(isinstance(p, str) and p for p in problems)


def test_attributes_are_normalised():
    cleaned, errors = clean_attributes(
        SERVER_SCHEMA,
        {
            "hostname": "APP01.Example.JP",
            "ip_address": " 10.0.0.1 ",
            "memory_gb": "64",
            "environment": "test",
        },
    )
    assert errors == {}
    assert cleaned == {
        "hostname": "app01.example.jp",
        "ip_address": "10.0.0.1",
        "memory_gb": 64,
        "environment": "test",
    }


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ({}, "hostname"),
        ({"hostname": "ok.example", "ip_address": "999.1.1.1"}, "ip_address"),
        ({"hostname": "ok.example", "memory_gb": "lots"}, "memory_gb"),
        ({"hostname": "ok.example", "memory_gb": True}, "memory_gb"),
        ({"hostname": "ok.example", "memory_gb": 10**30}, "memory_gb"),
        ({"hostname": "ok.example", "environment": "prod"}, "environment"),
        ({"hostname": "not a host name!"}, "hostname"),
        ({"hostname": "ok.example", "colour": "red"}, "colour"),
        ({"hostname": ["list"]}, "hostname"),
    ],
)
def test_wrong_missing_and_unknown_attributes_are_errors(values, bad):
    _, errors = clean_attributes(SERVER_SCHEMA, values)
    assert bad in errors


def test_attributes_must_be_an_object():
    assert "__all__" in clean_attributes(SERVER_SCHEMA, ["hostname"])[1]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("cidr", "10.1.2.3/24", "10.1.2.0/24"),
        ("port", "8000-8080", "8000-8080"),
        ("port", 443, "443"),
        ("port", "ANY", "any"),
        ("date", "2026/04/01", "2026-04-01"),
        ("boolean", "はい", True),
        ("decimal", "1.50", "1.5"),
        ("url", "https://docs.example.jp/a", "https://docs.example.jp/a"),
    ],
)
def test_typed_values(kind, value, expected):
    schema = [{"name": "v", "label": "v", "type": kind}]
    cleaned, errors = clean_attributes(schema, {"v": value})
    assert errors == {} and cleaned["v"] == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("port", "0"),
        ("port", "70000"),
        ("port", "9-1"),
        ("cidr", "10.0.0.0/99"),
        ("date", "2026-02-30"),
        ("url", "javascript:alert(1)"),
        ("email", "not-an-email"),
        ("decimal", "NaN"),
        ("boolean", "maybe"),
    ],
)
def test_typed_values_refused(kind, value):
    _, errors = clean_attributes([{"name": "v", "label": "v", "type": kind}], {"v": value})
    assert "v" in errors


@given(st.text(max_size=600))
def test_any_text_is_either_accepted_verbatim_or_refused_with_a_message(value):
    cleaned, errors = clean_attributes([{"name": "v", "label": "v", "type": "string"}], {"v": value})
    if errors:
        assert isinstance(errors["v"], str) and errors["v"]
    elif value.strip():
        assert cleaned["v"] == value
