"""Authentication of the two kinds of machine caller.

* Timing platforms sign every request (standards.md §2.1): ``ts``, ``sign`` and ``user`` in the
  query string; the signature covers the raw body (or the uploaded file's bytes) and ``ts``, and
  with ``v=2.0`` the resource too. Each signature is used once (:mod:`jiapei.api.replay`).
* Regulators and other people use their account: HTTP Basic for scripts, or the Django session
  (with CSRF) for the web console.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBasicAuth, SessionAuth

from jiapei.accounts.lockout import lockout_message
from jiapei.api import replay
from jiapei.core import clock
from jiapei.core.errors import (
    ErrorCode,
    FieldError,
    FieldErrors,
    MalformedBody,
    NotAuthenticated,
    SignatureRejected,
)
from jiapei.core.wire import text_problem
from jiapei.registry.models import PlatformStatus, TimingPlatform
from jiapei.registry.services.platforms import normalize_serial
from jiapei.signing import is_bound_version, load_public_key, verify


class SignedPlatform:
    """Ninja auth callable: returns the calling :class:`TimingPlatform` or raises
    :class:`SignatureRejected` saying which check failed."""

    def __init__(self, *, file_field: str | None = None, body: type = dict) -> None:
        self.file_field = file_field
        self.body = body

    def __call__(self, request: HttpRequest) -> TimingPlatform:
        params = request.GET
        missing = [name for name in ("ts", "sign", "user") if not params.get(name)]
        if missing:
            raise SignatureRejected(
                ErrorCode.SIGN_PARAMS_MISSING,
                f"缺少签名参数 {', '.join(missing)} (missing query parameters)",
            )
        ts_text = params["ts"]
        if not (ts_text.isascii() and ts_text.isdigit()):
            raise SignatureRejected(
                ErrorCode.TIMESTAMP_OUT_OF_WINDOW,
                f"ts={ts_text!r}: 时间戳应为毫秒数 (milliseconds)",
            )
        ts = int(ts_text)
        window_ms = settings.JIAPEI_SIGNATURE_WINDOW_SECONDS * 1000
        skew = ts - clock.epoch_ms()
        if abs(skew) > window_ms:
            raise SignatureRejected(
                ErrorCode.TIMESTAMP_OUT_OF_WINDOW,
                f"ts={ts}: 时间戳超出允许范围 ±{settings.JIAPEI_SIGNATURE_WINDOW_SECONDS}s，"
                f"相差 {skew // 1000}s (timestamp outside the replay window)",
            )
        serial = normalize_serial(params["user"])
        platform = TimingPlatform.objects.filter(cert_serial=serial).first()
        if platform is None:
            raise SignatureRejected(
                ErrorCode.UNKNOWN_CALLER,
                f"user={params['user']!r}: 证书未登记 (unknown certificate)",
            )
        if platform.status != PlatformStatus.ACTIVE:
            raise SignatureRejected(
                ErrorCode.CALLER_NOT_ACTIVE,
                f"user={params['user']!r}: 计时平台 {platform.platnum} "
                f"已{platform.get_status_display()} (platform {platform.status})",
                status=403,
            )
        body = self._signed_bytes(request)
        resource = replay.resource_of(request)
        bound = is_bound_version(params.get("v"))
        key = load_public_key(platform.public_key_pem)
        if not verify(key, body, ts, params["sign"], resource if bound else None):
            raise SignatureRejected(
                ErrorCode.BAD_SIGNATURE, "签名验证失败 (signature does not verify)"
            )
        replay.check_version(resource, bound=bound)
        replay.claim(request, platform=platform, ts=ts, sign_hex=params["sign"], body=body)
        if self.file_field is None:
            _require_json(body, self.body)
        return platform

    def _signed_bytes(self, request: HttpRequest) -> bytes:
        if self.file_field is None:
            try:
                return request.body
            except RequestDataTooBig:
                raise body_too_big() from None
        upload = request.FILES.get(self.file_field)
        if upload is None:
            raise SignatureRejected(
                ErrorCode.VALIDATION,
                f"缺少文件字段 {self.file_field} (multipart field missing)",
                400,
            )
        data = upload.read()
        upload.seek(0)
        return data


# No resource nests deeper than a batch of minutes with their fix ([{"gnss": {}}]) or a stage
# record's array; the bound keeps the parsers' recursion far from Python's limit.
MAX_JSON_DEPTH = 32
# Escapes, quotes and brackets: enough to follow strings and nesting in one linear pass.
_TOKEN_RE = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


def body_too_big() -> MalformedBody:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    error = MalformedBody(f"请求体超过 {limit} 字节 (body larger than {limit} bytes)")
    error.status = 413
    return error


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body``'s brackets nest deeper than ``limit`` outside strings, found without
    parsing (the parsers recurse once per level and would exhaust the stack first)."""
    depth = 0
    in_string = False
    for match in _TOKEN_RE.finditer(body):
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # 1e999 parses to infinity, which no column (nor PostgreSQL's jsonb) can hold.
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text[:20]} is beyond a double")
    return number


def _require_json(body: bytes, shape: type) -> None:
    """Refuse, once the caller is known, a body that is not UTF-8 JSON of the right shape
    (an object for filings, an array for batches), nests deeper than MAX_JSON_DEPTH, or
    carries text no column can store (a NUL, a lone surrogate: a field error naming it)."""
    if too_deep(body):
        raise MalformedBody(f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层 (nested too deep)")
    try:
        parsed = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedBody(f"请求体不是有效的 JSON (body is not JSON: {exc})") from None
    if not isinstance(parsed, shape):
        expected = "JSON 对象 (a JSON object)" if shape is dict else "JSON 数组 (a JSON array)"
        raise MalformedBody(f"请求体应为 {expected}，收到 {type(parsed).__name__}")
    errors = list(_bad_text(parsed, ""))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors[:20])


def _printable(text: str) -> str:
    """``text`` with lone surrogates spelled as escapes, so the reply itself can be encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _bad_text(value: Any, path: str) -> Any:
    """FieldErrors for every string (key or value) in ``value`` that no column can store."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            yield FieldError(
                path or "body", value.encode("utf-8", "backslashreplace").decode(), problem
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if text_problem(key) is not None:
                yield FieldError(
                    path or "body",
                    key.encode("utf-8", "backslashreplace").decode(),
                    "字段名无效 (invalid field name)",
                )
            else:
                yield from _bad_text(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_text(item, f"{path}[{index}]")


class LockedOut(NotAuthenticated):
    """Too many failed logins: refused, whatever the password, for the cool-off period."""

    status = 429


class RegulatorBasicAuth(HttpBasicAuth):
    """HTTP Basic, throttled like every login: ``authenticate`` runs django-axes' backend first,
    which records each failure and, once the client is locked out, refuses before the password
    is hashed. A locked-out caller gets 429 with errorcode 3002 and ``Retry-After``."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        user = authenticate(request, username=username, password=password)
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(lockout_message())
        if user is not None and user.is_active:
            request.user = user
            return user
        # Credentials were offered and are wrong: say so, rather than letting the session
        # authenticator answer with a CSRF failure.
        raise AuthenticationError(401, "用户名或密码错误 (wrong username or password)")


class RegulatorSession(SessionAuth):
    """The console's session. CSRF is checked only for a logged-in session: an anonymous call
    (no credentials at all) is told to authenticate (401/3002), not that a CSRF token is
    missing, while a forged request riding a real session is still refused (403)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


user_auth = [RegulatorBasicAuth(), RegulatorSession()]
