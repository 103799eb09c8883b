"""Fence pages over HTTP: the review queue and its scoping, the review on the map page and the
``/reviewmsg`` it queues, and the police routes a city enters and a county only reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import enter_police_route, review_area
from jiapei.sim.world import square
from jiapei.testing import factories as f
from jiapei.testing.pages import assert_flat_queries, xlsx_rows

pytestmark = pytest.mark.django_db

# A road corridor inside 长沙 (the service checks the city's boundary).
CHANGSHA_ROUTE = (
    "112.954659,28.236486\n112.985341,28.236486\n112.985341,28.263514\n112.954659,28.263514"
)


def login(make_user: Callable[..., Any], role: str, region: str, username: str) -> Client:
    client = Client()
    client.force_login(make_user(role, region, username=username))
    return client


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-city")


@pytest.fixture
def yuelu(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "county_regulator", "430104", "yuelu")


@pytest.fixture
def zhuzhou(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430200", "zz-city")


def file_area(tp: Any, school: Any, seq: str, **fields: Any) -> TeachingArea:
    """A teaching area filed by the school's timing platform (pending review)."""
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq=seq, **fields))
    return TeachingArea.objects.get(institution__inscode=school.inscode, seq=f"{int(seq):04d}")


def enter_route(user: Any, seq: str, name: str = "岳麓大道") -> TeachingArea:
    route, _ = enter_police_route(
        actor=Actor.for_user(user),
        data={
            "region": "430100",
            "seq": seq,
            "name": name,
            "vehicletype": "C1",
            "polygon": CHANGSHA_ROUTE.replace("\n", ";"),
            "time_windows": [{"start": "09:00", "end": "11:00"}],
        },
    )
    return route


def route_form(**fields: Any) -> dict[str, Any]:
    """What the route form posts: the route and its windows (two rows, one left empty)."""
    return {
        "region": "430100",
        "seq": "7",
        "name": "麓谷路线",
        "address": "麓谷大道—枫林三路",
        "vehicletype": "C1,C2",
        "coordtype": "WGS84",
        "coordinates": CHANGSHA_ROUTE,
        "tw-TOTAL_FORMS": "2",
        "tw-INITIAL_FORMS": "0",
        "tw-0-start": "08:00",
        "tw-0-end": "11:30",
        "tw-0-weekdays": ["1", "2", "3", "4", "5"],
        "tw-1-start": "",
        "tw-1-end": "",
        **fields,
    }


def test_the_queue_lists_pending_areas_first_within_the_region(
    changsha: Client, zhuzhou: Client, tp: Any, file_school: Callable[..., Any], make_user: Any
) -> None:
    school = file_school("430104")
    first = file_area(tp, school, "1", name="老训练场")
    second = file_area(tp, school, "2", name="新训练场")
    elsewhere = file_area(tp, file_school("430203"), "1", name="株洲训练场")
    reviewer = make_user("city_regulator", "430100", username="cs-reviewer")
    review_area(actor=Actor.for_user(reviewer), area_id=second.pk, approve=True)

    page = changsha.get("/console/areas/").content.decode()
    assert "老训练场" in page and "新训练场" in page and "株洲训练场" not in page
    assert page.index("老训练场") < page.index("新训练场"), "pending areas come first"
    pending = changsha.get("/console/areas/", {"status": "pending"}).content.decode()
    assert "老训练场" in pending and "新训练场" not in pending
    by_school = changsha.get("/console/areas/", {"school": school.inscode}).content.decode()
    assert "共 2 条记录" in by_school
    assert "共 0 条记录" in changsha.get("/console/areas/", {"type": "2"}).content.decode()

    rows = xlsx_rows(changsha.get("/console/areas/", {"export": "xlsx", "status": "pending"}))
    assert rows[0][:3] == ["区域编号", "名称", "培训机构"]
    assert [r[1] for r in rows[1:]] == ["老训练场"]

    # Another city's area by its id: not admitted to exist, to read or to review.
    assert zhuzhou.get(f"/console/areas/{first.pk}/").status_code == 404
    decision = {"decision": "approve", "reason": "", "confirm": "on"}
    assert zhuzhou.post(f"/console/areas/{first.pk}/review/", decision).status_code == 404
    assert changsha.get(f"/console/areas/{elsewhere.pk}/").status_code == 404
    first.refresh_from_db()
    assert first.status == "pending"


