"""The student file in a real browser: from the list to a student's file to a session's
evidence (track map, timeline, photos), and a photo served to its region and refused to
another city."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from jiapei.console.tests.students_world import World, ground, world_fixture  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_photo_served_to_its_region_and_refused_to_another_city(
    world: World, as_user: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    make_user("city_regulator", "430100", username="changsha")
    make_user("city_regulator", "430200", username="zhuzhou")
    photo_url = f"/console/photos/{world.photo.pk}/"

    web = as_user("changsha")
    web.go("/console/students/")
    main = web.page.locator("main")
    expect(main).to_contain_text(world.student.name)
    expect(main).not_to_contain_text(world.other_student.name)
    expect(main).not_to_contain_text(world.student.idcard)
    web.shot("student-list")

    web.page.get_by_role("link", name=world.student.stunum).click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text(world.student.name)
    expect(web.page.get_by_role("heading", name="培训进度")).to_be_visible()
    web.shot("student-file")

    web.page.get_by_role("link", name=world.log.rnum).click()
    expect(web.page.get_by_role("heading", level=1)).to_contain_text(world.log.rnum)
    expect(web.page.locator("svg.map")).to_be_visible()
    expect(web.page.locator("svg.chart-strip")).to_be_visible()
    expect(web.page.locator("svg.chart-line")).to_be_visible()
    expect(web.page.get_by_role("cell", name="09:10–09:13")).to_be_visible()
    photo = web.page.locator(f'img[src="{photo_url}"]')
    expect(photo).to_be_visible()
    # The image really arrived and decoded (a refused file would leave a broken image).
    web.page.wait_for_function(
        "src => [...document.images].some(i => i.getAttribute('src') === src && i.naturalWidth)",
        arg=photo_url,
    )
    web.shot("student-session")

    served = web.go(photo_url)
    assert served.status == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    web.go("/console/")
    web.page.get_by_role("button", name="退出登录").click()

    web = as_user("zhuzhou")
    assert web.go(photo_url).status == 404
    assert web.go(world.session_url).status == 404
    assert web.go(f"/console/students/{world.student.pk}/").status == 404
