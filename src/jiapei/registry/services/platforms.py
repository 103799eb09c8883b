"""Managing timing platforms (province regulators only)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from jiapei.accounts import access
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.registry.models import FilingStatus, Institution, PlatformStatus, TimingPlatform
from jiapei.signing import load_public_key

_PLATNUM_RE = re.compile(r"^[0-9A-Z]{5}$")
_SERIAL_RE = re.compile(r"^[0-9A-F]{1,64}$")


def normalize_serial(serial: str) -> str:
    return serial.strip().upper().replace(":", "").lstrip("0") or "0"


def register_platform(
    *,
    actor: Actor,
    platnum: str,
    name: str,
    cert_serial: str,
    public_key_pem: str,
    callback_url: str = "",
) -> tuple[TimingPlatform, bool]:
    """Register a timing platform, or replace its certificate and details (re-registering)."""
    access.require(actor, access.Action.MANAGE_PLATFORMS)
    platnum = platnum.strip().upper()
    if not _PLATNUM_RE.match(platnum):
        raise FieldError("platnum", platnum, "平台编号应为5位数字或大写字母 (5 characters)")
    serial = normalize_serial(cert_serial)
    if not _SERIAL_RE.match(serial):
        raise FieldError("cert_serial", cert_serial, "证书序列号应为十六进制 (hexadecimal)")
    try:
        load_public_key(public_key_pem)
    except ValueError as exc:
        raise FieldError(
            "public_key_pem", public_key_pem[:40], f"无法读取RSA公钥 ({exc})"
        ) from None
    with transaction.atomic():
        clash = TimingPlatform.objects.filter(cert_serial=serial).exclude(platnum=platnum).first()
        if clash is not None:
            raise Conflict(
                f"cert_serial={serial!r}: 证书已登记给平台 {clash.platnum} (certificate in use)",
                field="cert_serial",
                value=serial,
            )
        platform = TimingPlatform.objects.select_for_update().filter(platnum=platnum).first()
        values: dict[str, Any] = {
            "name": name,
            "cert_serial": serial,
            "public_key_pem": public_key_pem,
            "callback_url": callback_url,
        }
        if platform is None:
            platform = TimingPlatform.objects.create(platnum=platnum, **values)
            trail.record(
                actor=actor,
                action="platform.register",
                obj=platform,
                after=trail.snapshot(platform),
            )
            return platform, True
        before = trail.snapshot(platform)
        for key, value in values.items():
            setattr(platform, key, value)
        platform.save()
        trail.record(
            actor=actor,
            action="platform.update",
            obj=platform,
            before=before,
            after=trail.snapshot(platform),
        )
        return platform, False


def set_platform_status(
    *, actor: Actor, platnum: str, status: str, reason: str = ""
) -> TimingPlatform:
    """Suspend, revoke or reactivate a platform. A suspended or revoked platform's calls are
    refused, and its schools' timing platforms are told through ``/recordchangemsg``."""
    access.require(actor, access.Action.MANAGE_PLATFORMS)
    if status not in PlatformStatus.values:
        raise FieldError("status", status, f"取值应为 {'/'.join(PlatformStatus.values)}")
    if status != PlatformStatus.ACTIVE and not reason.strip():
        raise FieldError("reason", reason, "暂停或吊销须说明原因 (a reason is required)")
    from jiapei.registry.services.callbacks import notify_record_change

    with transaction.atomic():
        platform = TimingPlatform.objects.select_for_update().filter(platnum=platnum).first()
        if platform is None:
            raise NotFound(f"platnum={platnum!r}: 计时平台不存在", field="platnum", value=platnum)
        if platform.status == status:
            return platform
        before = trail.snapshot(platform)
        platform.status = status
        platform.status_reason = reason
        platform.save(update_fields=["status", "status_reason", "updated_at"])
        entry = trail.record(
            actor=actor,
            action="platform.status",
            obj=platform,
            before=before,
            after=trail.snapshot(platform),
            reason=reason,
        )
        # Each transition tells the schools' platform: restored ('1') or not usable ('0').
        for institution in Institution.objects.filter(
            platform=platform, filing_status=FilingStatus.ACTIVE
        ):
            notify_record_change(
                platform=platform,
                recordtype="1",
                changetype="1" if status == "active" else "0",
                inscode=institution.inscode,
                recordnum=platform.platnum,
                reason=reason,
                key=f"recordchangemsg:{entry.pk}:{institution.inscode}",
            )
        return platform
