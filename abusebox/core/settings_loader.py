"""Turn a TOML table into typed, frozen dataclasses, naming file and key in every error.

Kept apart from config.py so that the settings classes there stay declarative: each
section is a dataclass, and this module checks names, types and Literal choices.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file is wrong; the message names file and key."""


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


# No setting is sensibly larger (bytes included: 2**50 is a pebibyte); a larger number is
# a typo or an attack on the arithmetic (1e20 MB of memory, an overflowing timeout).
MAX_NUMBER = 2**50

_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "a boolean"}


def _convert(tp: Any, value: object, where: str, file: str) -> object:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors: list[ConfigError] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where, file)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            wanted = ", ".join(str(c) for c in choices)
            raise ConfigError(f"{file}: {where}: expected one of {wanted}, got {_describe(value)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{file}: {where}: expected an array, got {_describe(value)}")
        (item_tp, *_rest) = get_args(tp) or (Any,)
        items = [_convert(item_tp, v, f"{where}[{i}]", file) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: {where}: expected a table, got {_describe(value)}")
        _key_tp, val_tp = get_args(tp)
        return {str(k): _convert(val_tp, v, f"{where}.{k}", file) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: {where}: expected a table, got {_describe(value)}")
        return build(tp, value, file=file, prefix=where)
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{file}: {where}: expected a number, got {_describe(value)}")
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise ConfigError(f"{file}: {where}: must be a finite number, not {_describe(value)}")
        return float(value)
    if tp in (int, str, bool):
        if (isinstance(value, bool) and tp is int) or not isinstance(value, tp):
            raise ConfigError(f"{file}: {where}: expected {_TYPE_WORDS[tp]}, got {_describe(value)}")
        if tp is int and abs(value) > MAX_NUMBER:  # type: ignore[arg-type]
            raise ConfigError(f"{file}: {where}: {value} is out of range")
        return value
    raise TypeError(f"unsupported settings type {tp!r} at {where}")


def build(cls: type[T], data: dict[str, object], *, file: str, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a TOML table; unknown keys and wrong types are errors."""
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        where = f"{prefix}.{key}" if prefix else key
        if key not in known:
            raise ConfigError(f"{file}: {where}: unknown key")
        kwargs[key] = _convert(hints[key], value, where, file)
    for name, f in known.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.init and name not in kwargs:
            raise ConfigError(f"{file}: {_join(prefix, name)}: missing (required)")
    obj = cls(**kwargs)
    validate = getattr(obj, "validate", None)
    if callable(validate):
        problem = validate()
        if isinstance(problem, tuple):  # (key, problem): the error names that key
            key, text = problem
            raise ConfigError(f"{file}: {_join(prefix, key)}: {text}")
        if problem:
            raise ConfigError(f"{file}: {prefix or '(top level)'}: {problem}")
    return obj


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
