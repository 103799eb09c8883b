"""The relay's wiring: which transport carries each destination."""

from __future__ import annotations

from jiapei.integrations.national.forward import national_transport
from jiapei.integrations.police import police_transport
from jiapei.integrations.timingplatform import send_callback
from jiapei.outbox.models import Destination
from jiapei.outbox.services import Transport, relay_due

TRANSPORTS: dict[str, Transport] = {
    Destination.TIMING_PLATFORM: send_callback,
    Destination.POLICE: police_transport,
    Destination.NATIONAL: national_transport,
}


def relay_once(limit: int = 50) -> tuple[int, int]:
    """Relay one batch of due messages; returns (delivered, failed)."""
    return relay_due(TRANSPORTS, limit=limit)
