"""The registry's detail pages over HTTP: another region's id (or another role's) is a 404,
personal data is masked, platform credentials are the province's, bindings current and past
are shown, and the query count does not grow with related rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.console.tests.registry_world import World, build_world, client_of
from jiapei.core.actors import Actor
from jiapei.registry.models import Device, Institution, Personnel, TimingPlatform, TrainingCar
from jiapei.registry.services.revocation import set_filing_revoked
from jiapei.testing import factories as f
from jiapei.testing.pages import assert_flat_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tp: Any, file_school: Callable[..., Any], make_user: Callable[..., Any]) -> World:
    return build_world(tp, file_school, make_user)


def pages_of(school_inscode: str) -> list[str]:
    """Every detail and action page of one school's records."""
    school = Institution.objects.get(inscode=school_inscode)
    people = Personnel.objects.filter(institution=school)
    prefix = {"coach": "coaches", "examiner": "examiners", "securityguard": "safety-officers"}
    urls = [f"/console/institutions/{school.pk}/"]
    for person in people:
        base = f"/console/{prefix[person.role]}/{person.pk}/"
        urls += [base, base + "revoke/", base + "restore/"]
    for car in TrainingCar.objects.filter(institution=school):
        urls += [f"/console/cars/{car.pk}/", f"/console/cars/{car.pk}/revoke/"]
    urls += [f"/console/terminals/{d.pk}/" for d in Device.objects.filter(institution=school)]
    return urls


def test_another_regions_ids_are_not_found(world: World) -> None:
    for username, foreign in (("zz", world.yuelu), ("cs", world.zhuzhou), ("yl", world.furong)):
        client = client_of(username)
        for url in pages_of(foreign.inscode):
            assert client.get(url).status_code == 404, (username, url)
            if url.endswith(("revoke/", "restore/")):
                posted = client.post(url, {"reason": "越权", "confirm": "on"})
                assert posted.status_code == 404, (username, url)
    assert Personnel.objects.filter(filing_status="revoked").count() == 0
    # Their own records answer.
    for url in pages_of(world.zhuzhou.inscode):
        assert client_of("zz").get(url).status_code == 200, url


def test_a_person_is_found_only_under_their_own_role(world: World) -> None:
    coach = Personnel.objects.get(number=world.yuelu.coachnum)
    client = client_of("cs")
    assert client.get(f"/console/coaches/{coach.pk}/").status_code == 200
    assert client.get(f"/console/examiners/{coach.pk}/").status_code == 404
    assert client.get(f"/console/safety-officers/{coach.pk}/revoke/").status_code == 404


def test_person_page_masks_personal_data_and_says_when_a_coach_never_taught(
    world: World,
) -> None:
    client = client_of("yl")
    idle = Personnel.objects.get(number=world.idle_coach)
    page = client.get(f"/console/coaches/{idle.pk}/").content.decode()
    assert idle.idcard not in page and idle.mobile not in page
    assert idle.idcard[:4] + "*" * 10 + idle.idcard[-4:] in page
    assert "从未带教" in page
    taught = Personnel.objects.get(number=world.yuelu.coachnum)
    page = client.get(f"/console/coaches/{taught.pk}/").content.decode()
    assert "从未带教" not in page and "2026-11-20 09:00" in page


def test_history_masks_a_refiled_phone_number(world: World, tp: Any) -> None:
    coach = Personnel.objects.get(number=world.idle_coach)
    old = coach.mobile
    tp.post("coach", {**f.CoachPayload(inscode=world.yuelu.inscode), "idcard": coach.idcard,
                      "mobile": "13912345678", "coachnum": coach.number,
                      "photo": str(coach.photo_id)})  # fmt: skip
    page = client_of("cs").get(f"/console/coaches/{coach.pk}/").content.decode()
    assert "13912345678" not in page and old not in page
    assert "139****5678" in page


