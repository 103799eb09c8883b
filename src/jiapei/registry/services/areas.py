"""Teaching areas (教学区域 / 电子围栏): filing, review, and police-designated road routes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from shapely.geometry import Point

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel
from jiapei.accounts.queries import get_region
from jiapei.accounts.regions import boundary
from jiapei.core import clock, columns
from jiapei.core import services as trail
from jiapei.core import wire as v
from jiapei.core.actors import Actor
from jiapei.core.errors import FieldError, Forbidden, NotFound
from jiapei.core.wire import Fields, integer, one_of
from jiapei.registry.geo import gcj02_to_wgs84_ring
from jiapei.registry.models import AreaStatus, AreaType, TeachingArea, TimingPlatform
from jiapei.registry.services.callbacks import notify_review
from jiapei.registry.services.common import served_institution

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _seq(field: str, value: str) -> str:
    if not (value.isascii() and value.isdigit()) or len(value) > 4:
        raise FieldError(field, value, "区域编号应为1-4位数字 (up to 4 digits)")
    return f"{int(value):04d}"


def _polygon(coordtype: str | None, within: str | None = None) -> Any:
    """Parser for a fence polygon that must lie inside the province (and, for a police route,
    inside the city ``within``), judged in WGS-84 against the shipped boundaries."""

    def parse(field: str, value: Any) -> list[list[float]]:
        ring = v.polygon(field, value)
        wgs84 = gcj02_to_wgs84_ring(ring) if coordtype == "GCJ02" else ring
        province = settings.JIAPEI_PROVINCE
        for code, name in ((province, "本省"), (within, "本市州")):
            area = boundary(code) if code else None
            if area is None:
                continue
            # The check uses converted points; the error names the vertex as it was sent.
            for (sent_lng, sent_lat), (lng, lat) in zip(ring, wgs84, strict=True):
                if not area.contains(Point(lng, lat)):
                    raise FieldError(
                        field,
                        value,
                        f"坐标 {sent_lng},{sent_lat} 不在{name}范围内 (outside {code})",
                    )
        return wgs84

    return parse


def file_area(
    *, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]
) -> tuple[TeachingArea, bool]:
    """File a school's teaching area. It enters (or re-enters, if its shape, type or classes
    changed) the review queue of the regulators of the school's district."""
    f = Fields(data)
    institution = served_institution(platform, f.get("inscode"))
    coordtype = f.get("coordtype", one_of("WGS84", "GCJ02"), required=False, default="WGS84")
    values: dict[str, Any] = {
        "name": f.get("name", required=False, default=""),
        "address": f.get("address"),
        "area": f.get("area", columns.decimal_of(TeachingArea, "area")),
        "type": f.get("type", one_of(*AreaType.values)),
        "vehicletype": f.get("vehicletype", v.licence_classes),
        "polygon": f.get("polygon", _polygon(coordtype), structured=True),
        "totalvehnum": f.get("totalvehnum", integer, required=False),
        "curvehnum": f.get("curvehnum", integer, required=False),
    }
    seq = f.get("seq", _seq)
    if values["vehicletype"]:
        try:
            v.within(
                "vehicletype",
                data.get("vehicletype", ""),
                values["vehicletype"],
                institution.classes,
                "机构经营范围",
            )
        except FieldError as exc:
            f.add(exc)
    f.check()
    values["vehicletype"] = ",".join(values["vehicletype"])
    with transaction.atomic():
        row = (
            TeachingArea.objects.select_for_update()
            .filter(institution=institution, seq=seq)
            .first()
        )
        if row is None:
            row = TeachingArea.objects.create(
                institution=institution,
                region=institution.district,
                platform=platform,
                seq=seq,
                status=AreaStatus.PENDING,
                **values,
            )
            trail.record(
                actor=actor, action="region.file.create", obj=row, after=trail.snapshot(row)
            )
            return row, True
        before = trail.snapshot(row)
        reviewed = ("polygon", "type", "vehicletype")
        changed = any(getattr(row, k) != values[k] for k in reviewed)
        for key, value in values.items():
            setattr(row, key, value)
        if changed or row.status in (AreaStatus.DELETED, AreaStatus.REJECTED):
            row.status = AreaStatus.PENDING
            row.review_reason = ""
            row.reviewed_by = None
            row.reviewed_at = None
        row.save()
        trail.record(
            actor=actor,
            action="region.file.update",
            obj=row,
            before=before,
            after=trail.snapshot(row),
        )
        return row, False


def delete_area(*, actor: Actor, platform: TimingPlatform, data: Mapping[str, Any]) -> TeachingArea:
    f = Fields(data)
    institution = served_institution(platform, f.get("inscode"))
    seq = f.get("seq", _seq)
    f.check()
    with transaction.atomic():
        row = (
            TeachingArea.objects.select_for_update()
            .filter(institution=institution, seq=seq)
            .first()
        )
        if row is None:
            raise NotFound(f"seq={seq!r}: 教学区域未备案 (area not filed)", field="seq", value=seq)
        if row.status != AreaStatus.DELETED:
            before = trail.snapshot(row)
            row.status = AreaStatus.DELETED
            row.save(update_fields=["status", "updated_at"])
            trail.record(
                actor=actor,
                action="region.delete",
                obj=row,
                before=before,
                after=trail.snapshot(row),
            )
        return row


