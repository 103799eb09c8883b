"""The audit trail: every service write leaves one append-only row naming the actor."""

from __future__ import annotations

import pytest

from jiapei.core.models import AuditLogEntry
from jiapei.testing import factories as f


def test_filing_writes_who_what_before_and_after(tp, platform, db):
    payload = f.InstitutionPayload()
    inscode = tp.post("institution", payload)["inscode"]
    tp.post("institution", {**payload, "inscode": inscode, "phone": "13900001111"})

    create, update = AuditLogEntry.objects.filter(object_type="registry.institution").order_by("id")
    assert create.action == "institution.file.create" and create.before is None
    assert create.actor_kind == "platform" and create.actor_platform == platform
    assert update.before["phone"] == payload["phone"]
    assert update.after["phone"] == "13900001111"
    assert update.after["inscode"] == inscode


def test_entries_cannot_be_changed_or_deleted(tp, db):
    tp.post("institution", f.InstitutionPayload())
    entry = AuditLogEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    assert AuditLogEntry.objects.filter(action="tampered").count() == 0
