"""The national platform (全国驾培平台): issues 16-character unified numbers and receives the
province's approved hours and completions.

The integration's shape (see :mod:`jiapei.integrations`): the interface :class:`NationalPlatform`
here, the HTTP client in :mod:`.client`, the fake in :mod:`.fake` (numbers issued locally,
forwards recorded in memory), the message builders of the forwards in :mod:`.messages`.
Numbering is a direct call made while a filing is validated (the reply is the number the filing
needs); forwards go through the outbox, and the relay calls :func:`send`.

:func:`get_client` returns the implementation chosen by ``JIAPEI_NATIONAL_BACKEND``: ``fake``
(for demos and tests) or ``http`` (the real interface).
"""

from __future__ import annotations

from typing import Any, Protocol

from jiapei.integrations.message import Message


class NationalPlatform(Protocol):
    def issue_number(self, kind: str, record: dict[str, Any]) -> str:
        """Register ``record`` of ``kind`` nationally and return its unified number."""

    def forward(self, resource: str, payload: dict[str, Any], idempotency_key: str) -> None:
        """Forward approved hours or a completion (``resource`` such as ``stagetrainningtime``);
        raise unless acknowledged."""


def get_client() -> NationalPlatform:
    from django.conf import settings

    backend = settings.JIAPEI_NATIONAL_BACKEND
    if backend == "fake":
        from jiapei.integrations.national.fake import FakeNationalPlatform

        return FakeNationalPlatform()
    if backend == "http":
        from jiapei.integrations.national.client import HttpNationalPlatform

        return HttpNationalPlatform.from_settings()
    raise ValueError(f"JIAPEI_NATIONAL_BACKEND={backend!r}: expected 'fake' or 'http'")


def send(message: Message, client: NationalPlatform | None = None) -> None:
    """Deliver one stored forward (its path is the resource); return only if acknowledged.
    ``client`` defaults to :func:`get_client`."""
    (client or get_client()).forward(message.path, message.payload, message.key)