def test_an_area_approved_on_its_map_page_queues_the_reviewmsg(
    changsha: Client, tp: Any, school: Any, province_regulator: Any
) -> None:
    area = file_area(tp, school, "1")
    other = file_area(tp, school, "2", name="第二块场地")
    route = enter_route(province_regulator, "1", name="岳麓大道路线")
    page = changsha.get(f"/console/areas/{area.pk}/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="map"' in page
    assert "map-area-other" in page and "map-route" in page
    assert "该机构其他教学区域 1 个" in page and "长沙市公安指定路线 1 条" in page
    assert f"/console/areas/{other.pk}/" in page and f"/console/routes/{route.pk}/" in page
    assert "驳回时必须填写理由" in page and "尚未审核" in page

    response = changsha.post(
        f"/console/areas/{area.pk}/review/",
        {"decision": "approve", "reason": "场地与备案一致", "confirm": "on"},
    )
    assert response.status_code == 302 and response["Location"] == f"/console/areas/{area.pk}/"
    area.refresh_from_db()
    assert (area.status, area.review_reason) == ("approved", "场地与备案一致")
    entry = AuditLogEntry.objects.get(action="region.review", object_id=str(area.pk))
    message = OutboxMessage.objects.get(idempotency_key=f"reviewmsg:{entry.pk}")
    assert message.payload == {
        "reviewtype": "1",
        "data": {"inscode": school.inscode, "seq": area.seq},
    }

    page = changsha.get(response["Location"]).content.decode()
    assert "审核结论已保存" in page and f'data-outbox="reviewmsg:{entry.pk}"' in page
    assert "待发送" in page and "提交审核结论" not in page
    # Deciding again is refused by the service, on the form.
    again = changsha.post(
        f"/console/areas/{area.pk}/review/", {"decision": "reject", "reason": "x", "confirm": "on"}
    )
    assert again.status_code == 200 and "不能审核" in again.content.decode()


def test_rejecting_needs_a_reason_and_a_county_may_review_its_own(
    yuelu: Client, tp: Any, school: Any
) -> None:
    area = file_area(tp, school, "1")
    path = f"/console/areas/{area.pk}/review/"
    refused = yuelu.post(path, {"decision": "reject", "reason": " ", "confirm": "on"})
    assert refused.status_code == 200
    assert "驳回须说明原因" in refused.content.decode()
    area.refresh_from_db()
    assert area.status == "pending" and not OutboxMessage.objects.exists()
    unconfirmed = yuelu.post(path, {"decision": "approve", "reason": ""})
    assert unconfirmed.status_code == 200 and not OutboxMessage.objects.exists()

    done = yuelu.post(path, {"decision": "reject", "reason": "围栏超出场地", "confirm": "on"})
    assert done.status_code == 302
    area.refresh_from_db()
    assert (area.status, area.review_reason) == ("rejected", "围栏超出场地")
    assert OutboxMessage.objects.filter(path="/reviewmsg").count() == 1


def test_queue_and_area_pages_do_not_grow_queries_with_rows(
    changsha: Client, tp: Any, school: Any, province_regulator: Any
) -> None:
    area = file_area(tp, school, "1")
    seqs = iter(range(2, 100))

    def more_areas() -> None:
        for _ in range(3):
            file_area(tp, school, str(next(seqs)))

    assert_flat_queries(changsha, "/console/areas/", more_areas)
    enter_route(province_regulator, "1")
    approve = {"decision": "approve", "confirm": "on"}
    changsha.post(f"/console/areas/{area.pk}/review/", approve)

    def more_of_everything() -> None:
        more_areas()
        enter_route(province_regulator, str(next(seqs)))
        # Filed again with another shape, the area is reviewed again: two decisions, two calls.
        file_area(tp, school, "1", polygon=square((112.91, 28.21), 0.3))
        assert changsha.post(f"/console/areas/{area.pk}/review/", approve).status_code == 302

    assert_flat_queries(changsha, f"/console/areas/{area.pk}/", more_of_everything)
    assert_flat_queries(changsha, "/console/routes/", lambda: enter_route(province_regulator, "98"))
    route = TeachingArea.objects.filter(police_designated=True).first()
    assert route is not None
    assert_flat_queries(
        changsha, f"/console/routes/{route.pk}/", lambda: enter_route(province_regulator, "99")
    )


def test_a_city_enters_and_edits_a_route_on_the_drawn_form(changsha: Client) -> None:
    form = changsha.get("/console/routes/new/").content.decode()
    assert "每行一个点" in form and "路线预览" in form

    preview = changsha.post("/console/routes/new/", route_form(preview="1")).content.decode()
    assert "map-route" in preview and "4 个点" in preview
    assert not TeachingArea.objects.filter(police_designated=True).exists()

    response = changsha.post("/console/routes/new/", route_form())
    route = TeachingArea.objects.get(police_designated=True)
    assert response.status_code == 302 and response["Location"] == f"/console/routes/{route.pk}/"
    assert (route.region_id, route.seq, route.name, route.vehicletype) == (
        "430100",
        "0007",
        "麓谷路线",
        "C1,C2",
    )
    assert route.time_windows == [{"start": "08:00", "end": "11:30", "weekdays": [1, 2, 3, 4, 5]}]
    assert len(route.polygon) == 5 and route.status == "approved"
    page = changsha.get(response["Location"]).content.decode()
    assert "周一至周五 08:00–11:30" in page and "修改路线" in page

    edit = f"/console/routes/{route.pk}/edit/"
    assert "112.954659,28.236486" in changsha.get(edit).content.decode()
    changed = route_form(
        name="麓谷路线（调整）",
        seq="8",  # disabled on the form: a route keeps its number
        **{"tw-0-start": "14:00", "tw-0-end": "17:00", "tw-0-weekdays": []},
    )
    assert changsha.post(edit, changed).status_code == 302
    route.refresh_from_db()
    assert (route.seq, route.name) == ("0007", "麓谷路线（调整）")
    assert route.time_windows == [
        {"start": "14:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5, 6, 7]}
    ]
    assert TeachingArea.objects.filter(police_designated=True).count() == 1

    # A new route may not take an existing route's number (the service would update that one).
    taken = changsha.post("/console/routes/new/", route_form(seq="0007", name="另一条"))
    assert taken.status_code == 200 and "该市州已有此编号的路线" in taken.content.decode()
    assert TeachingArea.objects.get(police_designated=True).name == "麓谷路线（调整）"


def test_the_route_form_names_each_problem(changsha: Client) -> None:
    outside = route_form(coordinates="113.5,27.0\n113.6,27.0\n113.6,27.1")
    page = changsha.post("/console/routes/new/", outside).content.decode()
    assert "不在本市州范围内" in page and 'href="#id_coordinates"' in page
    backwards = route_form(**{"tw-0-start": "12:00", "tw-0-end": "09:00"})
    page = changsha.post("/console/routes/new/", backwards).content.decode()
    assert "开始早于结束" in page
    nothing = route_form(**{"tw-0-start": "", "tw-0-end": ""})
    assert "至少填写一个训练时段" in changsha.post("/console/routes/new/", nothing).content.decode()
    assert not TeachingArea.objects.filter(police_designated=True).exists()


def test_a_county_reads_its_citys_routes_but_may_not_enter_them(
    yuelu: Client, zhuzhou: Client, province_regulator: Any, make_user: Any
) -> None:
    route = enter_route(province_regulator, "1", name="岳麓大道路线")
    listing = yuelu.get("/console/routes/").content.decode()
    assert "岳麓大道路线" in listing and "录入路线" not in listing
    rows = xlsx_rows(yuelu.get("/console/routes/", {"export": "xlsx"}))
    assert rows[1][1:5] == ["岳麓大道路线", "长沙市", "C1", "每天 09:00–11:00"]
    detail = yuelu.get(f"/console/routes/{route.pk}/").content.decode()
    assert "map-route" in detail and "修改路线" not in detail
    assert yuelu.get("/console/routes/new/").status_code == 403
    assert yuelu.get(f"/console/routes/{route.pk}/edit/").status_code == 403
    assert yuelu.post("/console/routes/new/", route_form()).status_code == 403

    # Another city: the route does not exist for it, and it may not enter one for 长沙.
    assert "岳麓大道路线" not in zhuzhou.get("/console/routes/").content.decode()
    assert zhuzhou.get(f"/console/routes/{route.pk}/").status_code == 404
    assert zhuzhou.get(f"/console/routes/{route.pk}/edit/").status_code == 404
    refused = zhuzhou.post("/console/routes/new/", route_form())
    assert refused.status_code == 200 and "region" in refused.context["form"].errors
    assert TeachingArea.objects.filter(police_designated=True).count() == 1

    # The province enters a route for one of its cities.
    sheng = Client()
    sheng.force_login(make_user("province_regulator", "430000", username="sheng"))
    assert "长沙市" in sheng.get("/console/routes/new/").content.decode()
    response = sheng.post("/console/routes/new/", route_form(seq="2", name="省定路线"))
    assert response.status_code == 302
    assert TeachingArea.objects.get(name="省定路线").region_id == "430100"
