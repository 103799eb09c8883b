"""Idempotency of the signed filing interface across timing platforms.

Records of one timing platform are out of reach of another.
"""

from __future__ import annotations

import pytest

from jiapei.core.errors import ErrorCode
from jiapei.registry.models import (
    DeviceBinding,
    FilingStatus,
    Institution,
    Personnel,
)
from jiapei.registry.tests.helpers import binding_key, refused
from jiapei.sim.images import portrait
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


# --- another timing platform --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["coach", "trainingcar", "device", "student"])
def test_filing_for_a_school_served_by_another_platform_is_refused(
    tp, build, other_school, kind, db
):
    payload = {**build(kind), "inscode": other_school}
    refused(
        tp, kind, payload, field="inscode", value=other_school, status=403, code=ErrorCode.FORBIDDEN
    )


def test_area_and_fee_for_a_school_served_by_another_platform_are_refused(tp, other_school, db):
    for resource, factory in (("region", f.AreaPayload), ("charstandard", f.FeePayload)):
        payload = f.payload(factory, inscode=other_school)
        refused(
            tp,
            resource,
            payload,
            field="inscode",
            value=other_school,
            status=403,
            code=ErrorCode.FORBIDDEN,
        )


def test_another_platform_cannot_refile_an_institution(tp, other_tp, db):
    payload = f.InstitutionPayload()
    inscode = tp.post("institution", payload)["inscode"]
    for attempt in (payload, {**payload, "inscode": inscode}):
        refused(
            other_tp,
            "institution",
            attempt,
            field="inscode",
            value=inscode,
            status=409,
            code=ErrorCode.CONFLICT,
        )
    assert Institution.objects.get().platform.platnum == "A0041"


def test_a_coach_active_at_one_platform_cannot_be_filed_by_another(
    tp, other_tp, other_school, school, db
):
    idcard = Personnel.objects.get(number=school.coachnum).idcard
    photo = other_tp.upload("coachimg", portrait(51))
    payload = f.payload(f.CoachPayload, inscode=other_school, photo=photo, idcard=idcard)
    refused(
        other_tp,
        "coach",
        payload,
        field="idcard",
        value=idcard,
        status=409,
        code=ErrorCode.CONFLICT,
    )


def test_a_withdrawn_coach_may_be_filed_by_another_platform(tp, other_tp, other_school, school, db):
    idcard = Personnel.objects.get(number=school.coachnum).idcard
    tp.post("coach/delete", {"coachnum": school.coachnum})
    photo = other_tp.upload("coachimg", portrait(52))
    payload = f.payload(f.CoachPayload, inscode=other_school, photo=photo, idcard=idcard)
    assert other_tp.post("coach", payload) == {"coachnum": school.coachnum, "created": False}
    row = Personnel.objects.get()
    assert (row.institution.inscode, row.platform.platnum, row.filing_status) == (
        other_school,
        "A0042",
        FilingStatus.ACTIVE,
    )


def test_another_platform_cannot_withdraw_or_bind_my_records(tp, other_tp, school, db):
    refused(
        other_tp,
        "coach/delete",
        {"coachnum": school.coachnum},
        field="coachnum",
        value=school.coachnum,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )
    refused(
        other_tp,
        "devrembinding",
        binding_key(school),
        field="devnum",
        value=school.devnum,
        status=404,
        code=ErrorCode.NOT_FOUND,
    )
    assert Personnel.objects.get().filing_status == FilingStatus.ACTIVE
    assert DeviceBinding.objects.get().unbound_at is None
