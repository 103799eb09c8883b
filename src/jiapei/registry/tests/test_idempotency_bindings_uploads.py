"""Idempotency of the signed filing interface: terminal bindings, uploads and transfers.

Timing platforms retry: repeated binds, unbinds, uploads and transfers are no-ops.
"""

from __future__ import annotations

import pytest

from jiapei.core.errors import ErrorCode
from jiapei.registry.models import (
    DeviceBinding,
    StudentTransfer,
    UploadedFile,
)
from jiapei.registry.tests.helpers import audit_rows, binding_key, refused, stored
from jiapei.sim.images import portrait
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


# --- terminal bindings --------------------------------------------------------------------


def test_binding_the_same_pair_again_is_a_no_op(tp, school, db):
    before = stored()
    again = tp.post("devassign", binding_key(school))
    assert again == {"devnum": school.devnum, "carnum": school.carnum, "created": False}
    assert stored() == before


def test_binding_the_same_pair_with_a_new_sim_updates_the_sim(tp, school, db):
    binding = DeviceBinding.objects.get()
    entries = audit_rows(binding).count()
    assert tp.post("devassign", binding_key(school, sim="1440000000002"))["created"] is False
    binding.refresh_from_db()
    assert binding.sim == "1440000000002" and binding.unbound_at is None
    assert DeviceBinding.objects.count() == 1
    assert audit_rows(binding).count() == entries + 1


def test_binding_a_terminal_already_in_another_car_is_refused(tp, school, db):
    other_car = tp.post("trainingcar", f.TrainingCarPayload(inscode=school.inscode))["carnum"]
    payload = {"devnum": school.devnum, "carnum": other_car, "sim": "1440000000001"}
    envelope = refused(
        tp,
        "devassign",
        payload,
        field="devnum",
        value=school.devnum,
        status=409,
        code=ErrorCode.CONFLICT,
    )
    assert school.carnum in envelope["message"]
    assert DeviceBinding.objects.get().car.carnum == school.carnum


def test_binding_a_second_terminal_to_a_car_is_refused(tp, school, db):
    other_device = tp.post("device", f.DevicePayload(inscode=school.inscode))["devnum"]
    payload = {"devnum": other_device, "carnum": school.carnum, "sim": "1440000000009"}
    refused(
        tp,
        "devassign",
        payload,
        field="carnum",
        value=school.carnum,
        status=409,
        code=ErrorCode.CONFLICT,
    )


def test_unbinding_twice_is_fine_and_the_pair_can_be_bound_again(tp, school, db):
    binding = DeviceBinding.objects.get()
    first = tp.post("devrembinding", binding_key(school))
    assert first == {"devnum": school.devnum, "carnum": school.carnum, "unbound": True}
    before = stored()
    second = tp.post("devrembinding", binding_key(school))
    assert second == {**first, "unbound": False}
    assert stored() == before
    binding.refresh_from_db()
    assert binding.unbound_at is not None
    assert tp.post("devassign", binding_key(school))["created"] is True
    assert DeviceBinding.objects.count() == 2
    assert DeviceBinding.objects.filter(unbound_at__isnull=True).count() == 1


def test_withdrawing_a_car_frees_its_terminal(tp, school, db):
    tp.post("trainingcar/delete", {"carnum": school.carnum})
    other_car = tp.post("trainingcar", f.TrainingCarPayload(inscode=school.inscode))["carnum"]
    payload = {"devnum": school.devnum, "carnum": other_car, "sim": "1440000000001"}
    assert tp.post("devassign", payload)["created"] is True
    assert DeviceBinding.objects.get(unbound_at__isnull=True).car.carnum == other_car


# --- uploads ------------------------------------------------------------------------------


def test_uploading_the_same_bytes_twice_returns_the_same_id(tp, db):
    content = portrait(31)
    first = tp.upload("coachimg", content)
    before = stored()
    assert tp.upload("coachimg", content, filename="retry.jpg") == first
    assert stored() == before
    assert tp.upload("coachimg", portrait(32)) != first


def test_the_same_bytes_of_another_type_or_platform_are_another_file(tp, other_tp, db):
    content = portrait(33)
    mine = tp.upload("coachimg", content)
    assert tp.upload("stuimg", content) != mine
    assert other_tp.upload("coachimg", content) != mine
    assert UploadedFile.objects.count() == 3


# --- transfers ----------------------------------------------------------------------------


def test_transfer_to_the_current_school_is_a_no_op(tp, school, db):
    before = stored()
    moved = tp.post("transfer", {"inscode": school.inscode, "stunum": school.stunum})
    assert moved == {"stunum": school.stunum, "inscode": school.inscode, "moved": False}
    assert stored() == before


def test_a_retried_transfer_moves_the_student_once(tp, school, db):
    other = tp.post("institution", f.InstitutionPayload())["inscode"]
    request = {"inscode": other, "stunum": school.stunum}
    assert tp.post("transfer", request)["moved"] is True
    before = stored()
    assert tp.post("transfer", request) == {
        "stunum": school.stunum,
        "inscode": other,
        "moved": False,
    }
    assert stored() == before
    transfer = StudentTransfer.objects.get()
    assert (transfer.from_institution.inscode, transfer.to_institution.inscode) == (
        school.inscode,
        other,
    )
