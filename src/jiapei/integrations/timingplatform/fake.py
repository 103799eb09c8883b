"""A recording stand-in for the timing platforms' callback interface
(``JIAPEI_CALLBACK_BACKEND = "record"``, tests only)."""

from __future__ import annotations

from typing import Any

from jiapei.integrations.message import Message

# Messages "sent": (platnum, path, payload). Tests read and clear this list.
RECORDED: list[tuple[str, str, dict[str, Any]]] = []


class RecordingCallbacks:
    def send(self, *, platnum: str, callback_url: str, message: Message) -> None:
        RECORDED.append((platnum, message.path, message.payload))
