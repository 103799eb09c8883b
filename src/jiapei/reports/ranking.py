"""计时平台排名通报 (seed 002 三(五)): how well each timing platform delivered its data in a month.

Figures per platform over the minute records whose time (``at``) falls in the month:

- ``minutes``: minute records stored. Records refused at ingest are never stored.
- ``completeness``: received ÷ expected record numbers. A record number is devnum(16) + YYMMDD
  + a daily sequence(4); for each terminal and day the expected set is 1 … the highest
  sequence received, so every gap is a record the terminal made but the platform did not
  deliver. Records missing after the last one received cannot be seen and are not counted.
- ``rejected_share``: records stored with ``result = rejected`` ÷ all stored records.
- ``delay_median_s`` / ``delay_p95_s``: ``received_at − at`` in whole seconds (each instant
  truncated to the second), nearest-rank percentiles: the p-th percentile is the smallest delay
  that at least p % of the records do not exceed.
- ``logs``: teaching logs (sessions) starting in the month; ``findings``: fraud findings dated
  in the month, not dismissed, attributed to the platform named on the finding or, when it
  names none, to the platforms of its teaching logs; ``findings_per_thousand`` per 1 000 logs.

The composite ``score`` (0–1, higher is better) weighs four components, :data:`WEIGHTS`:
completeness 35 %, acceptance (1 − rejected share) 25 %, timeliness 15 % (1 when the 95th
percentile delay is at most 60 s, 0 at one hour or more, linear between: seed 002 三(六) asks
for real-time upload), integrity 25 % (1 − findings per thousand logs ÷ 50, floored at 0; 1
without logs). Platforms are ranked by score rounded to four decimals, ties broken by platnum;
a platform without minute records in the month is listed unranked.

All figures are computed in SQL aggregates (grouped per terminal-day and per whole-second
delay), never by loading the minute records. With ``prefix`` (a city regulator's GB/T 2260
prefix) every figure counts only the schools of that region: minutes and logs of their
students, findings of their region.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Max, Q, QuerySet
from django.db.models.functions import Cast, Substr

from jiapei.core import clock
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.registry.models import PlatformStatus, TimingPlatform
from jiapei.reports.periods import Month
from jiapei.training.models import IngestResult, MinuteRecord, TeachingLog

WEIGHTS = {"completeness": 0.35, "acceptance": 0.25, "timeliness": 0.15, "integrity": 0.25}
TIMELY_S = 60
LATE_S = 3600
FINDINGS_FLOOR_PER_THOUSAND = 50.0


class EpochSeconds(Func):
    """Seconds since the epoch of a datetime column, truncated to a whole second."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            # '%%%%s' becomes '%%s' here and a literal '%s' once the driver fills the parameters.
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)",
        )


@dataclass
class PlatformFigures:
    platnum: str
    name: str
    status: str
    minutes: int = 0
    rejected: int = 0
    expected: int = 0
    received: int = 0
    delay_median_s: int | None = None
    delay_p95_s: int | None = None
    logs: int = 0
    findings: int = 0
    rank: int | None = None
    score: float | None = None
    components: dict[str, float] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def completeness(self) -> float | None:
        return self.received / self.expected if self.expected else None

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.minutes if self.minutes else None

    @property
    def findings_per_thousand(self) -> float | None:
        return self.findings * 1000 / self.logs if self.logs else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("missing", "completeness", "rejected_share", "findings_per_thousand"):
            value = getattr(self, name)
            data[name] = round(value, 6) if isinstance(value, float) else value
        return data


def percentile(histogram: list[tuple[int, int]], share: float) -> int | None:
    """Nearest-rank percentile of ``[(value, count)…]``: the smallest value with at least
    ``share`` of all counts at or below it."""
    total = sum(n for _, n in histogram)
    if total == 0:
        return None
    # The rank is ceil(share × total); the epsilon keeps 0.95 × 20 from becoming 19.000…01.
    needed = max(1, math.ceil(share * total - 1e-9))
    seen = 0
    for value, n in sorted(histogram):
        seen += n
        if seen >= needed:
            return value
    return sorted(histogram)[-1][0]


def _minutes(month: Month, prefix: str | None) -> QuerySet[MinuteRecord]:
    qs = MinuteRecord.objects.filter(at__gte=month.start, at__lt=month.end)
    if prefix:
        qs = qs.filter(student__institution__district__code__startswith=prefix)
    return qs