def test_platform_credentials_are_the_provinces(world: World) -> None:
    platform = TimingPlatform.objects.get()
    url = f"/console/platforms/{platform.pk}/"
    province = client_of("sheng").get(url).content.decode()
    assert platform.cert_serial in province and "暂停" in province
    city = client_of("cs").get(url).content.decode()
    assert platform.cert_serial not in city
    assert "仅省级监管部门可见" in city
    assert f"/console/platforms/{platform.pk}/suspend/" not in city
    # The schools the platform serves: the city's only, by name.
    assert Institution.objects.get(inscode=world.yuelu.inscode).name in city
    assert Institution.objects.get(inscode=world.zhuzhou.inscode).name not in city


def test_car_and_terminal_pages_show_current_and_past_bindings(world: World) -> None:
    client = client_of("cs")
    car = TrainingCar.objects.get(carnum=world.yuelu.carnum)
    page = client.get(f"/console/cars/{car.pk}/").content.decode()
    assert page.count("1440000000001") == 1 and page.count("1440000000002") == 1
    # The current binding first, then the past ones (on both databases' NULL ordering).
    assert page.index("<strong>当前绑定</strong>") < page.index("<td>已解绑</td>")
    assert "解除终端绑定" in page  # the binding's own audit row in the history
    bare = TrainingCar.objects.get(carnum=world.bare_car)
    page = client.get(f"/console/cars/{bare.pk}/").content.decode()
    assert "无绑定终端" in page and "从未绑定计时终端" in page
    device = Device.objects.get(devnum=world.yuelu.devnum)
    page = client.get(f"/console/terminals/{device.pk}/").content.decode()
    assert world.yuelu.carnum in page and "已解绑" in page


def test_institution_page_links_to_its_records(world: World) -> None:
    school = Institution.objects.get(inscode=world.yuelu.inscode)
    page = client_of("cs").get(f"/console/institutions/{school.pk}/").content.decode()
    for kind in ("coaches", "examiners", "safety-officers", "cars", "terminals", "fees"):
        assert f'href="/console/{kind}/?school={school.pk}"' in page, kind
    # The students' list takes the school's number, and lists exactly its students.
    assert f'href="/console/students/?school={school.inscode}"' in page
    students = client_of("cs").get("/console/students/", {"school": school.inscode})
    assert world.yuelu.stunum in students.content.decode()
    assert world.furong.stunum not in students.content.decode()


def test_details_do_not_grow_queries_with_related_rows(world: World, tp: Any) -> None:
    client = client_of("cs")
    school = Institution.objects.get(inscode=world.yuelu.inscode)
    coach = Personnel.objects.get(number=world.yuelu.coachnum)
    examiner = Personnel.objects.get(number=world.examiner)
    guard = Personnel.objects.get(number=world.safety_officer)
    car = TrainingCar.objects.get(carnum=world.yuelu.carnum)
    device = Device.objects.get(devnum=world.yuelu.devnum)
    platform = TimingPlatform.objects.get()
    actor = Actor.for_user(client_of_user("cs"))

    def churn() -> None:
        """More history rows for every page, another binding, another school, more logs."""
        for person in (coach, examiner, guard):
            for revoked in (True, False):
                set_filing_revoked(actor=actor, kind=person.role, number=person.number,
                                   revoked=revoked, reason="复核")  # fmt: skip
        for revoked in (True, False):
            set_filing_revoked(actor=actor, kind="trainingcar", number=car.carnum,
                               revoked=revoked, reason="复核")  # fmt: skip
        binding = {"devnum": device.devnum, "carnum": car.carnum, "sim": "1440000000003"}
        tp.post("devrembinding", binding)
        tp.post("devassign", binding)
        tp.post("coach", {**f.CoachPayload(inscode=school.inscode),
                          "photo": str(coach.photo_id)})  # fmt: skip

    urls = [
        f"/console/institutions/{school.pk}/",
        f"/console/coaches/{coach.pk}/",
        f"/console/examiners/{examiner.pk}/",
        f"/console/safety-officers/{guard.pk}/",
        f"/console/cars/{car.pk}/",
        f"/console/terminals/{device.pk}/",
        f"/console/platforms/{platform.pk}/",
    ]
    for url in urls:
        assert_flat_queries(client, url, churn)


def client_of_user(username: str) -> Any:
    from jiapei.accounts.models import User

    return User.objects.get(username=username)
