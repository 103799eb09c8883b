"""Versioned syllabus data (《机动车驾驶培训教学与考试大纲》): class × part × mode → minutes.

Each version is a JSON file in this package named ``{version}.json``. Every number in it is
an object ``{"value": ..., "source": "V|S|I|U", "confidence": ..., "note": ...}`` so the data
says how sure it is. :func:`load` turns a version (optionally with a province's overrides
merged over it by :func:`merge`) into frozen dataclasses; :func:`version_for` picks the
version in force on a student's enrolment date. Reading these package files is the only IO.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jiapei.audit.facts import Mode

MODE_NAMES: dict[str, int] = {
    "practical": Mode.PRACTICAL,
    "classroom": Mode.CLASSROOM,
    "simulator": Mode.SIMULATOR,
    "remote": Mode.REMOTE,
}
PARTS = (1, 2, 3, 4)


@dataclass(frozen=True)
class PartPlan:
    """What one part requires: a total, per-mode minimums and caps (minutes), and mileage.

    A mode absent from ``cap`` is not capped; a cap of 0 means that mode does not count
    toward the part at all (e.g. practical minutes in part 1).
    """

    part: int
    total_minutes: int
    minimum: Mapping[int, int]
    cap: Mapping[int, int]
    mileage_km: float


@dataclass(frozen=True)
class ClassPlan:
    vehicle_class: str
    total_minutes: int
    parts: tuple[PartPlan, ...]

    def part(self, number: int) -> PartPlan:
        for plan in self.parts:
            if plan.part == number:
                return plan
        raise KeyError(number)


@dataclass(frozen=True)
class Syllabus:
    version: str
    effective_from: date
    minutes_per_hour: int
    daily_cap_practical_minutes: int
    daily_cap_theory_minutes: int
    mileage_total_km: float
    classes: Mapping[str, ClassPlan]

    def plan(self, vehicle_class: str) -> ClassPlan | None:
        """The class's plan, or ``None`` when this version has no data for the class."""
        return self.classes.get(vehicle_class)


@cache
def _raw(version: str) -> dict[str, Any]:
    # Only the package's own data files are read, and each at most once per process.
    path = resources.files(__name__).joinpath(f"{version}.json")
    if not path.is_file():
        raise ValueError(f"unknown syllabus version {version!r}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def available() -> dict[str, date]:
    """Every packaged version and its national effective date, sorted by version name."""
    names = sorted(
        entry.name[: -len(".json")]
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".json")
    )
    return {name: _value_date(_raw(name)["effective_from"], "effective_from") for name in names}


def raw(version: str) -> dict[str, Any]:
    """A deep copy of a version's JSON data, safe for the caller to change."""
    return copy.deepcopy(_raw(version))


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with a province's ``override`` merged over it; neither is changed.

    Dictionaries merge recursively. A bare number or string given where the base has a
    ``{"value": ...}`` object replaces the value and marks it ``"source": "P"`` (province), so
    the data never claims a national source for a provincial figure. ``None`` removes a key
    (e.g. lifts a cap). Anything else replaces the base value.
    """
    result: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = result.get(key)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = merge(current, value)
        elif isinstance(current, Mapping) and "value" in current and not isinstance(value, Mapping):
            result[key] = {
                "value": value,
                "source": "P",
                "confidence": "province",
                "note": "province override",
            }
        else:
            result[key] = copy.deepcopy(value)
    return result


def _value(node: Any, where: str) -> Any:
    if isinstance(node, Mapping):
        if "value" not in node:
            raise ValueError(f"syllabus {where}: expected an object with a 'value', got {node!r}")
        return node["value"]
    return node


def _value_date(node: Any, where: str) -> date:
    text = _value(node, where)
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"syllabus {where}: expected a date, got {text!r}") from None


def _minutes(node: Any, where: str) -> int:
    number = _value(node, where)
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ValueError(f"syllabus {where}: expected whole minutes ≥ 0, got {number!r}")
    return number


def _km(node: Any, where: str) -> float:
    number = _value(node, where)
    if not isinstance(number, int | float) or isinstance(number, bool) or number < 0:
        raise ValueError(f"syllabus {where}: expected km ≥ 0, got {number!r}")
    return float(number)


def _by_mode(node: Mapping[str, Any], where: str) -> dict[int, int]:
    result = {}
    for name, item in sorted(node.items()):
        if name not in MODE_NAMES:
            raise ValueError(f"syllabus {where}: unknown mode {name!r}")
        result[MODE_NAMES[name]] = _minutes(item, f"{where}.{name}")
    return dict(sorted(result.items()))


def _part(number: int, node: Mapping[str, Any], where: str) -> PartPlan:
    return PartPlan(
        part=number,
        total_minutes=_minutes(node["total_minutes"], f"{where}.total_minutes"),
        minimum=_by_mode(node.get("minimum_minutes", {}), f"{where}.minimum_minutes"),
        cap=_by_mode(node.get("cap_minutes", {}), f"{where}.cap_minutes"),
        mileage_km=_km(node.get("mileage_km", 0), f"{where}.mileage_km"),
    )


def build(data: Mapping[str, Any]) -> Syllabus:
    """Turn (possibly merged) syllabus data into a :class:`Syllabus`; ``ValueError`` if bad."""
    try:
        classes = {}
        for name, node in sorted(data["classes"].items()):
            parts = tuple(
                _part(p, node["parts"][str(p)], f"classes.{name}.parts.{p}") for p in PARTS
            )
            classes[name] = ClassPlan(
                vehicle_class=name,
                total_minutes=_minutes(node["total_minutes"], f"classes.{name}.total_minutes"),
                parts=parts,
            )
        caps = data["daily_cap_minutes"]
        return Syllabus(
            version=str(data["version"]),
            effective_from=_value_date(data["effective_from"], "effective_from"),
            minutes_per_hour=_minutes(data["minutes_per_hour"], "minutes_per_hour"),
            daily_cap_practical_minutes=_minutes(caps["practical"], "daily_cap_minutes.practical"),
            daily_cap_theory_minutes=_minutes(caps["theory"], "daily_cap_minutes.theory"),
            mileage_total_km=_km(data["mileage_total_km"], "mileage_total_km"),
            classes=classes,
        )
    except KeyError as missing:
        raise ValueError(f"syllabus: missing key {missing}") from None


def load(version: str, overrides: Mapping[str, Any] | None = None) -> Syllabus:
    """Load a packaged version, with a province's ``overrides`` merged over it if given."""
    data = _raw(version)
    return build(merge(data, overrides) if overrides else data)


def version_for(enrolled_on: date, province_overrides: Mapping[str, Any] | None = None) -> str:
    """The syllabus version in force on ``enrolled_on`` (the student's ``applydate``).

    ``province_overrides`` maps a version to the date it took effect in the province (a
    ``date`` or ISO string), or to ``None`` when the province never adopted it. The version
    with the latest effective date on or before ``enrolled_on`` wins. Raises ``ValueError``
    when no version was yet in force: those students predate the data and need a decision.
    """
    in_force: list[tuple[date, str]] = []
    for version, national in available().items():
        effective: Any = national
        if province_overrides and version in province_overrides:
            effective = province_overrides[version]
            if effective is None:
                continue
            if not isinstance(effective, date):
                effective = _value_date(effective, f"province override for {version}")
        if effective <= enrolled_on:
            in_force.append((effective, version))
    if not in_force:
        raise ValueError(f"no syllabus version in force on enrolment date {enrolled_on}")
    return max(in_force)[1]