def _completeness(minutes: QuerySet[MinuteRecord]) -> dict[int, tuple[int, int]]:
    """{platform id: (received, expected)} summed over terminal-days, in one SQL statement."""
    per_day = (
        minutes.annotate(
            terminal_day=Substr("recordnum", 1, 22),
            seq=Cast(Substr("recordnum", 23, 4), IntegerField()),
        )
        .values("platform_id", "terminal_day")
        .annotate(got=Count("id"), top=Max("seq"))
        .values("platform_id", "terminal_day", "got", "top")
        .order_by()
    )
    inner, params = per_day.query.sql_with_params()
    sql = (
        f"SELECT platform_id, SUM(got), SUM(top) FROM ({inner}) per_day "  # noqa: S608
        "GROUP BY platform_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pid: (int(got), int(top)) for pid, got, top in cursor.fetchall()}


def _delays(minutes: QuerySet[MinuteRecord]) -> dict[int, list[tuple[int, int]]]:
    """{platform id: [(delay in seconds, records)…]}: a histogram, one row per distinct delay."""
    rows = (
        minutes.annotate(delay=EpochSeconds(F("received_at")) - EpochSeconds(F("at")))
        .values("platform_id", "delay")
        .annotate(n=Count("id"))
        .order_by()
    )
    histograms: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        histograms.setdefault(row["platform_id"], []).append((int(row["delay"]), row["n"]))
    return histograms


def _findings(month: Month, prefix: str | None) -> dict[int, int]:
    findings = Finding.objects.filter(day__gte=month.first, day__lte=month.last).exclude(
        status=FindingStatus.DISMISSED
    )
    if prefix:
        findings = findings.filter(region__code__startswith=prefix)
    counts: dict[int, int] = {}
    named = findings.filter(platform__isnull=False).values("platform_id").annotate(n=Count("id"))
    for row in named.order_by():
        counts[row["platform_id"]] = row["n"]
    through = Finding.logs.through.objects.filter(
        finding__in=findings.filter(platform__isnull=True)
    )
    by_logs = (
        through.values("teachinglog__platform_id")
        .annotate(n=Count("finding_id", distinct=True))
        .order_by()
    )
    for item in by_logs:
        pid = item["teachinglog__platform_id"]
        counts[pid] = counts.get(pid, 0) + item["n"]
    return counts


def _score(row: PlatformFigures) -> None:
    if not row.minutes:
        return
    p95 = row.delay_p95_s or 0
    timeliness = 1.0 if p95 <= TIMELY_S else max(0.0, 1 - (p95 - TIMELY_S) / (LATE_S - TIMELY_S))
    per_thousand = row.findings_per_thousand
    integrity = (
        1.0 if per_thousand is None else max(0.0, 1 - per_thousand / FINDINGS_FLOOR_PER_THOUSAND)
    )
    row.components = {
        "completeness": round(row.completeness or 0.0, 6),
        "acceptance": round(1 - (row.rejected_share or 0.0), 6),
        "timeliness": round(timeliness, 6),
        "integrity": round(integrity, 6),
    }
    row.score = round(sum(WEIGHTS[k] * v for k, v in row.components.items()), 4)


def platform_ranking(month: Month, prefix: str | None = None) -> list[PlatformFigures]:
    """Every platform that is active or delivered data in the month, ranked (see module doc)."""
    minutes = _minutes(month, prefix)
    counts = {
        r["platform_id"]: r
        for r in minutes.values("platform_id")
        .annotate(n=Count("id"), rejected=Count("id", filter=Q(result=IngestResult.REJECTED)))
        .order_by()
    }
    logs = TeachingLog.objects.filter(starttime__gte=month.start, starttime__lt=month.end)
    if prefix:
        logs = logs.filter(institution__district__code__startswith=prefix)
    log_counts = {
        r["platform_id"]: r["n"]
        for r in logs.values("platform_id").annotate(n=Count("id")).order_by()
    }
    completeness = _completeness(minutes) if counts else {}
    delays = _delays(minutes) if counts else {}
    findings = _findings(month, prefix)
    platforms = TimingPlatform.objects.filter(
        Q(status=PlatformStatus.ACTIVE) | Q(pk__in=[*counts, *log_counts])
    ).order_by("platnum")
    rows: list[PlatformFigures] = []
    for platform in platforms:
        pid = platform.pk
        row = PlatformFigures(platform.platnum, platform.name, platform.status)
        if pid in counts:
            row.minutes, row.rejected = counts[pid]["n"], counts[pid]["rejected"]
            row.received, row.expected = completeness.get(pid, (0, 0))
            row.delay_median_s = percentile(delays.get(pid, []), 0.5)
            row.delay_p95_s = percentile(delays.get(pid, []), 0.95)
        row.logs = log_counts.get(pid, 0)
        row.findings = findings.get(pid, 0)
        _score(row)
        rows.append(row)
    ranked = sorted(
        (r for r in rows if r.score is not None), key=lambda r: (-(r.score or 0.0), r.platnum)
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked + [r for r in rows if r.score is None]


def ranking_json(
    month: Month, rows: list[PlatformFigures], scope: dict[str, str]
) -> dict[str, Any]:
    return {
        "month": month.label,
        "scope": scope,
        "weights": WEIGHTS,
        "platforms": [r.as_json() for r in rows],
    }


# The console's page asks for a month and the months before it, and several officers open it
# in the same minutes: each region's ranking of a month is counted once per RANKING_SECONDS,
# as the dashboard's figures are (reports.dashboard.FIGURES_SECONDS).
RANKING_SECONDS = 300


def cached_ranking(month: Month, prefix: str | None = None) -> tuple[list[PlatformFigures], Any]:
    """:func:`platform_ranking` and when it was counted (an aware datetime), from the cache
    when counted in the last :data:`RANKING_SECONDS` for the same month and region."""
    if not RANKING_SECONDS:  # caching off: neither read nor write the cache
        return platform_ranking(month, prefix), clock.now()
    key = f"jiapei:ranking:{prefix or 'all'}:{month.label}"
    found = cache.get(key)
    if isinstance(found, tuple):
        return found
    computed = (platform_ranking(month, prefix), clock.now())
    cache.set(key, computed, RANKING_SECONDS)
    return computed
