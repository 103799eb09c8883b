"""Fences are judged against the province's and cities' real (generalised) boundaries, not a
bounding box: 萍乡 in Jiangxi lies inside Hunan's box but outside Hunan."""

from __future__ import annotations

from jiapei.registry.models import TeachingArea
from jiapei.sim.world import square
from jiapei.testing import factories as f

PINGXIANG = (113.85, 27.62)  # 江西萍乡: inside Hunan's bounding box, outside Hunan
ZHUZHOU = (113.13, 27.83)
CHANGSHA = (112.94, 28.23)


def test_a_fence_in_jiangxi_inside_hunans_box_is_refused(tp, school):
    status, envelope = tp.call(
        "region", f.AreaPayload(inscode=school.inscode, polygon=square(PINGXIANG, 0.3))
    )
    assert (status, envelope["errorcode"]) == (400, 2001)
    assert envelope["data"]["errors"][0]["field"] == "polygon"
    assert "430000" in envelope["message"]
    assert not TeachingArea.objects.exists()


def test_a_fence_in_changsha_is_accepted(tp, school):
    tp.post("region", f.AreaPayload(inscode=school.inscode, polygon=square(CHANGSHA, 0.3)))
    assert TeachingArea.objects.count() == 1


def test_a_city_route_must_lie_in_that_city(api, changsha_regulator, db):
    route = {
        "seq": "7",
        "name": "越界路线",
        "vehicletype": "C1",
        "polygon": square(ZHUZHOU, 1.0),
        "time_windows": [{"start": "09:00", "end": "11:00"}],
    }
    reply = api(changsha_regulator, "POST", "/api/regulator/routes", json=route)
    assert reply.status_code == 400
    assert reply.json()["data"]["errors"][0]["field"] == "polygon"
    assert "430100" in reply.json()["message"]
    ok = api(
        changsha_regulator,
        "POST",
        "/api/regulator/routes",
        json={**route, "polygon": square(CHANGSHA, 1.0)},
    )
    assert ok.status_code == 200
