"""Signatures used once and bound to their resource: the checks after a signature verifies.

The rule (README, "Replays and the path-bound signature"):

* every verified ``(user, ts, sign)`` is claimed in the shared replay cache
  (:mod:`jiapei.registry.services.signatures`);
* sent again to the same resource with the same body, it is a retry: a write gets its first
  answer again (not run twice), a read (``…/get``) is answered afresh, and a retry of a write
  whose first answer is not ready yet gets 409/1007;
* sent to another resource, it is a replay: 401/1006;
* from ``JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM`` the standard's signature, which does not cover
  the resource, is accepted only for reads; writes need version 2 (``v=2.0``): 401/1008.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from jiapei.core import clock
from jiapei.core.errors import DomainError, ErrorCode, SignatureRejected
from jiapei.registry.models import TimingPlatform
from jiapei.registry.services import signatures

# Where the first use of a write's signature waits for its answer (set by claim()).
_USE_ATTR = "_jiapei_signature_use"


class Replayed(Exception):
    """An identical retry of a write: answered with the first answer, kept byte for byte."""

    def __init__(self, status: int, content: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.content = content

    def response(self) -> HttpResponse:
        reply = HttpResponse(self.content, status=self.status, content_type="application/json")
        reply["X-Jiapei-Replayed"] = "first-answer"
        return reply


class InProgress(DomainError):
    code = ErrorCode.REQUEST_IN_PROGRESS
    status = 409


def resource_of(request: HttpRequest) -> str:
    """The resource a signed request is for, as version 2 signs it (``device/get``)."""
    return request.path_info.strip("/")


def is_read(resource: str) -> bool:
    """Reads change nothing: every ``…/get`` resource (a test holds each one to it)."""
    return resource.endswith("/get")


def unbound_writes_closed() -> bool:
    """Whether the province no longer accepts the standard's signature for writes."""
    cutoff = settings.JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM
    return bool(cutoff) and clock.today() >= date.fromisoformat(cutoff)


def check_version(resource: str, *, bound: bool) -> None:
    """Refuse the standard's signature on a write once the province requires version 2."""
    if not bound and not is_read(resource) and unbound_writes_closed():
        raise SignatureRejected(
            ErrorCode.BOUND_SIGNATURE_REQUIRED,
            f"{resource}: 自 {settings.JIAPEI_BOUND_SIGNATURE_REQUIRED_FROM} 起写操作须使用绑定"
            "资源路径的签名 v=2.0 (writes need the path-bound signature, v=2.0)",
        )


def claim(
    request: HttpRequest, *, platform: TimingPlatform, ts: int, sign_hex: str, body: bytes
) -> None:
    """Claim the signature for this request, or judge it against its first use."""
    resource = resource_of(request)
    outcome = signatures.claim_signature(
        platform=platform,
        ts=ts,
        signature=bytes.fromhex(sign_hex),
        resource=resource,
        body=body,
        window_seconds=settings.JIAPEI_SIGNATURE_WINDOW_SECONDS,
    )
    if outcome.first:
        if not is_read(resource):
            setattr(request, _USE_ATTR, outcome.use)
        return
    if not signatures.same_request(outcome.use, resource=resource, body=body):
        raise SignatureRejected(
            ErrorCode.SIGNATURE_REUSED,
            f"签名已用于 {outcome.use.resource}，不能再用于 {resource} "
            "(signature already used for another request: replay refused)",
        )
    if is_read(resource):
        return
    answer = signatures.stored_answer(outcome.use)
    if answer is None:
        raise InProgress(
            "同一请求正在处理，请稍后重试 (the same request is still being answered; retry later)"
        )
    raise Replayed(*answer)


def remember(request: HttpRequest, response: HttpResponse) -> None:
    """Keep the first answer to a write for its retries (or forget the use after a fault of
    ours, so that a retry runs again: a 5xx stored nothing)."""
    use = getattr(request, _USE_ATTR, None)
    if use is None:
        return
    delattr(request, _USE_ATTR)
    if response.status_code >= 500:
        signatures.release(use=use)
    else:
        signatures.record_answer(use=use, status=response.status_code, content=response.content)
