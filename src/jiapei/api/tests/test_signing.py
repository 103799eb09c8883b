"""The §2.1 request signature against a vector made independently with the openssl CLI.

``sign = HEX(RSA PKCS#1 v1.5 type-1 over the BARE SHA-256(body ‖ int64_be(ts)))``, with no
DigestInfo. ``data/`` holds a TEST-ONLY key, a body, a ts and the signature ``openssl pkeyutl``
made from them (see ``data/README.txt`` for the exact commands). PKCS#1 v1.5 padding is
deterministic, so jiapei's signer must reproduce the vector byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from jiapei.core import clock
from jiapei.signing import Signer, digest, verify

DATA = Path(__file__).parent / "data"
KEY_PEM = DATA / "vector_key.pem"
SERIAL = "9B64FED25801"


def _private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(KEY_PEM.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return _private_key()


@pytest.fixture(scope="module")
def public_key(key: rsa.RSAPrivateKey) -> rsa.RSAPublicKey:
    return key.public_key()


@pytest.fixture(scope="module")
def body() -> bytes:
    return (DATA / "vector_body.json").read_bytes()


@pytest.fixture(scope="module")
def ts() -> int:
    return int((DATA / "vector_ts.txt").read_text().strip())


@pytest.fixture(scope="module")
def expected() -> str:
    return (DATA / "vector_sign.hex").read_text().strip()


def _flip_bit(sign_hex: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(sign_hex))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex().upper()


# --- the committed vector -------------------------------------------------------------------


def test_vector_files_are_what_the_readme_says(body, ts, expected, key):
    assert "长沙" in body.decode("utf-8") and not body.endswith(b"\n")
    assert ts == 1767225600000
    assert key.key_size == 2048
    assert len(expected) == 512
    assert "TEST-ONLY" in (DATA / "README.txt").read_text()


def test_digest_is_sha256_of_body_and_ts_as_int64_big_endian(body, ts):
    independent = hashlib.sha256(body + ts.to_bytes(8, "big", signed=True)).digest()
    assert digest(body, ts) == independent
    assert digest(body, ts).hex() == (DATA / "vector_digest.hex").read_text().strip()


def test_signer_reproduces_the_openssl_vector_exactly(key, body, ts, expected):
    produced = Signer(key, SERIAL).sign(body, ts)
    assert produced.lower() == expected.lower()
    assert len(produced) == 512


def test_verify_accepts_the_vector_in_either_case(public_key, body, ts, expected):
    assert verify(public_key, body, ts, expected.upper())
    assert verify(public_key, body, ts, expected.lower())


@pytest.mark.parametrize("bit", [0, 7, 1000, 2047])
def test_verify_rejects_a_flipped_bit(public_key, body, ts, expected, bit):
    assert not verify(public_key, body, ts, _flip_bit(expected, bit))


@pytest.mark.parametrize("delta", [1, -1, 1000])
def test_verify_rejects_a_different_ts(public_key, body, ts, expected, delta):
    assert not verify(public_key, body, ts + delta, expected)


def test_verify_rejects_a_different_body(public_key, body, ts, expected):
    assert not verify(public_key, body.replace("长沙".encode(), "株洲".encode()), ts, expected)
    assert not verify(public_key, body + b" ", ts, expected)
    assert not verify(public_key, b"", ts, expected)


def test_verify_rejects_a_digestinfo_wrapped_signature(key, public_key, body, ts, expected):
    """``cryptography``'s normal PKCS#1 v1.5 signature wraps the digest in DigestInfo; the
    wire format signs the bare 32 bytes, so such a signature must not verify."""
    data = body + ts.to_bytes(8, "big", signed=True)
    wrapped = key.sign(data, padding.PKCS1v15(), hashes.SHA256()).hex().upper()
    prehashed = key.sign(
        hashlib.sha256(data).digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    ).hex()
    assert wrapped.lower() == prehashed.lower() != expected.lower()
    assert not verify(public_key, body, ts, wrapped)
    # …and the wire signature is not a DigestInfo one either.
    public_key.verify(bytes.fromhex(wrapped), data, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public_key.verify(bytes.fromhex(expected), data, padding.PKCS1v15(), hashes.SHA256())


def test_verify_rejects_another_key(public_key, body, ts, expected):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not verify(other.public_key(), body, ts, expected)
    assert not verify(public_key, body, ts, Signer(other, SERIAL).sign(body, ts))


@pytest.mark.parametrize(
    "garbage",
    ["", "zz", "ABC", "00" * 256, "FF" * 256, "00" * 255, "00" * 257],
    ids=["empty", "non-hex", "odd-length", "zeros", "over-modulus", "short", "long"],
)
def test_verify_rejects_malformed_signatures_without_raising(public_key, body, ts, garbage):
    assert verify(public_key, body, ts, garbage) is False


def test_signer_request_signs_exactly_the_bytes_it_returns(key, public_key):
    from urllib.parse import parse_qs, urlsplit

    path, sent = Signer(key, SERIAL).request("coach", {"name": "教练员甲"}, ts=1767225600123)
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    assert urlsplit(path).path == "/coach"
    assert query["ts"] == "1767225600123" and query["user"] == SERIAL
    assert "教练员甲".encode() in sent
    assert verify(public_key, sent, 1767225600123, query["sign"])


# --- live interoperability with the openssl command line ------------------------------------

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not on PATH")


@needs_openssl
def test_jiapei_verifies_a_fresh_openssl_signature(tmp_path, public_key):
    payload = {"stunum": "4301041234567890", "name": "学员乙", "nonce": time.time_ns()}
    body_bytes = json.dumps(payload, ensure_ascii=False).encode()
    ts = clock.epoch_ms()
    digest_file = tmp_path / "digest.bin"
    digest_file.write_bytes(hashlib.sha256(body_bytes + ts.to_bytes(8, "big")).digest())
    result = subprocess.run(
        ["openssl", "pkeyutl", "-sign", "-inkey", str(KEY_PEM), "-in", str(digest_file),
         "-pkeyopt", "rsa_padding_mode:pkcs1"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    sign_hex = result.stdout.hex()
    assert len(sign_hex) == 512
    assert verify(public_key, body_bytes, ts, sign_hex)
    assert verify(public_key, body_bytes, ts, sign_hex.upper())
    assert not verify(public_key, body_bytes, ts + 1, sign_hex)


@needs_openssl
def test_openssl_recovers_the_bare_digest_from_a_jiapei_signature(tmp_path, key):
    body = '{"name":"教练员丙"}'.encode()
    ts = clock.epoch_ms()
    sig_file = tmp_path / "sig.bin"
    sig_file.write_bytes(bytes.fromhex(Signer(key, SERIAL).sign(body, ts)))
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verifyrecover", "-inkey", str(KEY_PEM), "-in", str(sig_file),
         "-pkeyopt", "rsa_padding_mode:pkcs1"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    assert result.stdout == hashlib.sha256(body + ts.to_bytes(8, "big")).digest()
