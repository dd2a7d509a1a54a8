"""The compiled acceptance check never accepts what jsonschema refuses (its one-sided contract),
and it does accept the valid events, so the ingest hot path really skips jsonschema."""

import copy
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from apps.game_events.catalog import FORMATS, catalog, schema_violation
from apps.game_events.schema_check import compile_check

ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 1.0, 2.5, -0.5, 10**12, "", "x", "custom", "steam", "win",
    "loss", "x" * 129, "\uff58" * 70, "2026-11-25T04:00:00Z", "2026-13-45T99:00:00Z", "yesterday",
    [], [1], [{}], {}, {"provider": "custom"}, {"provider": "custom", "external_id": "a"},
]  # fmt: skip


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _paths(item, (*prefix, index))
    return paths


def _mutant(example: dict, rng: random.Random) -> Any:
    """The example with one to three random edits: a value replaced, a key removed or added,
    a list emptied or grown."""
    data = copy.deepcopy(example)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(data))
        if not path:
            return rng.choice(ODD_VALUES) if rng.random() < 0.05 else data
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        key, action = path[-1], rng.random()
        if action < 0.6:
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif action < 0.75 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.9 and isinstance(parent, dict):
            parent[rng.choice(["extra", "rank", "score", "team", "name"])] = rng.choice(ODD_VALUES)
        elif isinstance(parent[key], list):
            parent[key] = parent[key] * rng.randint(0, 40)
    return data


@pytest.mark.parametrize("key", sorted(catalog()), ids=lambda key: f"{key[0]}.v{key[1]}")
def test_the_compiled_check_accepts_only_what_jsonschema_accepts(key):
    entry = catalog()[key]
    assert entry.accepts is not None, "every catalog schema should compile"
    rng = random.Random(f"{key}")
    verdicts = {"both": 0, "deferred": 0}
    for example in entry.examples:
        assert entry.accepts(example)
        for _ in range(1500):
            data = _mutant(example, rng)
            if entry.accepts(data):
                assert entry.validator.is_valid(data), f"accepted what jsonschema refuses: {data}"
                verdicts["both"] += 1
            else:
                verdicts["deferred"] += 1
                # Refused data gets jsonschema's precise reason, as before.
                if not entry.validator.is_valid(data):
                    assert schema_violation(entry, data)
    assert verdicts["both"] > 50 and verdicts["deferred"] > 50, verdicts


CHECKER = FORMATS  # the catalog's, with its date-time and uri checks


@pytest.mark.parametrize(
    ("schema", "accepted", "deferred"),
    [
        ({"type": "integer", "minimum": 0}, [0, 7], [-1, True, 1.0, "1", None]),
        ({"enum": ["a", 1]}, ["a", 1], ["b", True, 1.0]),
        ({"const": False}, [False], [0, None]),
        ({"type": "string", "maxLength": 2}, ["ab", "日本"], ["abc", 12]),
        ({"type": "string", "format": "date-time"}, ["2026-11-25T04:00:00Z"], ["2026-11-25"]),
        (
            {"type": "object", "required": ["a"], "additionalProperties": False,
             "properties": {"a": {"$ref": "#/$defs/n"}}, "$defs": {"n": {"type": "number"}}},
            [{"a": 1}, {"a": 2.5}], [{}, {"a": "1"}, {"a": 1, "b": 2}, []],
        ),
        ({"type": "array", "items": {"type": "string"}, "maxItems": 2},
         [[], ["a"]], [[1], ["a"] * 3]),
    ],
)  # fmt: skip
def test_the_compiled_check_on_each_keyword(schema, accepted, deferred):
    check = compile_check(schema, CHECKER)
    assert check is not None
    validator = Draft202012Validator(schema, format_checker=CHECKER)
    for value in accepted:
        assert check(value) and validator.is_valid(value), value
    for value in deferred:
        assert not check(value), value


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"type": "object", "patternProperties": {"^x": {}}, "additionalProperties": False},
        {"enum": [{"a": 1}]},
        {"$ref": "https://example.com/other.json"},
    ],
)
def test_a_schema_with_unsupported_keywords_is_left_to_jsonschema(schema):
    assert compile_check(schema, CHECKER) is None
