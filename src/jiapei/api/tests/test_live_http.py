"""The signed timing-platform interface over a real socket, with a signer written here.

The server is pytest-django's ``live_server`` (a real HTTP server thread), the client is
``httpx`` over TCP, and requests are signed by :class:`WireSigner` below, which does not use
``jiapei.signing``: it pads the bare SHA-256 digest itself (PKCS#1 v1.5 type 1, no DigestInfo,
standards.md §2.1) and exponentiates with the key's private numbers.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from jiapei.accounts.models import Role
from jiapei.accounts.services import create_user
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.registry.models import Institution, TimingPlatform, UploadedFile
from jiapei.registry.services import register_platform, set_platform_status
from jiapei.testing import factories as f

SERIAL = "9B64FED25801"
PASSWORD = "live-server-horse-42"


@dataclass
class WireSigner:
    """An independent §2.1 signer: ``hex(RSA(pad1(SHA-256(data ‖ int64_be(ts)))))``."""

    key: rsa.RSAPrivateKey
    serial: str = SERIAL

    def sign(self, data: bytes, ts: int) -> str:
        digest = hashlib.sha256(data + struct.pack(">q", ts)).digest()
        numbers = self.key.private_numbers()
        n, d = numbers.public_numbers.n, numbers.d
        k = (n.bit_length() + 7) // 8
        block = b"\x00\x01" + b"\xff" * (k - len(digest) - 3) + b"\x00" + digest
        return pow(int.from_bytes(block, "big"), d, n).to_bytes(k, "big").hex()  # lower case

    def query(self, data: bytes, ts: int | None = None, *, omit: str = "", **override: Any) -> str:
        """The query string ``v=&ts=&sign=&user=``; ``omit`` drops one, ``override`` replaces."""
        ts = now_ms() if ts is None else ts
        params = {"v": "1.0.0.e1", "ts": ts, "sign": self.sign(data, ts), "user": self.serial}
        params.update(override)
        params.pop(omit, None)
        return urlencode(params)


def now_ms() -> int:
    return clock.epoch_ms()


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (64, 80), (seed % 256, 120, 200))
    image.putpixel((seed % 64, seed % 80), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def signer(key: rsa.RSAPrivateKey) -> WireSigner:
    return WireSigner(key)


@dataclass
class Registered:
    platform: TimingPlatform
    regulator: Any


@pytest.fixture
def registered(transactional_db: Any, key: rsa.RSAPrivateKey, settings: Any) -> Registered:
    """The province regulator and the calling platform, committed so the server thread sees
    them (``live_server`` needs ``transactional_db``)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    regulator = create_user(actor=Actor.system("test"), username="hunan-live", password=PASSWORD,
                            role=Role.PROVINCE_REGULATOR, region_code="430000")  # fmt: skip
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    platform, created = register_platform(
        actor=Actor.for_user(regulator), platnum="A0041", name="计时平台A0041",
        cert_serial=SERIAL, public_key_pem=pem.decode(),
    )  # fmt: skip
    assert created
    return Registered(platform, regulator)


@pytest.fixture
def http(live_server: Any, registered: Registered) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def post_json(http: httpx.Client, path_and_query: str, body: bytes) -> httpx.Response:
    return http.post(path_and_query, content=body, headers={"Content-Type": "application/json"})


def assert_envelope(reply: httpx.Response, status: int, errorcode: int) -> dict[str, Any]:
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    envelope = reply.json()
    assert set(envelope) == {"errorcode", "message", "data"}, envelope
    assert (reply.status_code, envelope["errorcode"]) == (status, errorcode), envelope
    if errorcode:
        assert envelope["message"]
    return envelope


# --- signed filing ----------------------------------------------------------------------------


def test_good_signature_is_filed_once(http, signer, registered):
    body = dumps(f.InstitutionPayload())
    reply = post_json(http, f"/institution?{signer.query(body)}", body)
    data = assert_envelope(reply, 200, 0)["data"]
    assert len(data["inscode"]) == 16 and data["created"] is True
    row = Institution.objects.get()
    assert row.inscode == data["inscode"]
    assert row.platform_id == registered.platform.pk


def test_bad_signature_is_refused_with_1005(http, signer, registered):
    body = dumps(f.InstitutionPayload())
    other_body = dumps(f.InstitutionPayload())
    ts = now_ms()
    forged = post_json(http, f"/institution?{signer.query(other_body, ts)}", body)
    assert_envelope(forged, 401, 1005)
    flipped = signer.sign(body, ts)
    flipped = flipped[:-1] + ("0" if flipped[-1] != "0" else "1")
    reply = post_json(http, f"/institution?{signer.query(body, ts, sign=flipped)}", body)
    assert_envelope(reply, 401, 1005)
    assert not Institution.objects.exists()


