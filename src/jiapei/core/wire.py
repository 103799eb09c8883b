"""The wire-validation kit shared by every app that reads a request body.

:class:`Fields` reads wire fields one by one and collects every error, so a caller sees all of
them at once; the parsers below it (numbers, choices, ID numbers, licence classes, plates,
unified numbers, mobiles, dates, polygons) each take ``(field, value)`` and raise
:class:`FieldError` naming the field and the raw value.

No queries and no clock here: callers pass ``today`` so the rules are testable and
deterministic. Rules that need the database (a filed school, an uploaded file) stay with the app
that owns it. Column limits are read from the model fields' metadata (:mod:`jiapei.core.columns`),
never restated here, so the validation and the column cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from shapely.geometry import Polygon
from shapely.validation import explain_validity

from jiapei.core.errors import FieldError, FieldErrors

T = TypeVar("T")

# GB 11643-1999: weights for the first 17 digits and the check-character table.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")

# Licence classes (准驾车型) of 公安部令第162号, C6 included.
LICENCE_CLASSES = (
    "A1",
    "A2",
    "A3",
    "B1",
    "B2",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "C6",
    "D",
    "E",
    "F",
    "M",
    "N",
    "P",
)
_CLASS_TOKEN_RE = re.compile(r"[A-Z][0-9]?")

_PROVINCE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Ordinary plates: 1 province char, 1 letter, 5 alnum (letters exclude I and O), an optional
# special suffix (学 for training cars); new-energy plates have 6 characters after the letter.
_PLATE_RE = re.compile(
    rf"^[{_PROVINCE_ABBR}][A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{4}[学挂警]|[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF])$"
)
_UNIFIED_RE = re.compile(r"^[0-9A-Z]{16}$")
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# Exact date shapes: strptime alone would accept "2019031" as 2019-03-01.
_DATE_FORMATS = (
    (re.compile(r"^[0-9]{8}$"), "%Y%m%d"),
    (re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), "%Y-%m-%d"),
)


class Fields:
    """Reads wire fields one by one, collecting every error so a caller sees all at once."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[FieldError] = []

    def get(
        self,
        name: str,
        parse: Callable[[str, str], T] | None = None,
        *,
        required: bool = True,
        default: Any = None,
        structured: bool = False,
    ) -> Any:
        """The field ``name`` parsed by ``parse``; ``default`` (with the error recorded) when it
        is missing or refused. Lists and objects are refused unless ``structured``."""
        raw = self.data.get(name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if required:
                self.errors.append(FieldError(name, raw, "必填字段不能为空 (required)"))
            return default
        if isinstance(raw, list | dict) and not structured:
            kind = "列表 (a list)" if isinstance(raw, list) else "对象 (an object)"
            self.errors.append(FieldError(name, raw, f"应为文本，收到{kind} (text expected)"))
            return default
        text = raw if isinstance(raw, list | dict) else str(raw).strip()
        problem = text_problem(text) if isinstance(text, str) else None
        if problem is not None:
            self.errors.append(FieldError(name, raw, problem))
            return default
        if parse is None:
            return text
        try:
            return parse(name, text)  # type: ignore[arg-type]
        except FieldError as exc:
            self.errors.append(exc)
            return default

    def add(self, error: FieldError) -> None:
        self.errors.append(error)

    def check(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise FieldErrors(self.errors)


# No wire number needs more: a BigIntegerField holds 19 digits, and refusing longer strings
# before int() keeps Python's 4,300-digit conversion limit (a ValueError deep in a lookup) away.
MAX_DIGITS = 19
# The largest value any integer column holds (BigIntegerField); lookups by id stay below it.
MAX_INT = 2**63 - 1


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as text (a NUL byte or a lone surrogate), or None."""
    if "\x00" in text:
        return "不能包含 NUL 字符 (must not contain NUL)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "不是有效的 Unicode 文本 (not valid Unicode: lone surrogate)"
    return None


def row_id(value: str) -> int | None:
    """``value`` as a row id for a lookup, or None when it cannot name a row (not digits, or
    beyond what an id column holds, which the databases would answer with an overflow)."""
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_DIGITS:
        return None
    number = int(value)
    return number if number <= MAX_INT else None


def integer(field: str, value: str) -> int:
    text = str(value).strip()
    sign = text[1:] if text[:1] in "+-" else text
    if not (sign.isascii() and sign.isdigit()):
        raise FieldError(field, value, "应为整数 (must be an integer)")
    if len(sign) > MAX_DIGITS or int(text) > MAX_INT:
        raise FieldError(field, value, "超出取值范围 (out of range)")
    number = int(text)
    if number < 0:
        raise FieldError(field, value, "不能为负数 (must not be negative)")
    return number


def decimal(field: str, value: str) -> str:
    """A finite, non-negative decimal in plain or exponent notation, returned as its text.

    The column's precision is checked where the row is written (:mod:`jiapei.core.columns`),
    against the model field's ``max_digits``/``decimal_places``."""
    text = str(value).strip()
    if len(text) > 64:
        raise FieldError(field, value, "超出取值范围 (out of range)")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FieldError(field, value, "应为数字 (must be a number)") from None
    if not number.is_finite():
        raise FieldError(field, value, "应为有限的数字 (must be a finite number)")
    if number < 0:
        raise FieldError(field, value, "不能为负数 (must not be negative)")
    return text


def one_of(*choices: str) -> Callable[[str, str], str]:
    def parse(field: str, value: str) -> str:
        if value not in choices:
            raise FieldError(
                field, value, f"取值应为 {'/'.join(choices)} (one of {', '.join(choices)})"
            )
        return value

    return parse


def idcard(field: str, value: str, *, today: date | None = None) -> str:
    """Validate an 18-character resident ID number (GB 11643): format, birth date, check digit."""
    normalized = value.strip().upper()
    if not _ID_RE.match(normalized):
        raise FieldError(field, value, "身份证号应为18位，前17位为数字 (must be 18 characters)")
    try:
        birth = datetime.strptime(normalized[6:14], "%Y%m%d").date()
    except ValueError:
        raise FieldError(field, value, "出生日期无效 (invalid birth date)") from None
    if birth.year < 1900 or (today is not None and birth > today):
        raise FieldError(field, value, "出生日期无效 (invalid birth date)")
    total = sum(int(d) * w for d, w in zip(normalized[:17], _ID_WEIGHTS, strict=True))
    expected = _ID_CHECK[total % 11]
    if normalized[17] != expected:
        raise FieldError(
            field, value, f"校验位错误，应为 {expected} (check digit should be {expected})"
        )
    return normalized


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for 17 digits (used by factories and the simulator)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def birth_date(idcard_number: str) -> date:
    return datetime.strptime(idcard_number[6:14], "%Y%m%d").date()


def licence_classes(field: str, value: str, *, allow_empty: bool = False) -> list[str]:
    """Parse a class list such as ``"C1,C2"``, ``"C1C2"`` or ``"C1、C2"`` into known classes."""
    text = value.strip().upper()
    if not text:
        if allow_empty:
            return []
        raise FieldError(field, value, "车型不能为空 (licence class required)")
    tokens = [t for t in re.split(r"[,，、;；/\s]+", text) if t]
    classes: list[str] = []
    for token in tokens:
        parts = _CLASS_TOKEN_RE.findall(token)
        if "".join(parts) != token:
            raise FieldError(field, value, f"无法识别的车型 {token!r} (unknown licence class)")
        for part in parts:
            if part not in LICENCE_CLASSES:
                raise FieldError(field, value, f"无法识别的车型 {part!r} (unknown licence class)")
            if part not in classes:
                classes.append(part)
    return classes


def licence_class(field: str, value: str) -> str:
    classes = licence_classes(field, value)
    if len(classes) != 1:
        raise FieldError(field, value, "只能填写一个车型 (exactly one licence class)")
    return classes[0]


def plate(field: str, value: str) -> str:
    normalized = value.strip().upper().replace(" ", "").replace("·", "")
    if not _PLATE_RE.match(normalized):
        raise FieldError(field, value, "车牌号格式不正确 (not a valid plate number)")
    return normalized


def unified_number(field: str, value: str) -> str:
    normalized = value.strip().upper()
    if not _UNIFIED_RE.match(normalized):
        raise FieldError(field, value, "全国统一编号应为16位数字或大写字母 (16 characters)")
    return normalized


def mobile(field: str, value: str) -> str:
    normalized = value.strip()
    if not _MOBILE_RE.match(normalized):
        raise FieldError(field, value, "手机号码应为11位 (11-digit mobile number)")
    return normalized


def wire_date(field: str, value: str) -> date:
    """Parse ``yyyyMMdd`` (the standard's form) or ``yyyy-MM-dd``."""
    text = value.strip()
    for shape, fmt in _DATE_FORMATS:
        if not shape.match(text):
            continue
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            break
    raise FieldError(field, value, "日期格式应为 yyyyMMdd (date must be yyyyMMdd)")


def not_after(field: str, value: date, limit: date, limit_name: str, raw: str) -> None:
    if value > limit:
        raise FieldError(
            field, raw, f"不能晚于{limit_name} {limit.isoformat()} (after {limit_name})"
        )


def within(field: str, raw: str, classes: list[str], allowed: list[str], allowed_name: str) -> None:
    outside = [c for c in classes if c not in allowed]
    if outside:
        raise FieldError(
            field,
            raw,
            f"车型 {','.join(outside)} 不在{allowed_name} {','.join(allowed) or '(空)'} 内 "
            f"(class not within {allowed_name})",
        )


def polygon(
    field: str, value: str | list, *, bbox: tuple[float, float, float, float] | None = None
) -> list[list[float]]:
    """Parse and check a fence polygon.

    Accepts ``"lng,lat;lng,lat;…"`` (the terminals' form) or a JSON list of ``[lng, lat]``.
    The ring may repeat its first vertex at the end or not; it is returned closed. It must have at
    least three distinct vertices, must not cross itself, and must lie inside ``bbox``
    (min_lng, min_lat, max_lng, max_lat) when one is given.
    """
    points: list[tuple[float, float]] = []
    try:
        if isinstance(value, str):
            pairs = [p for p in re.split(r"[;；]", value.strip()) if p.strip()]
            for pair in pairs:
                lng_text, lat_text = pair.split(",")
                points.append((float(lng_text), float(lat_text)))
        else:
            for pair in value:
                lng, lat = pair
                points.append((float(lng), float(lat)))
    except (ValueError, TypeError):
        raise FieldError(field, value, "坐标格式应为 经度,纬度;经度,纬度;… (lng,lat;…)") from None
    if len(points) >= 2 and points[0] == points[-1]:
        points = points[:-1]
    if len(set(points)) < 3 or len(set(points)) != len(points):
        raise FieldError(field, value, "多边形至少需要3个不重复的顶点 (≥3 distinct vertices)")
    for lng, lat in points:
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise FieldError(field, value, f"坐标 {lng},{lat} 超出经纬度范围 (not a coordinate)")
        if bbox and not (bbox[0] <= lng <= bbox[2] and bbox[1] <= lat <= bbox[3]):
            raise FieldError(
                field, value, f"坐标 {lng},{lat} 不在本省范围内 (outside the province)"
            )
    shape = Polygon(points)
    if not shape.is_valid:
        raise FieldError(
            field, value, f"多边形自相交或无效 (self-intersecting: {explain_validity(shape)})"
        )
    if shape.area == 0:
        raise FieldError(field, value, "多边形面积为零 (zero area)")
    ring = [[lng, lat] for lng, lat in points]
    return [*ring, ring[0]]
