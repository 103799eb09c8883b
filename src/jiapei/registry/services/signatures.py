"""The replay cache of signed requests: each ``(user, ts, sign)`` is used once.

A signature is a bearer credential for as long as its ``ts`` is inside the window: whoever sees
one request could send it again, or (in the standard's form, which does not cover the resource)
send it to another resource whose body has the same fields — ``device/get {devnum}`` to
``device/delete``. So the first use of a signature claims it, in a table with a unique
constraint that every process shares, and a second use is judged against the first:

* the **same resource and body** is a retry (the caller never saw the answer). A write gets its
  first answer back, byte for byte, without being run again: running it again could undo a
  later change (a replayed filing would restore old values, a replayed ``devrembinding`` undo a
  new binding). A read (``…/get``) changes nothing and is answered afresh. A retry that arrives
  while the first is still being answered is told to wait (409);
* a **different resource** (or body) is a replay and refused.

These rows are a technical cache, not a change of anyone's records: they carry no audit-log
row (one per request would double every write of the interface). They are pruned once their
``ts`` is outside the window, when the ``ts`` check refuses any request carrying it anyway.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction

from jiapei.core import clock
from jiapei.registry.models import SignatureUse, TimingPlatform

# How often one process deletes the expired rows (the deletion is idempotent across processes).
PRUNE_EVERY = timedelta(seconds=60)
_last_prune: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a signature.

    ``first`` is True when this request is the signature's first use (``use`` is its row);
    otherwise ``use`` is the earlier use, and the caller compares its resource and body.
    """

    first: bool
    use: SignatureUse


def sign_sha256(signature: bytes) -> str:
    """The key of a signature: the SHA-256 of its bytes, so hex case or spacing cannot make
    one signature look like two."""
    return hashlib.sha256(signature).hexdigest()


def claim_signature(
    *,
    platform: TimingPlatform,
    ts: int,
    signature: bytes,
    resource: str,
    body: bytes,
    window_seconds: int,
) -> Claim:
    """Record the first use of ``(platform, ts, signature)``, or return the earlier use."""
    _prune_now_and_then()
    key = sign_sha256(signature)
    expires = datetime.fromtimestamp(ts / 1000, tz=UTC) + timedelta(seconds=window_seconds)
    try:
        with transaction.atomic():
            use = SignatureUse.objects.create(
                platform=platform,
                ts=ts,
                sign_sha256=key,
                resource=resource,
                body_sha256=hashlib.sha256(body).hexdigest(),
                expires_at=expires,
            )
        return Claim(True, use)
    except IntegrityError:
        earlier = SignatureUse.objects.get(platform=platform, ts=ts, sign_sha256=key)
        return Claim(False, earlier)


def same_request(use: SignatureUse, *, resource: str, body: bytes) -> bool:
    """Whether a request is the one ``use`` recorded (a retry) rather than a replay elsewhere."""
    return use.resource == resource and use.body_sha256 == hashlib.sha256(body).hexdigest()


def record_answer(*, use: SignatureUse, status: int, content: bytes) -> None:
    """Keep the first answer to a write, for its identical retries."""
    SignatureUse.objects.filter(pk=use.pk).update(status=status, answer=zlib.compress(content))


def stored_answer(use: SignatureUse) -> tuple[int, bytes] | None:
    """The first answer kept for ``use``, or None while it is still being answered."""
    if use.status is None or use.answer is None:
        return None
    return use.status, zlib.decompress(bytes(use.answer))


def release(*, use: SignatureUse) -> None:
    """Forget a use whose request failed on our side (HTTP 5xx, nothing stored): its retry runs."""
    SignatureUse.objects.filter(pk=use.pk).delete()


def prune_expired() -> int:
    """Delete the uses whose ``ts`` has left the window; return how many."""
    deleted, _ = SignatureUse.objects.filter(expires_at__lt=clock.now()).delete()
    return deleted


def _prune_now_and_then() -> None:
    global _last_prune
    now = clock.now()
    if _last_prune is not None and abs(now - _last_prune) < PRUNE_EVERY:
        return
    _last_prune = now
    prune_expired()
