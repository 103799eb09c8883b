"""The national platform (全国驾培平台): issues 16-character unified numbers.

:func:`get_client` returns the implementation chosen by ``JIAPEI_NATIONAL_BACKEND``:
``fake`` (numbers issued locally, for demos and tests) or ``http`` (the real interface).
"""

from __future__ import annotations

from typing import Any, Protocol


class NationalPlatform(Protocol):
    def issue_number(self, kind: str, record: dict[str, Any]) -> str:
        """Register ``record`` of ``kind`` nationally and return its unified number."""


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
