"""One training session (a teaching log) in the console: the evidence a regulator weighs.

The page shows the session's minutes on a timeline coloured (and hatched) by the audit's
verdict, every void stretch with its reasons in words naming the thresholds that applied, the
GNSS track drawn over the school's teaching areas, the speed profile with its numbers, and the
photos and videos served through the access-checked file views (:mod:`.files`). The log comes
from :func:`jiapei.training.queries.logs_for`, so another region's session is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiapei.audit import queries as audit
from jiapei.audit.thresholds import Thresholds
from jiapei.console.base import ConsoleDetail
from jiapei.console.students import (
    MODE_LABELS,
    PART_LABELS,
    VERDICT_TAGS,
    first_clause,
    reasons,
)
from jiapei.registry import queries as registry
from jiapei.registry.models import AreaStatus, TeachingArea
from jiapei.training import queries as training
from jiapei.training.models import MinuteRecord, TeachingLog, TrainingPhoto
from jiapei.web.svg.chart import Series, Span, line_chart, time_strip
from jiapei.web.svg.map import SvgMap

# A track is cut where two fixes are further apart in time than this: drawing a straight line
# across a gap would show a road the car may never have taken.
TRACK_GAP = timedelta(minutes=2)

# Photo event types of the terminal protocol (standards.md §2.2, 0x0305).
PHOTO_EVENTS = {
    5: _("定时拍照"),
    17: _("学员签到"),
    18: _("学员签退"),
    19: _("培训中拍照"),
    20: _("教练员签到"),
    21: _("教练员签退"),
}
VERDICT_WORDS = {"valid": _("有效"), "void": _("无效"), "pending": _("待审核")}
MINUTE_COLUMNS = ("id", "at", "max_speed", "mileage", "lng", "lat", "valid", "codes",
                  "reject_codes", "result")  # fmt: skip


def verdict(minute: MinuteRecord) -> str:
    """``valid``, ``void`` or ``pending``. A minute refused at ingest is void even before the
    audit runs: it can never count."""
    if minute.valid is True:
        return "valid"
    if minute.valid is False or minute.reject_codes:
        return "void"
    return "pending"


def codes_of(minute: MinuteRecord) -> list[str]:
    return list(minute.codes or minute.reject_codes or [])


def plausible_fix(minute: MinuteRecord) -> bool:
    """A GNSS fix that can be drawn: present, not the (0, 0) a terminal sends without a fix,
    and within China's bounding box (a swapped or garbled fix would stretch the map)."""
    if minute.lng is None or minute.lat is None:
        return False
    return 73.0 <= minute.lng <= 136.0 and 3.0 <= minute.lat <= 54.0


