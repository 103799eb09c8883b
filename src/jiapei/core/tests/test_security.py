"""Security settings seen from outside: headers (CSP, nosniff, referrer, framing), HSTS and secure
cookies behind TLS, session cookies and idle expiry, the allowed host names and the start-up
error, and the modes of the files the service writes."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from jiapei.accounts.models import User
from jiapei.cli.management.commands.serve import require_allowed_hosts
from jiapei.core.tests.test_settings import run_jiapei
from jiapei.testing.fixtures import PASSWORD, School
from jiapei.testing.processes import check_ok, free_port, installation


@pytest.fixture
def http(db: Any) -> Iterator[httpx.Client]:
    from django.core.wsgi import get_wsgi_application

    transport = httpx.WSGITransport(app=get_wsgi_application())
    with httpx.Client(base_url="http://testserver", transport=transport) as client:
        yield client


def policy(reply: httpx.Response) -> dict[str, set[str]]:
    header = reply.headers["Content-Security-Policy"]
    return {d.split()[0]: set(d.split()[1:]) for d in header.split(";") if d.strip()}


def test_pages_carry_a_strict_content_security_policy_and_the_security_headers(
    http: httpx.Client,
):
    for path in ("/admin/login/", "/api/regulator/regions"):
        reply = http.get(path)
        csp = policy(reply)
        assert csp["default-src"] == {"'self'"}, csp
        assert csp["script-src"] == {"'self'"}, csp  # no inline script, no eval
        assert csp["object-src"] == {"'none'"} and csp["frame-ancestors"] == {"'none'"}, csp
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "same-origin"
        assert reply.headers["X-Frame-Options"] == "DENY"
        # Plain HTTP (no JIAPEI_TLS): no HSTS.
        assert "Strict-Transport-Security" not in reply.headers


def test_the_api_docs_work_under_the_policy(http: httpx.Client):
    page = http.get("/api/docs")
    assert page.status_code == 200
    csp = policy(page)
    assert csp["script-src"] == {"'self'"} and csp["img-src"] == {"'self'", "data:"}, csp
    html = page.text
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    for attributes in scripts:
        # Every script is a file from this server; the one inline block is JSON, not code.
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes, html
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert http.get(url).status_code == 200, url
    assert http.get("/api/openapi.json").status_code == 200


def test_the_session_cookie_is_http_only_same_site_and_ends_after_inactivity(
    db: Any, settings: Any
):
    User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    client = Client()
    reply = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert reply.status_code == 302
    cookie = reply.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"]  # gone when the browser closes
    session = Session.objects.get()
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert idle == timedelta(minutes=30)
    assert abs(session.expire_date - (timezone.now() + idle)) < timedelta(seconds=30)

    # Every request renews the session...
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/admin/").status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + idle - timedelta(seconds=30)
    # ...and one left idle past the limit is over.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 302


HEADERS_SCRIPT = """
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="localhost")
reply = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
print("hsts", reply.headers.get("Strict-Transport-Security"))
print("cookies", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
print("redirect", settings.SECURE_SSL_REDIRECT)
print("hosts", ",".join(settings.ALLOWED_HOSTS))
print("evil", Client(HTTP_HOST="evil.example").get("/admin/login/").status_code)
"""


def test_behind_tls_hsts_and_secure_cookies_are_on_and_the_redirect_stays_off(tmp_path: Path):
    tls = check_ok(run_jiapei(tmp_path, "shell", "-c", HEADERS_SCRIPT, JIAPEI_TLS="on"))
    assert "hsts max-age=31536000" in tls, tls
    assert "cookies True True" in tls and "redirect False" in tls, tls
    plain = check_ok(run_jiapei(tmp_path, "shell", "-c", HEADERS_SCRIPT))
    assert "hsts None" in plain and "cookies False False" in plain, plain


def test_only_loopback_names_are_served_by_default(tmp_path: Path):
    output = check_ok(run_jiapei(tmp_path, "shell", "-c", HEADERS_SCRIPT))
    assert "hosts 127.0.0.1,localhost,[::1]" in output, output
    assert "evil 400" in output, output


def test_serving_another_address_without_allowed_hosts_stops_at_start_up(tmp_path: Path):
    port = str(free_port())
    refused = run_jiapei(tmp_path, "serve", "--host", "0.0.0.0", "--port", port)  # noqa: S104
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "JIAPEI_ALLOWED_HOSTS" in refused.stderr, refused.stderr
    assert "serving" not in refused.stdout


def test_allowed_hosts_are_required_only_off_the_loopback(settings: Any):
    settings.ALLOWED_HOSTS = list(settings.LOOPBACK_HOSTS)  # pytest-django adds "testserver"
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        require_allowed_hosts(host)
    for host in ("0.0.0.0", "192.168.1.20", "jiapei.example.gov.cn"):  # noqa: S104
        with pytest.raises(ImproperlyConfigured, match="JIAPEI_ALLOWED_HOSTS"):
            require_allowed_hosts(host)
    settings.ALLOWED_HOSTS = ["jiapei.example.gov.cn"]
    require_allowed_hosts("0.0.0.0")  # noqa: S104


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_the_secret_key_and_the_data_dir_are_private(tmp_path: Path):
    with installation(tmp_path) as inst:
        check_ok(inst.run("migrate", "-v", "0"))
        data = Path(inst.env["JIAPEI_DATA_DIR"])
        assert mode(data) == 0o700
        assert mode(data / "secret_key") == 0o600
        if inst.env["DATABASE_URL"].startswith("sqlite"):
            assert mode(Path(inst.database)) == 0o600
        for path in data.rglob("*"):
            assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_uploaded_files_and_demo_keys_are_private(school: School, settings: Any, tmp_path: Path):
    from jiapei.sim.demo import demo_key

    uploads = list(Path(settings.MEDIA_ROOT).rglob("*"))
    assert any(p.is_file() for p in uploads), uploads  # the school's photo
    for path in uploads:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    settings.DATA_DIR = tmp_path / "data"
    demo_key()
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "demo_platform_key.pem") == 0o600
