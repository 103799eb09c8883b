"""Fixtures shared by the filing tests (``test_validation_*`` and ``test_idempotency_*``).

None is autouse: a module asks for ``fast_passwords`` with
``pytestmark = pytest.mark.usefixtures("fast_passwords")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jiapei.registry.tests.helpers import FiledSchool
from jiapei.signing import Signer
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School, wsgi_client

OTHER_SERIAL = "ABCDEF01"


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    # The platform fixture creates a regulator account; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ins(tp: TimingPlatformClient) -> FiledSchool:
    inscode = tp.post("institution", f.InstitutionPayload())["inscode"]
    return FiledSchool(inscode, tp.upload("coachimg", portrait(1)))


@pytest.fixture
def student_photo(tp: TimingPlatformClient) -> str:
    return tp.upload("stuimg", portrait(777))


@pytest.fixture
def build(school: School, student_photo: str) -> Callable[[str], dict[str, Any]]:
    """A new, valid payload of ``kind`` for the school's institution."""

    def make(kind: str) -> dict[str, Any]:
        if kind == "institution":
            return f.payload(f.InstitutionPayload)
        if kind == "coach":
            return f.payload(f.CoachPayload, inscode=school.inscode, photo=school.photo)
        if kind == "trainingcar":
            return f.payload(f.TrainingCarPayload, inscode=school.inscode)
        if kind == "device":
            return f.payload(f.DevicePayload, inscode=school.inscode)
        return f.payload(f.StudentPayload, inscode=school.inscode, photo=student_photo)

    return make


@pytest.fixture
def other_tp(make_platform: Callable[..., Any], other_platform_key: Any) -> Iterator[Any]:
    """A second timing platform's client, serving none of ``tp``'s institutions."""
    make_platform(other_platform_key, platnum="A0042", serial=OTHER_SERIAL)
    client = wsgi_client(Signer(other_platform_key, OTHER_SERIAL))
    yield client
    client.close()


@pytest.fixture
def other_school(other_tp: TimingPlatformClient) -> str:
    return other_tp.post("institution", f.InstitutionPayload(district="430202"))["inscode"]
