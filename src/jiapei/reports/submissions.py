"""Where each city's monthly report (seed 002 附件2) stands: not started, draft, submitted on
time, or submitted late — the province's follow-up list (省厅将通报各市整治进展情况).

A report is due by the end of the 5th of the following month, Asia/Shanghai
(:func:`jiapei.reports.periods.submission_deadline`); a report not submitted after that is
overdue, which the status list says next to "draft" or "not started". Reads only; the writes are
:func:`jiapei.reports.services.enter_inputs` and :func:`~jiapei.reports.services.submit_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.core.cache import cache

from jiapei.accounts.models import Region, RegionLevel
from jiapei.core import clock
from jiapei.reports.models import MonthlyReportInput
from jiapei.reports.monthly import ENTERED, Report, monthly_report, total_row
from jiapei.reports.periods import Month, submission_deadline

# How long the computed figures of a report are served from the cache. They count a month of
# the province's teaching logs, orders and reviews per city, which the pages cannot afford on
# every visit; the entered figures are always read afresh.
FIGURES_SECONDS = 300


class Status(StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    ON_TIME = "on_time"
    LATE = "late"


@dataclass
class Submission:
    """One city's report of one month. ``entry`` is None until someone saved a figure."""

    city: Region
    month: Month
    entry: MonthlyReportInput | None
    deadline: datetime
    now: datetime

    @property
    def due_day(self) -> date:
        """The last day (local) a submission is on time."""
        return (self.deadline - timedelta(days=1)).date()

    @property
    def status(self) -> Status:
        if self.entry is None:
            return Status.NOT_STARTED
        if self.entry.submitted_at is None:
            return Status.DRAFT
        return Status.LATE if self.entry.submitted_at >= self.deadline else Status.ON_TIME

    @property
    def submitted(self) -> bool:
        return self.entry is not None and self.entry.submitted_at is not None

    @property
    def overdue(self) -> bool:
        """Not submitted, and the deadline has passed."""
        return not self.submitted and self.now >= self.deadline

    @property
    def updated_at(self) -> datetime | None:
        return self.entry.updated_at if self.entry is not None else None

    @property
    def submitted_at(self) -> datetime | None:
        return self.entry.submitted_at if self.entry is not None else None

    @property
    def submitted_by(self) -> str | None:
        entry = self.entry
        if entry is None or entry.submitted_by is None:
            return None
        return entry.submitted_by.get_username()


def _entries(month: Month) -> dict[str, MonthlyReportInput]:
    rows = MonthlyReportInput.objects.filter(month=month.first).select_related(
        "updated_by", "submitted_by"
    )
    return {row.region_id: row for row in rows}


def submission_of(city: Region, month: Month) -> Submission:
    """The state of ``city``'s report of ``month`` (one query)."""
    entry = (
        MonthlyReportInput.objects.filter(region=city, month=month.first)
        .select_related("updated_by", "submitted_by")
        .first()
    )
    return Submission(city, month, entry, submission_deadline(month), clock.now())


def submissions(region: Region, month: Month) -> list[Submission]:
    """Every city within ``region`` (the province: all of them), by code, with the state of its
    report of ``month`` — two queries whatever the number of cities."""
    cities = Region.objects.filter(
        level=RegionLevel.CITY, code__startswith=region.scope_prefix
    ).order_by("code")
    entries = _entries(month)
    deadline, now = submission_deadline(month), clock.now()
    return [Submission(city, month, entries.get(city.code), deadline, now) for city in cities]


def report_of(region: Region, month: Month) -> Report:
    """:func:`jiapei.reports.monthly.monthly_report` of ``region`` with its computed figures
    from the cache when counted in the last :data:`FIGURES_SECONDS`, and the entered figures
    (and so the province's total) as stored now."""
    key = f"jiapei:monthly:{region.code}:{month.label}"
    found = cache.get(key)
    if not isinstance(found, Report) or not FIGURES_SECONDS:
        report = monthly_report(region, month)
        if FIGURES_SECONDS:
            cache.set(key, report, FIGURES_SECONDS)
        return report
    cities = found.rows if region.level == RegionLevel.CITY else found.rows[:-1]
    stored = dict(
        MonthlyReportInput.objects.filter(
            month=month.first, region__in=[row.code for row in cities]
        ).values_list("region_id", "values")
    )
    for row in cities:
        values = stored.get(row.code, {})
        for name in ENTERED:
            value = values.get(name)
            row.values[name] = int(value) if value is not None else None
    rows = cities if region.level == RegionLevel.CITY else [*cities, total_row(region, cities)]
    return Report(region, month, rows)