def test_ts_ten_minutes_old_is_refused_with_1002_and_nothing_stored(http, signer, registered):
    body = dumps(f.InstitutionPayload())
    reply = post_json(http, f"/institution?{signer.query(body, now_ms() - 600_000)}", body)
    assert_envelope(reply, 401, 1002)
    assert not Institution.objects.exists()


def test_ts_beyond_the_window_in_the_future_is_refused_with_1002(
    http, signer, registered, settings
):
    body = dumps(f.InstitutionPayload())
    ahead = (settings.JIAPEI_SIGNATURE_WINDOW_SECONDS + 60) * 1000
    reply = post_json(http, f"/institution?{signer.query(body, now_ms() + ahead)}", body)
    assert_envelope(reply, 401, 1002)
    assert not Institution.objects.exists()


def test_ts_inside_the_window_is_accepted(http, signer, registered, settings):
    body = dumps(f.InstitutionPayload())
    skew = (settings.JIAPEI_SIGNATURE_WINDOW_SECONDS - 60) * 1000
    reply = post_json(http, f"/institution?{signer.query(body, now_ms() - skew)}", body)
    assert_envelope(reply, 200, 0)


@pytest.mark.parametrize("missing", ["sign", "ts", "user"])
def test_missing_signature_parameter_is_refused_with_1001(http, signer, registered, missing):
    body = dumps(f.InstitutionPayload())
    reply = post_json(http, f"/institution?{signer.query(body, omit=missing)}", body)
    envelope = assert_envelope(reply, 401, 1001)
    assert missing in envelope["message"]
    assert not Institution.objects.exists()


def test_unknown_certificate_serial_is_refused_with_1003(http, signer, registered):
    body = dumps(f.InstitutionPayload())
    reply = post_json(http, f"/institution?{signer.query(body, user='ABCDEF0123')}", body)
    assert_envelope(reply, 401, 1003)
    assert not Institution.objects.exists()


def test_suspended_platform_is_refused_with_1004(http, signer, registered):
    set_platform_status(actor=Actor.for_user(registered.regulator), platnum="A0041",
                        status="suspended", reason="证书过期 (live test)")  # fmt: skip
    body = dumps(f.InstitutionPayload())
    reply = post_json(http, f"/institution?{signer.query(body)}", body)
    assert_envelope(reply, 403, 1004)
    assert not Institution.objects.exists()


def test_a_retried_request_gets_its_first_answer_and_files_nothing_new(http, signer, registered):
    body = dumps(f.InstitutionPayload())
    url = f"/institution?{signer.query(body)}"
    first = post_json(http, url, body)
    again = post_json(http, url, body)
    assert assert_envelope(first, 200, 0)["data"]["created"] is True
    assert assert_envelope(again, 200, 0) == first.json()
    assert again.headers["X-Jiapei-Replayed"] == "first-answer"
    assert Institution.objects.count() == 1


# --- uploads ----------------------------------------------------------------------------------


def test_imageup_is_signed_over_the_raw_file_bytes(http, signer, registered):
    content = jpeg(1)
    reply = http.post(f"/imageup/coachimg?{signer.query(content)}",
                      files={"file": ("coach.jpg", content, "image/jpeg")})  # fmt: skip
    file_id = assert_envelope(reply, 200, 0)["data"]["id"]
    assert file_id
    row = UploadedFile.objects.get(pk=file_id)
    assert row.kind == "coachimg"
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.platform_id == registered.platform.pk


def test_imageup_signed_over_other_bytes_is_refused(http, signer, registered):
    content, other = jpeg(2), jpeg(3)
    reply = http.post(f"/imageup/coachimg?{signer.query(other)}",
                      files={"file": ("coach.jpg", content, "image/jpeg")})  # fmt: skip
    assert_envelope(reply, 401, 1005)
    assert not UploadedFile.objects.exists()


# --- regulators' API and docs -------------------------------------------------------------------


def test_regulator_api_without_credentials_is_a_401_envelope(http, signer, registered):
    assert_envelope(http.get("/api/regulator/areas"), 401, 3002)
    wrong = http.get("/api/regulator/areas", auth=("hunan-live", "not-the-password"))
    assert_envelope(wrong, 401, 3002)
    # A timing platform's signature is no regulator login.
    assert_envelope(http.get(f"/api/regulator/areas?{signer.query(b'')}"), 401, 3002)


def test_regulator_api_with_credentials_lists_areas(http, registered):
    reply = http.get("/api/regulator/areas", auth=("hunan-live", PASSWORD))
    assert_envelope(reply, 200, 0)


def test_docs_and_openapi_are_served(http):
    docs = http.get("/api/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "<html" in docs.text.lower()
    schema = http.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/coach", "/region", "/imageup/{kind}"):
        assert path in paths, sorted(paths)
