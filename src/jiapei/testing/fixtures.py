"""Pytest fixtures shared by every app's tests.

``tp`` is a timing platform's signing client talking to the real WSGI application over
``httpx`` (the same bytes as over a socket); ``filed`` gives a school with its staff, car,
terminal and student filed through that client; regulators come per level and region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jiapei.accounts.models import Role, User
from jiapei.accounts.services import create_user
from jiapei.core.actors import Actor
from jiapei.registry.models import TimingPlatform
from jiapei.registry.services import register_platform
from jiapei.signing import Signer, generate_key, public_pem
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs ~0.3 s per login; tests are not about its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Requests made through ``httpx.WSGITransport`` fire Django's request signals, which close
    the database connection — and with it the test's transaction. Django's own test client
    disconnects the same handler for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def platform_key() -> rsa.RSAPrivateKey:
    return generate_key()


@pytest.fixture(scope="session")
def other_platform_key() -> rsa.RSAPrivateKey:
    return generate_key()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: str, region: str | None = None, username: str | None = None) -> User:
        name = username or f"{role}-{region or 'x'}-{User.objects.count()}"
        return create_user(actor=Actor.system("test"), username=name, password=PASSWORD,
                           role=role, region_code=region)  # fmt: skip

    return make


@pytest.fixture
def province_regulator(make_user: Callable[..., User]) -> User:
    return make_user(Role.PROVINCE_REGULATOR, "430000", "hunan")


@pytest.fixture
def changsha_regulator(make_user: Callable[..., User]) -> User:
    return make_user(Role.CITY_REGULATOR, "430100", "changsha")


@pytest.fixture
def zhuzhou_regulator(make_user: Callable[..., User]) -> User:
    return make_user(Role.CITY_REGULATOR, "430200", "zhuzhou")


@pytest.fixture
def make_platform(province_regulator: User) -> Callable[..., TimingPlatform]:
    def make(key: rsa.RSAPrivateKey, platnum: str = "A0041", serial: str = "9B64FED25801",
             callback_url: str = "") -> TimingPlatform:  # fmt: skip
        platform, _ = register_platform(
            actor=Actor.for_user(province_regulator), platnum=platnum, name=f"计时平台{platnum}",
            cert_serial=serial, public_key_pem=public_pem(key), callback_url=callback_url,
        )  # fmt: skip
        return platform

    return make


@pytest.fixture
def platform(make_platform: Callable[..., TimingPlatform], platform_key: Any) -> TimingPlatform:
    return make_platform(platform_key)


def wsgi_client(signer: Signer) -> TimingPlatformClient:
    from django.core.wsgi import get_wsgi_application

    return TimingPlatformClient(signer, transport=httpx.WSGITransport(app=get_wsgi_application()))


@pytest.fixture
def tp(platform: TimingPlatform, platform_key: Any) -> Iterator[TimingPlatformClient]:
    client = wsgi_client(Signer(platform_key, platform.cert_serial))
    yield client
    client.close()


@pytest.fixture
def api(db: Any) -> Iterator[Callable[..., httpx.Response]]:
    """Call the regulators' API as a user: ``api(user, "GET", "/api/regulator/areas")``."""
    from django.core.wsgi import get_wsgi_application

    http = httpx.Client(base_url="http://testserver",
                        transport=httpx.WSGITransport(app=get_wsgi_application()))  # fmt: skip

    def call(user: User | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        auth = (user.username, PASSWORD) if user is not None else None
        return http.request(method, path, auth=auth, **kwargs)

    yield call
    http.close()


@dataclass
class School:
    """A school filed through the API with one of everything."""

    inscode: str
    coachnum: str
    carnum: str
    devnum: str
    stunum: str
    photo: str


@pytest.fixture
def file_school(tp: TimingPlatformClient) -> Callable[..., School]:
    counter = iter(range(1, 10_000))

    def file(district: str = "430104", client: TimingPlatformClient | None = None) -> School:
        client = client or tp
        n = next(counter)
        inscode = client.post("institution", f.InstitutionPayload(district=district))["inscode"]
        photo = client.upload("coachimg", portrait(n))
        coach = client.post("coach", f.CoachPayload(inscode=inscode, photo=photo))
        car = client.post("trainingcar", f.TrainingCarPayload(inscode=inscode))
        device = client.post("device", f.DevicePayload(inscode=inscode))
        client.post(
            "devassign",
            {"devnum": device["devnum"], "carnum": car["carnum"], "sim": "1440000000001"},
        )
        spic = client.upload("stuimg", portrait(10_000 + n))
        student = client.post("student", f.StudentPayload(inscode=inscode, photo=spic))
        return School(inscode, coach["coachnum"], car["carnum"], device["devnum"],
                      student["stunum"], photo)  # fmt: skip

    return file


@pytest.fixture
def school(file_school: Callable[..., School]) -> School:
    return file_school()


RawPost = Callable[[str, bytes], httpx.Response]


@pytest.fixture
def raw_post(tp: TimingPlatformClient) -> Iterator[RawPost]:
    """POST arbitrary body bytes, correctly signed by ``tp``, to a resource (through the WSGI app,
    so that what Django does with a body before a view runs is tested too)."""
    from django.core.wsgi import get_wsgi_application

    http = httpx.Client(
        base_url="http://testserver", transport=httpx.WSGITransport(app=get_wsgi_application())
    )

    def post(resource: str, body: bytes) -> httpx.Response:
        query = tp.signer.query(body, resource=resource.strip("/"))
        return http.post(
            f"/{resource}?{query}", content=body, headers={"Content-Type": "application/json"}
        )

    yield post
    http.close()
