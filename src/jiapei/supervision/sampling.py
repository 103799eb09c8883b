"""The logic of a sampled manual audit (随机抽查): how many logs, and which, and its inputs.

A draw is reproducible by anyone holding its seed and the list of the month's teaching logs:

1. ``target = ceil(share × total)`` (exact decimal arithmetic, so 20 % of 10 is 2, not 3);
2. every log with a fraud finding is drawn (reason ``finding``) — the risk weighting of
   seed 002: a log the detectors flagged is never left to chance, even when that makes the
   draw larger than the target;
3. the remaining places are filled with the other logs in the order of
   ``sha256(seed + ":" + rnum)`` (reason ``random``), lowest first.

Drawing again ("top-up") keeps what was drawn, adds logs that gained a finding since, and fills
up to the target of the now larger month with the next logs in the same order.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from jiapei.core.errors import FieldError

METHOD = "ceil(share*total); all logs with findings; then sha256(seed+':'+rnum) ascending"


def new_seed() -> str:
    """A fresh 64-hex-digit seed, stored with the draw so it can be re-verified."""
    return secrets.token_hex(32)


def order_key(seed: str, rnum: str) -> str:
    """The random order of a log within a draw: its hash with the draw's seed."""
    return hashlib.sha256(f"{seed}:{rnum}".encode()).hexdigest()


def target(share: Decimal, total: int) -> int:
    """How many logs of ``total`` must be reviewed by hand at ``share`` (rounded up)."""
    return math.ceil(Decimal(share) * total)


@dataclass
class Pick:
    """Log ids to add to a draw, by reason."""

    findings: list[int] = field(default_factory=list)
    random: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.findings or self.random)


def pick(
    *,
    seed: str,
    share: Decimal,
    logs: Mapping[int, str],
    flagged: Iterable[int],
    drawn: Iterable[int] = (),
) -> Pick:
    """Choose the logs to add to a draw.

    ``logs`` maps the id of every teaching log of the month to its ``rnum``; ``flagged`` are the
    ids with a fraud finding; ``drawn`` the ids already in the draw (never chosen again).
    """
    already = set(drawn)
    result = Pick(findings=sorted(set(flagged) - already))
    taken = already | set(result.findings)
    missing = target(share, len(logs)) - len(taken)
    if missing > 0:
        rest = [log_id for log_id in logs if log_id not in taken]
        rest.sort(key=lambda log_id: order_key(seed, logs[log_id]))
        result.random = rest[:missing]
    return result


# Parsing the draw's inputs.


def parse_share(field: str, value: str) -> Decimal:
    try:
        share = Decimal(value)
    except InvalidOperation:
        raise FieldError(field, value, "应为 0–1 之间的小数 (a fraction expected)") from None
    if not share.is_finite() or not Decimal(0) < share <= Decimal(1):
        raise FieldError(field, value, "应大于0且不超过1 (must be in (0, 1])")
    if share != share.quantize(Decimal("0.001")):
        raise FieldError(field, value, "最多三位小数 (at most three decimals)")
    return share.quantize(Decimal("0.001"))


def parse_month(field: str, value: str) -> date:
    text = value.strip()
    for fmt in ("%Y-%m", "%Y%m", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day.replace(day=1)
    raise FieldError(field, value, "月份格式应为 yyyy-MM (month must be yyyy-MM)")


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """The local-time instants that begin ``first``'s month and the next one."""
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time(), tzinfo=zone),
        datetime.combine(after, time(), tzinfo=zone),
    )
