"""The registry's actions through their pages (POST, no JSON): revoking and restoring a
filing, and the province's suspending, revoking and restoring of a timing platform. Each
writes its audit-log row and tells the platform through the outbox; the wrong level is
refused before the form is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiapei.console.tests.registry_world import World, build_world, client_of
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.registry.models import Personnel, TimingPlatform, TrainingCar

pytestmark = pytest.mark.django_db

CONFIRMED = {"reason": "资质证书过期", "confirm": "on"}


@pytest.fixture
def world(tp: Any, file_school: Callable[..., Any], make_user: Callable[..., Any]) -> World:
    return build_world(tp, file_school, make_user)


def record_changes() -> list[dict[str, Any]]:
    return [m.payload for m in OutboxMessage.objects.order_by("pk") if "recordchange" in m.path]


@pytest.mark.parametrize(
    ("username", "prefix", "kind", "number"),
    [
        ("cs", "coaches", "coach", "coachnum"),
        ("yl", "examiners", "examiner", "examiner"),
        ("sheng", "safety-officers", "securityguard", "safety_officer"),
        ("yl", "cars", "trainingcar", "carnum"),
    ],
)
def test_revoke_and_restore_a_filing_from_its_page(
    world: World, username: str, prefix: str, kind: str, number: str
) -> None:
    value = getattr(world.yuelu, number, None) or getattr(world, number)
    row: Any = (
        TrainingCar.objects.get(carnum=value)
        if kind == "trainingcar"
        else Personnel.objects.get(number=value)
    )
    client = client_of(username)
    detail = f"/console/{prefix}/{row.pk}/"
    assert f"{detail}revoke/" in client.get(detail).content.decode()
    form = client.get(f"{detail}revoke/")
    assert form.status_code == 200 and "理由" in form.content.decode()

    # No reason, or no confirmation: refused on the form, nothing changes.
    for data in ({"confirm": "on"}, {"reason": "资质证书过期"}):
        refused = client.post(f"{detail}revoke/", data)
        assert refused.status_code == 200 and "错误" in refused.content.decode()
    row.refresh_from_db()
    assert row.filing_status == "active"

    done = client.post(f"{detail}revoke/", CONFIRMED)
    assert done.status_code == 302 and done["Location"] == detail
    row.refresh_from_db()
    assert (row.filing_status, row.status_reason) == ("revoked", "资质证书过期")
    entry = AuditLogEntry.objects.filter(action=f"{kind}.revoke").get()
    assert entry.actor_user is not None and entry.actor_user.username == username
    assert (entry.object_id, entry.reason) == (str(row.pk), "资质证书过期")
    assert record_changes()[-1]["changetype"] == "0"

    page = client.get(detail).content.decode()
    assert "已撤销" in page and "资质证书过期" in page and "撤销备案" in page
    assert f"{detail}restore/" in page and f"{detail}revoke/" not in page

    client.post(f"{detail}restore/", {"reason": "已换证", "confirm": "on"})
    row.refresh_from_db()
    assert (row.filing_status, row.status_reason) == ("active", "已换证")
    assert AuditLogEntry.objects.filter(action=f"{kind}.restore", reason="已换证").exists()
    assert record_changes()[-1]["changetype"] == "1"


def test_the_province_suspends_revokes_and_restores_a_platform(world: World) -> None:
    platform = TimingPlatform.objects.get()
    detail = f"/console/platforms/{platform.pk}/"
    client = client_of("sheng")
    assert client.post(detail + "suspend/", {"confirm": "on"}).status_code == 200  # no reason
    platform.refresh_from_db()
    assert platform.status == "active"

    done = client.post(detail + "suspend/", {"reason": "连续三日未上传", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == detail
    platform.refresh_from_db()
    assert (platform.status, platform.status_reason) == ("suspended", "连续三日未上传")
    entry = AuditLogEntry.objects.filter(action="platform.status").latest("pk")
    assert entry.reason == "连续三日未上传" and entry.actor_user.username == "sheng"
    # Every school the platform serves (3) is told it is not usable.
    assert [m["changetype"] for m in record_changes()] == ["0", "0", "0"]
    page = client.get(detail).content.decode()
    assert "暂停" in page and "连续三日未上传" in page and "变更计时平台状态" in page
    assert detail + "restore/" in page and detail + "suspend/" not in page

    client.post(detail + "revoke/", {"reason": "证书泄露", "confirm": "on"})
    platform.refresh_from_db()
    assert platform.status == "revoked"
    client.post(detail + "restore/", {"reason": "", "confirm": "on"})
    platform.refresh_from_db()
    assert platform.status == "active"
    assert AuditLogEntry.objects.filter(action="platform.status").count() == 3


@pytest.mark.parametrize("username", ["cs", "zz", "yl"])
def test_cities_and_counties_may_not_manage_platforms(world: World, username: str) -> None:
    platform = TimingPlatform.objects.get()
    client = client_of(username)
    for verb in ("suspend", "revoke", "restore"):
        url = f"/console/platforms/{platform.pk}/{verb}/"
        assert client.get(url).status_code == 403
        refused = client.post(url, {"reason": "越权", "confirm": "on"})
        assert refused.status_code == 403
        assert "省级" in refused.content.decode()
    platform.refresh_from_db()
    assert platform.status == "active"
    assert not AuditLogEntry.objects.filter(action="platform.status").exists()


def test_a_withdrawn_filing_shows_no_action_and_refuses_one(world: World, tp: Any) -> None:
    tp.post("trainingcar/delete", {"inscode": world.yuelu.inscode, "carnum": world.bare_car})
    car = TrainingCar.objects.get(carnum=world.bare_car)
    assert car.filing_status == "deleted"
    client = client_of("cs")
    page = client.get(f"/console/cars/{car.pk}/").content.decode()
    assert "/revoke/" not in page and "/restore/" not in page
    refused = client.post(f"/console/cars/{car.pk}/revoke/", CONFIRMED)
    assert refused.status_code == 200 and "已由计时平台注销" in refused.content.decode()
