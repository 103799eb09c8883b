"""The thresholds pages over HTTP: the values in force with their source for each level, and a
change from a date — the dry run lists the students whose verdicts would change and writes
nothing, applying stores the setting and re-audits them; refusals in Chinese, levels that may
not set a scope refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from jiapei.audit.models import ThresholdSetting
from jiapei.audit.services import set_threshold
from jiapei.console.tests.sampling_world import (  # noqa: F401
    Sampling,
    flag,
    ground,
    login,
    sampling_fixture,
    upload_logs,
)
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.training.models import AuditRequest, MinuteRecord, TeachingLog

pytestmark = pytest.mark.django_db

# The sessions' photos score 92: a pass mark of 95 fails them, and the minutes around a failed
# photo become void (photo rules), so the student's credited hours fall.
CHANGE = {
    "scope": "city:430100",
    "field": "face_confidence_min",
    "value": "95",
    "effective_from": "2026-10-01",
    "note": "试行",
}


def row_of(page: str, field: str) -> str:
    start = page.index(f">{field}</code>")
    return page[start : page.index("</tr>", start)]


def test_the_values_in_force_show_their_source_per_level(
    sampling: Sampling, province_regulator: Any
) -> None:
    page = login(sampling.county).get("/console/thresholds/").content.decode()
    assert "默认值" in row_of(page, "face_confidence_min") and "80" in row_of(
        page, "face_confidence_min"
    )
    assert "修改阈值" not in page  # a county changes nothing here
    province = province_regulator
    for user, kind, code, value in (
        (province, "province", "430000", 85),
        (sampling.city, "city", "430100", 88),
    ):
        set_threshold(
            actor=Actor.for_user(user),
            data={"scope_kind": kind, "scope_code": code, "field": "face_confidence_min",
                  "value": value, "effective_from": "2026-01-01"},
        )  # fmt: skip
    county = row_of(login(sampling.county).get("/console/thresholds/").content.decode(),
                    "face_confidence_min")  # fmt: skip
    assert "88" in county and "本市设置" in county and "自 2026-01-01 起" in county
    hunan = row_of(login(province).get("/console/thresholds/").content.decode(),
                   "face_confidence_min")  # fmt: skip
    assert "85" in hunan and "全省设置" in hunan
    assert login(sampling.other_county).get("/console/thresholds/").status_code == 200


def test_a_dry_run_lists_the_changed_students_and_applying_re_audits_them(
    sampling: Sampling,
) -> None:
    change = dict(CHANGE)
    city = login(sampling.city)
    form = city.get("/console/thresholds/change/").content.decode()
    assert 'value="city:430100"' in form and 'value="province:430000"' not in form
    before = list(TeachingLog.objects.order_by("pk").values_list("credited_minutes", flat=True))
    minutes = list(MinuteRecord.objects.order_by("pk").values_list("valid", "codes"))
    entries = AuditLogEntry.objects.count()

    preview = city.post("/console/thresholds/change/", {**change, "preview": "1"})
    page = preview.content.decode()
    assert preview.status_code == 200, page
    assert "1 名学员的结论会改变" in page and sampling.school.stunum in page
    assert "FACE_MISMATCH" in page or "TWO_BAD_PHOTOS" in page or "PHOTO" in page
    # The dry run wrote nothing.
    assert not ThresholdSetting.objects.exists()
    assert AuditLogEntry.objects.count() == entries
    assert list(MinuteRecord.objects.order_by("pk").values_list("valid", "codes")) == minutes

    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page)
    assert previewed is not None
    change["previewed"] = previewed.group(1)
    # A value edited after the dry run is not applied without a new dry run.
    edited = city.post(
        "/console/thresholds/change/", {**change, "value": "99", "apply": "1", "confirm": "on"}
    )
    assert edited.status_code == 400 and "请重新试算" in edited.content.decode()
    assert not ThresholdSetting.objects.exists()

    unconfirmed = city.post("/console/thresholds/change/", {**change, "apply": "1"})
    assert unconfirmed.status_code == 400 and "请先勾选确认" in unconfirmed.content.decode()
    assert not ThresholdSetting.objects.exists()

    applied = city.post("/console/thresholds/change/", {**change, "apply": "1", "confirm": "on"})
    assert applied.status_code == 302 and applied["Location"] == "/console/thresholds/"
    [setting] = ThresholdSetting.objects.all()
    assert (setting.scope_code, setting.field, setting.value) == ("430100", change["field"], 95)
    # Both students of 长沙 who trained since then are queued; the worker re-audits them.
    assert AuditRequest.objects.count() == 2
    call_command("worker", once=True)
    assert not AuditRequest.objects.exists()
    after = list(TeachingLog.objects.order_by("pk").values_list("credited_minutes", flat=True))
    assert sum(after) < sum(before)
    assert AuditLogEntry.objects.filter(action="audit.run").exists()
    listed = row_of(city.get("/console/thresholds/").content.decode(), "face_confidence_min")
    assert "95" in listed and "本市设置" in listed
    # The same change again: nothing would change now.
    again = city.post(
        "/console/thresholds/change/", {**change, "effective_from": "2026-10-02", "preview": "1"}
    )
    assert "没有学员的结论会改变" in again.content.decode()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"value": "abc"}, "该阈值的取值格式不正确。"),
        ({"value": "-3"}, "expected a whole number"),
        ({"effective_from": ""}, "这个字段是必填项。"),
        ({"scope": "city:430200"}, "选择一个有效的选项"),
        ({"field": "nope"}, "选择一个有效的选项"),
    ],
)
def test_bad_changes_are_refused_on_the_form(
    sampling: Sampling, change: dict[str, Any], error: str
) -> None:
    response = login(sampling.city).post(
        "/console/thresholds/change/", {**CHANGE, **change, "preview": "1"}
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ThresholdSetting.objects.exists()


def test_a_county_may_not_change_thresholds(sampling: Sampling) -> None:
    county = login(sampling.county)
    assert county.get("/console/thresholds/change/").status_code == 403
    applied = county.post("/console/thresholds/change/", {**CHANGE, "apply": "1", "confirm": "on"})
    assert applied.status_code == 403
    assert not ThresholdSetting.objects.exists()


def test_the_thresholds_page_does_not_grow_queries_with_settings(sampling: Sampling) -> None:
    from jiapei.testing.pages import assert_flat_queries

    def grow() -> None:
        for n, field in enumerate(("photo_interval_minutes", "stationary_minutes")):
            set_threshold(
                actor=Actor.for_user(sampling.city),
                data={"scope_kind": "city", "scope_code": "430100", "field": field,
                      "value": 20 + n, "effective_from": "2026-01-01"},
            )  # fmt: skip

    assert_flat_queries(login(sampling.city), "/console/thresholds/", grow)
