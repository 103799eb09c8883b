"""What the police platform calls: the pre-entry check and exam results, with its token; and
the pass rates regulators read, scoped to their region."""

from __future__ import annotations

import pytest

from jiapei.api.exams import police_token
from jiapei.exams.models import ExamResult


@pytest.fixture
def police(api):
    def call(method, path, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token or police_token()}"}
        return api(None, method, path, headers=headers, **kwargs)

    return call


def test_the_status_check_needs_the_police_token(api, school):
    reply = api(
        None,
        "GET",
        f"/api/police/students/{school.stunum}/status",
        headers={"Authorization": "Bearer wrong"},
    )
    assert reply.status_code == 401 and reply.json()["errorcode"] != 0


def test_a_filed_student_without_sessions_is_not_yet_scheduled(police, school):
    data = police("GET", f"/api/police/students/{school.stunum}/status").json()["data"]
    assert (data["filed"], data["scheduled"]) == (True, False)
    unknown = police("GET", "/api/police/students/4300509999999999/status").json()["data"]
    assert unknown == {"filed": False, "scheduled": False}


def result(school, **overrides):
    return {
        "result_id": "R1",
        "stunum": school.stunum,
        "subject": "1",
        "passed": True,
        "date": "2026-11-26",
        **overrides,
    }


def test_results_are_stored_once_per_police_result(police, school):
    first = police("POST", "/api/police/results", json=result(school))
    again = police("POST", "/api/police/results", json=result(school))
    assert first.json()["data"]["created"] is True
    assert again.json()["data"]["created"] is False
    assert ExamResult.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"), [("subject", "5"), ("stunum", "4300509999999999"), ("date", "26/11/2026")]
)
def test_bad_results_are_refused_by_field(police, school, field, value):
    reply = police("POST", "/api/police/results", json=result(school, **{field: value}))
    assert reply.status_code in (400, 404)
    assert reply.json()["data"]["errors"][0]["field"] == field
    assert ExamResult.objects.count() == 0


def test_pass_rates_by_school_and_subject_in_the_regulators_region(
    police, school, changsha_regulator, zhuzhou_regulator, api
):
    for n, passed in enumerate([True, False, True]):
        police("POST", "/api/police/results", json=result(school, result_id=f"R{n}", passed=passed))
    rows = api(changsha_regulator, "GET", "/api/regulator/pass-rates?start=20261101&end=20261130")
    [row] = rows.json()["data"]
    assert (row["inscode"], row["subject"], row["sittings"], row["passes"]) == (
        school.inscode,
        "1",
        3,
        2,
    )
    assert row["rate"] == pytest.approx(2 / 3, abs=1e-4)
    other = api(zhuzhou_regulator, "GET", "/api/regulator/pass-rates?start=20261101&end=20261130")
    assert other.json()["data"] == []
