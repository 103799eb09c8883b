"""A small province for the registry pages' tests: three schools in three regions, filed
through the signed API, with one of every record the registry shows.

* 岳麓区 (长沙, 430104): a school whose coach taught one session, a second coach who never
  taught, an examiner, a safety officer, a fee standard, a car whose terminal was unbound and
  bound again (one past and one current binding) and a car without a terminal.
* 芙蓉区 (长沙, 430102) and 芦淞区 (株洲, 430203): a school each, with a coach, a car, a
  terminal and an examiner; 芦淞区's also has a safety officer and a fee standard.

Users: ``sheng`` (province), ``cs`` (长沙), ``zz`` (株洲), ``yl`` (岳麓区); the ``tp`` fixture
already made the province user ``hunan`` who registered the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from jiapei.accounts.models import Role, User
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import START, post_classrecord

USERS = {
    "sheng": (Role.PROVINCE_REGULATOR, "430000"),
    "cs": (Role.CITY_REGULATOR, "430100"),
    "zz": (Role.CITY_REGULATOR, "430200"),
    "yl": (Role.COUNTY_REGULATOR, "430104"),
}

# The code prefix each user sees.
PREFIX = {"sheng": "43", "cs": "4301", "zz": "4302", "yl": "430104"}


@dataclass
class World:
    yuelu: School
    furong: School
    zhuzhou: School
    idle_coach: str
    examiner: str
    safety_officer: str
    bare_car: str


def build_world(
    tp: TimingPlatformClient,
    file_school: Callable[..., School],
    make_user: Callable[..., Any],
) -> World:
    for username, (role, region) in USERS.items():
        make_user(role, region, username=username)
    yuelu, furong, zhuzhou = (file_school(d) for d in ("430104", "430102", "430203"))
    examiners = {
        s.inscode: tp.post("examiner", f.CoachPayload(inscode=s.inscode))["examnum"]
        for s in (yuelu, furong, zhuzhou)
    }
    safety_officer = tp.post("securityguard", f.CoachPayload(inscode=yuelu.inscode))["secunum"]
    tp.post("securityguard", f.CoachPayload(inscode=zhuzhou.inscode))
    idle_coach = tp.post(
        "coach",
        f.CoachPayload(inscode=yuelu.inscode, photo=tp.upload("coachimg", portrait(777))),
    )["coachnum"]
    bare_car = tp.post("trainingcar", f.TrainingCarPayload(inscode=yuelu.inscode))["carnum"]
    tp.post("charstandard", f.FeePayload(inscode=yuelu.inscode))
    tp.post("charstandard", f.FeePayload(inscode=zhuzhou.inscode))
    binding = {"devnum": yuelu.devnum, "carnum": yuelu.carnum, "sim": "1440000000001"}
    tp.post("devrembinding", binding)
    tp.post("devassign", {**binding, "sim": "1440000000002"})
    photo = tp.upload("stuimg", portrait(888))
    post_classrecord(tp, yuelu, "00001", START, 45, signin=photo, signout=photo)
    return World(
        yuelu=yuelu,
        furong=furong,
        zhuzhou=zhuzhou,
        idle_coach=idle_coach,
        examiner=examiners[yuelu.inscode],
        safety_officer=safety_officer,
        bare_car=bare_car,
    )


class PageClient(Client):
    """Django's test client, leaving the database connection open after each request.

    Django's client reconnects ``close_old_connections`` to the request signals after every
    request; the next signed API call (``tp``, through ``httpx.WSGITransport``) then fires it
    and, on PostgreSQL, closes the connection holding the test's transaction (SQLite's
    in-memory database ignores the close). The ``_keep_test_connection`` fixture disconnects
    it once per test; this keeps it disconnected between a page and the next filing.
    """

    def request(self, **request: Any) -> Any:
        try:
            return super().request(**request)
        finally:
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)


def client_of(username: str) -> PageClient:
    client = PageClient()
    client.force_login(User.objects.get(username=username))
    return client
