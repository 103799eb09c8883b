"""Settings read from the environment: the one typed reader and the register of declarations.

``jiapei.settings`` declares every environment variable through :func:`env`; ``declared`` keeps
those declarations in order so that a test can check the README's Configuration table against
them. This module imports nothing of jiapei's, so settings can use it before Django is set up.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

Value = TypeVar("Value")

_true = {"1", "true", "yes", "on"}
_false = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Declared:
    """One environment variable: its name, default, meaning, and the default as documented."""

    name: str
    default: Any
    meaning: str
    shown: str


# Every variable in the order of declaration.
declared: dict[str, Declared] = {}


def show(default: Any) -> str:
    """The README's spelling of a default: ``on``/``off``, ``empty``, or the value in backticks."""
    if isinstance(default, bool):
        return "on" if default else "off"
    if default == "":
        return "empty"
    if isinstance(default, tuple):
        return f"`{','.join(default)}`"
    if isinstance(default, dict):
        return f"`{json.dumps(default)}`"
    return f"`{default}`"


def _parse(raw: str, default: Any) -> Any:
    """``raw`` as a value of the default's type; ValueError says what was expected."""
    if isinstance(default, bool):
        word = raw.strip().lower()
        if word not in _true | _false:
            raise ValueError(f"expected one of {', '.join(sorted(_true | _false))}")
        return word in _true
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, Path):
        return Path(raw).expanduser()
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if isinstance(default, dict):
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        return value
    return raw


def read(name: str, default: Value) -> Value:
    """The environment variable ``name`` parsed as the type of ``default``, or a copy of it.

    A bool is read from 1/0, true/false, yes/no, on/off; an int or a float as Python writes them;
    a path; a tuple of strings from a comma-separated list; a dict from a JSON object; anything
    else is the string as it is. For every type but a string, an empty value means the default.
    A value that does not parse raises ImproperlyConfigured naming the variable and the value.
    """
    raw = os.environ.get(name)
    if raw is None or (raw == "" and not isinstance(default, str)):
        return copy.deepcopy(default)
    try:
        value: Value = _parse(raw, default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {name}={raw!r}: {exc}") from None
    return value


def env(name: str, default: Value, meaning: str, *, shown: str | None = None) -> Value:
    """Declare the environment variable ``name`` and return its value (see :func:`read`).

    ``meaning`` and ``shown`` (the default as the README shows it, for defaults computed here;
    otherwise :func:`show` spells it) are what the README's Configuration table must say.
    """
    if name in declared:
        raise ImproperlyConfigured(f"{name} is declared twice in settings.py")
    declared[name] = Declared(name, default, meaning, shown or show(default))
    return read(name, default)