@dataclass
class Segment:
    kind: str
    points: list[tuple[float, float]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    minutes: int = 0


def track_segments(minutes: list[MinuteRecord]) -> list[Segment]:
    """The minutes' fixes as drawable segments: cut at gaps over :data:`TRACK_GAP` and at
    invalid fixes; a change of verdict starts a new segment from the previous point, so the
    line stays continuous while each stretch has its own colour and dash."""
    segments: list[Segment] = []
    previous: MinuteRecord | None = None
    for minute in minutes:
        if not plausible_fix(minute):
            previous = None
            continue
        kind = verdict(minute)
        point = (float(minute.lng or 0), float(minute.lat or 0))
        joined = previous is not None and minute.at - previous.at <= TRACK_GAP
        if joined and segments and segments[-1].kind == kind:
            current = segments[-1]
        else:
            current = Segment(kind, first=minute.at)
            if joined and segments:
                current.points.append(segments[-1].points[-1])
            segments.append(current)
        current.points.append(point)
        current.last = minute.at
        current.minutes += 1
        previous = minute
    return segments


def local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment else None


def area_kind(area: TeachingArea) -> str:
    if area.institution_id is None:
        return "route"
    if area.status == AreaStatus.APPROVED:
        return "area"
    if area.status == AreaStatus.REJECTED:
        return "area-rejected"
    return "area-other"


AREA_WORDS = {
    "area": _("已核准的教学区域"),
    "area-other": _("待审核的教学区域"),
    "area-rejected": _("未通过审核的教学区域"),
    "route": _("公安指定培训路线"),
}


def track_map(log: TeachingLog, minutes: list[MinuteRecord], areas: list[TeachingArea]) -> dict:
    """The SVG map of the session's track over the school's areas, with its caption (the
    counts in words) and its legend."""
    drawing = SvgMap(label=_t("%(rnum)s 的培训轨迹") % {"rnum": log.rnum})
    kinds_shown: dict[str, Any] = {}
    for area in areas:
        kind = area_kind(area)
        drawing.polygon(area.polygon, kind=kind, title=f"{area.name or area.address}（{area.seq}）")
        kinds_shown[kind] = AREA_WORDS[kind]
    segments = track_segments(minutes)
    for seg in segments:
        first, last = local(seg.first), local(seg.last)
        title = f"{first:%H:%M}–{last:%H:%M} {VERDICT_WORDS[seg.kind]} {seg.minutes}"
        drawing.line(seg.points, kind=seg.kind, title=title)
        kinds_shown[seg.kind] = _t("%(verdict)s分钟的轨迹") % {"verdict": VERDICT_WORDS[seg.kind]}
    fixes = [m for m in minutes if plausible_fix(m)]
    if fixes:
        start, end = fixes[0], fixes[-1]
        drawing.marker((start.lng or 0, start.lat or 0), kind="start",
                       title=_t("起点 %(t)s") % {"t": f"{local(start.at):%H:%M}"})  # fmt: skip
        drawing.marker((end.lng or 0, end.lat or 0), kind="end",
                       title=_t("终点 %(t)s") % {"t": f"{local(end.at):%H:%M}"})  # fmt: skip
    counts = {k: sum(1 for s in segments if s.kind == k) for k in VERDICT_WORDS}
    caption = _t(
        "共 %(fixes)d 个有效定位点（%(missing)d 分钟无定位），分 %(n)d 段绘制：有效 %(valid)d 段、"
        "无效 %(void)d 段、待审核 %(pending)d 段；超过 2 分钟的间断和无效定位处断开。"
        "圆点为起点，方块为终点。"
    ) % {
        "fixes": len(fixes),
        "missing": len(minutes) - len(fixes),
        "n": len(segments),
        **counts,
    }
    legend = list(kinds_shown.items())
    return {"svg": drawing.render(), "caption": caption, "legend": legend, "empty": not fixes}


def timeline(log: TeachingLog, minutes: list[MinuteRecord], thresholds: Thresholds) -> dict:
    """The minutes on a time strip, coloured and hatched by verdict, with the counts."""
    start = timezone.localtime(log.starttime)
    end = timezone.localtime(max([log.endtime, *(m.at for m in minutes)]))
    spans = []
    for minute in minutes:
        at = timezone.localtime(minute.at)
        kind = verdict(minute)
        why = reasons(codes_of(minute), thresholds)
        words = [str(VERDICT_WORDS[kind]), *(first_clause(r["why"]) for r in why)]
        spans.append(Span(at - timedelta(seconds=60), at, kind, f"{at:%H:%M} " + "；".join(words)))
    counts = {k: sum(1 for m in minutes if verdict(m) == k) for k in VERDICT_WORDS}
    label = _t("%(rnum)s 的分钟学时时间轴") % {"rnum": log.rnum}
    return {"svg": time_strip(label, start, end, spans), "counts": counts}


def void_stretches(minutes: list[MinuteRecord], thresholds: Thresholds) -> list[dict]:
    """Consecutive void minutes with the same reasons, as one row each: from, to, how many
    minutes, and each reason in words."""
    rows: list[dict] = []
    for minute in minutes:
        if verdict(minute) != "void":
            continue
        codes = codes_of(minute)
        at = timezone.localtime(minute.at)
        last = rows[-1] if rows else None
        if last and last["codes"] == codes and at - last["to"] <= timedelta(seconds=61):
            last["to"], last["minutes"] = at, last["minutes"] + 1
            continue
        rows.append({"from": at, "to": at, "minutes": 1, "codes": codes,
                     "reasons": reasons(codes, thresholds)})  # fmt: skip
    return rows


def speed_profile(log: TeachingLog, minutes: list[MinuteRecord]) -> dict:
    """The maximum speed of each minute over time, with every minute's numbers in a table."""
    labels = [f"{timezone.localtime(m.at):%H:%M}" for m in minutes]
    svg = line_chart(
        _t("%(rnum)s 的车速曲线") % {"rnum": log.rnum},
        labels,
        [Series(_t("每分钟最高车速"), [m.max_speed for m in minutes])],
        unit="",
    )
    table = {
        "header": [_t("时间"), _t("最高车速（公里/小时）"), _t("里程（公里）"), _t("结论")],
        "rows": [
            [label, f"{m.max_speed:g}", f"{m.mileage:g}", VERDICT_WORDS[verdict(m)]]
            for label, m in zip(labels, minutes, strict=True)
        ],
    }
    caption = _t("每分钟最高车速（公里/小时），共 %(n)d 分钟") % {"n": len(minutes)}
    return {"svg": svg, "table": table, "caption": caption}


def photo_cards(photos: list[TrainingPhoto], thresholds: Thresholds) -> list[dict]:
    return [
        {
            "photo": p,
            "event": PHOTO_EVENTS.get(p.event, p.event),
            "low": p.confidence is not None and p.confidence < thresholds.face_confidence_min,
        }
        for p in photos
    ]


class SessionDetail(ConsoleDetail):
    template_name = "console/students/session.html"

    def scoped_queryset(self) -> QuerySet[TeachingLog]:
        # The URL names the student too (the page sits under the student's file); a log of
        # another student under this one's URL is not found either.
        return (
            training.logs_for(self.user)
            .filter(student_id=self.kwargs["student"])
            .select_related("institution__district")
        )

    def get_title(self) -> Any:
        return _t("教学日志 %(rnum)s") % {"rnum": self.object.rnum}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        log: TeachingLog = self.object
        minutes = list(training.minutes_of(log).only(*MINUTE_COLUMNS))
        thresholds = audit.thresholds_in_force(
            log.institution, timezone.localtime(log.starttime).date()
        )
        city = log.institution.district_id[:4] + "00"
        areas = list(registry.session_areas(log.institution_id, city, part=log.part))
        context.update(
            log=log,
            part_label=PART_LABELS.get(log.part, log.part),
            mode_label=MODE_LABELS.get(log.mode, log.mode),
            verdict_tag=VERDICT_TAGS.get(log.audit_status, "tag-muted"),
            session_reasons=reasons(log.codes, thresholds),
            timeline=timeline(log, minutes, thresholds),
            void_rows=void_stretches(minutes, thresholds),
            track=track_map(log, minutes, areas),
            speed=speed_profile(log, minutes),
            photos=photo_cards(list(training.photos_of(log)), thresholds),
            videos=list(training.videos_of(log)),
            face_min=thresholds.face_confidence_min,
            n_minutes=len(minutes),
        )
        return context


urlpatterns = [
    path("students/<int:student>/sessions/<int:pk>/", SessionDetail.as_view(), name="session"),
]
