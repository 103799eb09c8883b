"""The police platform (互联网交通安全综合服务管理平台 / 12123): approved hours gate exam booking.

Per seeds 000 and 001, once a transport department approves a student's hours for a syllabus part,
the supervision platform pushes them to the police platform, which then lets the student book the
matching exam subject (:data:`~jiapei.integrations.police.wire.PART_FOR_SUBJECT`). A withdrawn
approval closes the booking again.

The integration's shape (see :mod:`jiapei.integrations`): the interface :class:`PolicePlatform`
here, the HTTP client in :mod:`.client`, the fake in :mod:`.fake` (backed by :mod:`.state`, the
rules the simulator applies too), the message builders in :mod:`.messages` and the wire contract
in :mod:`.wire`. Everything sent goes through the transactional outbox: the stage services build
a push or withdrawal with :mod:`.messages` and queue it inside the decision's transaction; the
relay then calls :func:`send`, which raises unless the police platform acknowledged (so the
relay retries with backoff).

:func:`get_client` returns the implementation chosen by ``JIAPEI_POLICE_BACKEND``: ``http``
(default; POSTs JSON to ``JIAPEI_POLICE_URL``, e.g. the ``jiapei police_sim`` simulator) or
``fake`` (in memory, for tests).

This module must not import Django at import time: the simulator imports :mod:`.wire` through it.
"""

from __future__ import annotations

from typing import Any, Protocol

from jiapei.core.errors import DomainError, ErrorCode
from jiapei.integrations.message import Message
from jiapei.integrations.police.wire import (
    PATH_HOURS,
    PATH_WITHDRAW,
    hours_problems,
    withdraw_problems,
)


class PolicePlatformError(DomainError):
    """The police platform did not take a message. The outbox retries on any exception."""

    code = ErrorCode.UPSTREAM
    status = 502


class PoliceUnavailable(PolicePlatformError):
    """Network failure, timeout, HTTP status ≥ 400 or a reply that is not the JSON envelope."""


class PoliceRefused(PolicePlatformError):
    """The police platform answered with ``errorcode`` ≠ 0."""

    def __init__(self, message: str, *, errorcode: Any = None) -> None:
        super().__init__(message)
        self.errorcode = errorcode


class PoliceMessageInvalid(PolicePlatformError):
    """The message breaks the wire contract (:mod:`.wire`); a bug on our side, never sent."""

    status = 500


class PolicePlatform(Protocol):
    """What jiapei asks of the police platform. Each call returns the reply's ``data``."""

    def push_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Deliver one approved training record (student × subject); see ``wire.hours_problems``.

        Idempotent: a repeat with the same key, or of the stage record already held, is
        acknowledged as a duplicate. ``idempotency_key`` defaults to ``wire.hours_key(message)``.
        """

    def withdraw_hours(
        self, message: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Withdraw the approval of a stage record; the subject can no longer be booked."""

    def query_student(self, idcard: str) -> dict[str, Any]:
        """Everything the police platform holds on one ID card (hours, bookings, results), for
        reconciliation (「两平台录入不漏一人」)."""


def check_hours(message: dict[str, Any]) -> None:
    """Raise :class:`PoliceMessageInvalid` listing every problem of an hours push."""
    problems = hours_problems(message)
    if problems:
        raise PoliceMessageInvalid("invalid police hours push: " + "; ".join(problems))


def check_withdraw(message: dict[str, Any]) -> None:
    """Raise :class:`PoliceMessageInvalid` listing every problem of a withdrawal."""
    problems = withdraw_problems(message)
    if problems:
        raise PoliceMessageInvalid("invalid police withdrawal: " + "; ".join(problems))


def get_client() -> PolicePlatform:
    """The police platform chosen by ``JIAPEI_POLICE_BACKEND`` (``http`` or ``fake``)."""
    from django.conf import settings

    backend = settings.JIAPEI_POLICE_BACKEND
    if backend == "fake":
        from jiapei.integrations.police.fake import shared_fake

        return shared_fake()
    if backend == "http":
        from jiapei.integrations.police.client import HttpPolicePlatform

        return HttpPolicePlatform.from_settings()
    raise ValueError(f"JIAPEI_POLICE_BACKEND={backend!r}: expected 'http' or 'fake'")


def send(message: Message, client: PolicePlatform | None = None) -> None:
    """Deliver one stored message (an hours push or a withdrawal, told apart by its path) with its
    idempotency key; return only if the police platform acknowledged. ``client`` defaults to
    :func:`get_client`."""
    client = client or get_client()
    if message.path == PATH_HOURS:
        client.push_hours(message.payload, idempotency_key=message.key)
    elif message.path == PATH_WITHDRAW:
        client.withdraw_hours(message.payload, idempotency_key=message.key)
    else:
        raise PoliceMessageInvalid(f"no police interface at path {message.path!r}")
