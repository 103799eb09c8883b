"""What the stage-review tests look at: the outbox messages a decision sends and the
regulators' API replies."""

from __future__ import annotations

from typing import Any

from jiapei.core.actors import Actor
from jiapei.outbox.models import OutboxMessage

WORKER = Actor.system("worker")


def reviewmsgs(stunum: str) -> list[dict[str, Any]]:
    """The ``/reviewmsg`` callbacks queued for the timing platform about ``stunum``, in order."""
    rows = OutboxMessage.objects.filter(path="/reviewmsg", payload__data__stunum=stunum)
    return [m.payload for m in rows.order_by("id")]


def police_messages(path: str = "/hours") -> list[OutboxMessage]:
    """The messages queued for the police platform at ``path``, in order."""
    return list(OutboxMessage.objects.filter(destination="police", path=path).order_by("id"))


def reply_data(response: Any, status: int = 200) -> Any:
    """The ``data`` of a regulators' API reply, after checking its status and errorcode."""
    body = response.json()
    assert response.status_code == status, body
    assert (body["errorcode"] == 0) == (status == 200), body
    return body["data"]