def review_area(*, actor: Actor, area_id: int, approve: bool, reason: str = "") -> TeachingArea:
    """A regulator of the area's region approves or rejects a pending area; the timing platform
    is told through ``/reviewmsg`` (reviewtype 1). Rejecting requires a reason."""
    user = access.require(actor, access.Action.REVIEW_AREAS)
    if not approve and not reason.strip():
        raise FieldError("reason", reason, "驳回须说明原因 (a reason is required to reject)")
    with transaction.atomic():
        row = TeachingArea.objects.select_for_update().filter(pk=area_id).first()
        if row is None or not access.covers(user, row.region_id):
            raise NotFound(
                f"area {area_id}: 教学区域不存在 (no such area)", field="id", value=area_id
            )
        if row.status != AreaStatus.PENDING:
            raise FieldError(
                "id", area_id, f"该区域状态为{row.get_status_display()}，不能审核 (not pending)"
            )
        before = trail.snapshot(row)
        row.status = AreaStatus.APPROVED if approve else AreaStatus.REJECTED
        row.review_reason = reason.strip()
        row.reviewed_by = user
        row.reviewed_at = clock.now()
        row.save()
        entry = trail.record(
            actor=actor,
            action="region.review",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        if row.institution is not None and row.platform is not None:
            notify_review(
                platform=row.platform,
                reviewtype="1",
                data={"inscode": row.institution.inscode, "seq": row.seq},
                key=f"reviewmsg:{entry.pk}",
            )
        return row


def _time_windows(field: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise FieldError(field, value, "至少填写一个训练时段 (at least one time window)")
    windows = []
    for item in value:
        if not isinstance(item, dict):
            raise FieldError(field, item, "时段应为 {start, end, weekdays} (object expected)")
        start, end = str(item.get("start", "")), str(item.get("end", ""))
        if not _TIME_RE.match(start) or not _TIME_RE.match(end) or start >= end:
            raise FieldError(field, item, "时段应为 HH:MM 且开始早于结束 (HH:MM, start < end)")
        weekdays = item.get("weekdays", [1, 2, 3, 4, 5, 6, 7])
        if not isinstance(weekdays, list) or not all(d in range(1, 8) for d in weekdays):
            raise FieldError(field, item, "weekdays 应为 1-7 的列表 (1 = Monday)")
        windows.append({"start": start, "end": end, "weekdays": sorted(set(weekdays))})
    return windows


def enter_police_route(*, actor: Actor, data: Mapping[str, Any]) -> tuple[TeachingArea, bool]:
    """A city regulator enters a police-designated road-training route (seed 000) as a road
    fence with its time windows. Entered by the regulator, it is approved at once."""
    user = access.require(actor, access.Action.ENTER_POLICE_ROUTES)
    f = Fields(data)
    region_code = f.get("region", required=False, default=user.region_id)
    # Whose route it is comes first: a regulator outside that city learns nothing more.
    region = get_region(region_code)
    access.require(user, access.Action.ENTER_POLICE_ROUTES, region=region.code)
    if region.level != RegionLevel.CITY:
        # A route belongs to a city; the province's regulators enter it for one of theirs.
        raise Forbidden(
            f"region={region_code!r}: 只能录入本辖区市州的路线 (own city only)",
            field="region",
            value=region_code,
        )
    coordtype = f.get("coordtype", one_of("WGS84", "GCJ02"), required=False, default="WGS84")
    seq = f.get("seq", _seq)
    values: dict[str, Any] = {
        "name": f.get("name"),
        "address": f.get("address", required=False, default=""),
        "area": f.get(
            "area", columns.decimal_of(TeachingArea, "area"), required=False, default="0"
        ),
        "vehicletype": f.get("vehicletype", v.licence_classes),
        "polygon": f.get("polygon", _polygon(coordtype, within=region_code), structured=True),
        "time_windows": f.get("time_windows", _time_windows, structured=True),
    }
    f.check()
    values["vehicletype"] = ",".join(values["vehicletype"])
    with transaction.atomic():
        row = (
            TeachingArea.objects.select_for_update()
            .filter(institution__isnull=True, region=region, seq=seq)
            .first()
        )
        common = {
            "type": AreaType.ROAD,
            "police_designated": True,
            "status": AreaStatus.APPROVED,
            "reviewed_by": user,
            "reviewed_at": clock.now(),
        }
        if row is None:
            row = TeachingArea.objects.create(region=region, seq=seq, **values, **common)
            trail.record(actor=actor, action="route.create", obj=row, after=trail.snapshot(row))
            return row, True
        before = trail.snapshot(row)
        for key, value in {**values, **common}.items():
            setattr(row, key, value)
        row.save()
        trail.record(
            actor=actor, action="route.update", obj=row, before=before, after=trail.snapshot(row)
        )
        return row, False
