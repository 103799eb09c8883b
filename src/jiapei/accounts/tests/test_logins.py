"""Logins are throttled (django-axes) wherever a password is tried: HTTP Basic on the regulators'
API and the admin's login page (the console's login view uses the same backend and middleware).
Anonymous calls to the API are told to authenticate; a session's writes still need CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.utils import timezone

from jiapei.accounts.models import User
from jiapei.api.tests.scope_helpers import platform_body
from jiapei.registry.models import TimingPlatform
from jiapei.testing.fixtures import PASSWORD

ENVELOPE_KEYS = {"errorcode", "message", "data"}


@pytest.fixture
def http(db: Any) -> Iterator[httpx.Client]:
    from django.core.wsgi import get_wsgi_application

    transport = httpx.WSGITransport(app=get_wsgi_application())
    with httpx.Client(base_url="http://testserver", transport=transport) as client:
        yield client


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The usernames whose password the model backend checked (each check hashes)."""
    checked: list[str] = []
    original = ModelBackend.authenticate

    def counting(self: Any, request: Any, username: Any = None, password: Any = None, **kw: Any):
        checked.append(username)
        return original(self, request, username=username, password=password, **kw)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def envelope(reply: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    body = reply.json()
    assert (reply.status_code, body.get("errorcode")) == (status, errorcode), reply.text
    assert set(body) == ENVELOPE_KEYS, body
    return body


def test_thirty_wrong_basic_passwords_lock_the_caller_out_even_with_the_right_one(
    http: httpx.Client, changsha_regulator: User, hashes: list[str]
):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = []
    for _ in range(30):
        reply = http.get("/api/regulator/regions", auth=("changsha", "wrong-password-123"))
        statuses.append(reply.status_code)
        assert reply.json()["errorcode"] == 3002, reply.text
    # Refused as wrong until the limit; from the limit-th failure on, locked out.
    assert statuses == [401] * (limit - 1) + [429] * (30 - limit + 1)
    # Once locked out, no password is hashed: a guesser costs no PBKDF2 time.
    assert len(hashes) == limit

    right = http.get("/api/regulator/regions", auth=("changsha", PASSWORD))
    body = envelope(right, 429, 3002)
    minutes = settings.AXES_COOLOFF_TIME.total_seconds() // 60
    assert f"{minutes:.0f}" in body["message"], body
    assert right.headers["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert len(hashes) == limit

    # The cool-off over, the right password works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    envelope(http.get("/api/regulator/regions", auth=("changsha", PASSWORD)), 200, 0)


def test_a_lockout_is_per_account_and_address_so_colleagues_can_still_log_in(
    http: httpx.Client, changsha_regulator: User, zhuzhou_regulator: User
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        http.get("/api/regulator/regions", auth=("changsha", "wrong-password-123"))
    envelope(http.get("/api/regulator/regions", auth=("changsha", PASSWORD)), 429, 3002)
    envelope(http.get("/api/regulator/regions", auth=("zhuzhou", PASSWORD)), 200, 0)


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser("root", "root@example.invalid", PASSWORD)


def test_twenty_wrong_admin_passwords_keep_the_superuser_out_even_with_the_right_one(
    superuser: User, hashes: list[str]
):
    client = Client()
    for _ in range(20):
        client.post("/admin/login/", {"username": "root", "password": "wrong-password-123"})
    reply = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert reply.status_code == 429, reply.status_code
    assert reply["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert len(hashes) == settings.AXES_FAILURE_LIMIT

    # Unthrottled, the same login succeeds: the lockout, not the form, refused it.
    AccessAttempt.objects.all().delete()
    reply = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert reply.status_code == 302, reply.status_code
    assert client.get("/admin/").status_code == 200


def test_an_anonymous_post_is_told_to_authenticate_not_about_csrf(http: httpx.Client):
    reply = http.post("/api/regulator/platforms", json=platform_body("D0051"))
    envelope(reply, 401, 3002)
    envelope(http.get("/api/regulator/platforms"), 401, 3002)
    assert not TimingPlatform.objects.filter(platnum="D0051").exists()


def test_a_basic_auth_post_needs_no_csrf_token(http: httpx.Client, province_regulator: User):
    reply = http.post(
        "/api/regulator/platforms", json=platform_body("D0052"), auth=("hunan", PASSWORD)
    )
    envelope(reply, 200, 0)


def test_a_session_post_still_needs_the_csrf_token(province_regulator: User):
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_regulator)
    path = "/api/regulator/platforms"
    forged = client.post(path, platform_body("D0053"), content_type="application/json")
    assert (forged.status_code, forged.json()["errorcode"]) == (403, 3001), forged.content
    assert not TimingPlatform.objects.filter(platnum="D0053").exists()

    token = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    reply = client.post(
        path, platform_body("D0053"), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert (reply.status_code, reply.json()["errorcode"]) == (200, 0), reply.content


def test_axes_guards_every_login_view(settings: Any):
    """The console's coming login page (Django's LoginView) is throttled by the same pieces."""
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
