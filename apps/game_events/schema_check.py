"""A fast acceptance check compiled from a catalog schema, for the ingest hot path.

``jsonschema`` walks the schema for every event and builds an error object per failure; at
thousands of events a second that is the largest cost of validating a batch. ``compile_check``
turns a schema into nested closures that answer one question, "certainly valid?", for the
keywords our catalog uses. The contract is one-sided: ``True`` means ``jsonschema`` accepts
the instance too; ``False`` only means "ask ``jsonschema``", which then gives the verdict and
the precise message. So where the two could disagree (floats that are whole numbers, enums of
mixed types) the check is stricter and defers.

A schema using a keyword not listed here compiles to ``None``: that type is validated by
``jsonschema`` alone. tests/game_events/test_schema_check.py holds the check to its contract
against ``jsonschema`` on mutated payloads of every catalog type.
"""

import re
from collections.abc import Callable, Sized
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]

# Keywords that never change validity.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default",
     "deprecated", "readOnly", "writeOnly"}
)  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    # Exact types: bool is not an integer here, and 1.0 defers to jsonschema.
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
_SCALARS = (str, int, float, bool, type(None))


class Unsupported(Exception):
    """The schema uses a keyword (or a form of one) the fast check does not implement."""


def compile_check(root: dict[str, Any], format_checker: FormatChecker) -> Check | None:
    """The acceptance check for ``root``, or None if it uses anything unsupported."""
    try:
        return _Compiler(root, format_checker).compile(root)
    except Unsupported:
        return None


class _Compiler:
    def __init__(self, root: dict[str, Any], format_checker: FormatChecker) -> None:
        self.root = root
        self.format_checker = format_checker
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema)[:80])
        unknown = set(schema) - _ANNOTATIONS - set(_KEYWORDS)
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks = [
            _KEYWORDS[keyword](self, schema[keyword], schema)
            for keyword in _KEYWORDS
            if keyword in schema
        ]
        checks = [check for check in checks if check is not None]
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)

    def ref(self, target: str) -> Check:
        if not target.startswith("#/$defs/") or "/" in target.removeprefix("#/$defs/"):
            raise Unsupported(target)
        if target not in self.refs:
            definition = self.root.get("$defs", {}).get(target.removeprefix("#/$defs/"))
            if definition is None:
                raise Unsupported(target)
            compiled: list[Check] = []
            # Registered before compiling, so a recursive definition refers to itself.
            self.refs[target] = lambda value: compiled[0](value)
            compiled.append(self.compile(definition))
        return self.refs[target]


def _type(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    names = [spec] if isinstance(spec, str) else spec
    if not isinstance(names, list) or not all(name in _TYPES for name in names):
        raise Unsupported(f"type {spec!r}")
    allowed = tuple(kind for name in names for kind in _TYPES[name])
    return lambda value: type(value) in allowed


def _literal_types(values: list[Any]) -> None:
    if not all(type(value) in _SCALARS for value in values):
        raise Unsupported("enum or const of objects or arrays")


def _enum(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    if not isinstance(spec, list):
        raise Unsupported("enum")
    _literal_types(spec)
    members = frozenset((type(member), member) for member in spec)
    return lambda value: type(value) in _SCALARS and (type(value), value) in members


def _const(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    _literal_types([spec])
    return lambda value: type(value) is type(spec) and value == spec


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[_Compiler, Any, dict], Check]:
    def keyword(compiler: _Compiler, spec: Any, schema: dict) -> Check:
        if type(spec) not in (int, float):
            raise Unsupported("bound")
        return lambda value: type(value) not in (int, float) or compare(value, spec)

    return keyword


def _length(compare: Callable[[int, int], bool], kind: type[Sized]) -> Callable[..., Check]:
    def keyword(compiler: _Compiler, spec: Any, schema: dict) -> Check:
        if type(spec) is not int:
            raise Unsupported("length")
        return lambda value: type(value) is not kind or compare(len(value), spec)

    return keyword


def _pattern(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    search = re.compile(spec).search
    return lambda value: type(value) is not str or search(value) is not None


def _format(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    conforms = compiler.format_checker.conforms
    return lambda value: conforms(value, spec)


def _required(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    names = tuple(spec)
    return lambda value: type(value) is not dict or all(name in value for name in names)


def _properties(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    checks = {name: compiler.compile(subschema) for name, subschema in spec.items()}

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return True
        for name, item in value.items():
            property_check = checks.get(name)
            if property_check is not None and not property_check(item):
                return False
        return True

    return check


def _additional(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    declared = frozenset(schema.get("properties", {}))
    if spec is False:
        return lambda value: type(value) is not dict or declared.issuperset(value)
    extra = compiler.compile(spec)
    return lambda value: (
        type(value) is not dict
        or all(extra(item) for name, item in value.items() if name not in declared)
    )


def _items(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    check = compiler.compile(spec)
    return lambda value: type(value) is not list or all(check(item) for item in value)


def _ref(compiler: _Compiler, spec: Any, schema: dict) -> Check:
    return compiler.ref(spec)


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict], Check]] = {
    # Cheap checks first: ``all`` stops at the first failure.
    "type": _type,
    "enum": _enum,
    "const": _const,
    "minimum": _bound(lambda value, bound: value >= bound),
    "maximum": _bound(lambda value, bound: value <= bound),
    "exclusiveMinimum": _bound(lambda value, bound: value > bound),
    "exclusiveMaximum": _bound(lambda value, bound: value < bound),
    "minLength": _length(lambda size, bound: size >= bound, str),
    "maxLength": _length(lambda size, bound: size <= bound, str),
    "minItems": _length(lambda size, bound: size >= bound, list),
    "maxItems": _length(lambda size, bound: size <= bound, list),
    "minProperties": _length(lambda size, bound: size >= bound, dict),
    "maxProperties": _length(lambda size, bound: size <= bound, dict),
    "required": _required,
    "pattern": _pattern,
    "format": _format,
    "additionalProperties": _additional,
    "properties": _properties,
    "items": _items,
    "$ref": _ref,
}
