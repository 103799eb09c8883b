"""Callbacks into timing platforms (standards.md §2.3): ``/reviewmsg``, ``/recordchangemsg`` and
our ``/trainingban``.

The integration's shape (see :mod:`jiapei.integrations`): the interface :class:`Callbacks` here,
the HTTP client in :mod:`.client`, the recording fake in :mod:`.fake`, the message builders in
:mod:`.messages`. The domain services queue a built message for the timing platform concerned;
the relay calls :func:`send` with that platform's number and callback URL.

:func:`get_client` returns the implementation chosen by ``JIAPEI_CALLBACK_BACKEND``: ``http``
(default) or ``record``, which keeps the messages in memory for tests.
"""

from __future__ import annotations

from typing import Protocol

from jiapei.integrations.message import Message


class CallbackRefused(Exception):
    """The timing platform answered but did not acknowledge (errorcode ≠ 0 or HTTP error), or
    cannot be called back at all."""


class Callbacks(Protocol):
    def send(self, *, platnum: str, callback_url: str, message: Message) -> None:
        """POST ``message`` to timing platform ``platnum`` at ``callback_url`` + its path with
        its idempotency key; raise :class:`CallbackRefused` unless acknowledged."""


def get_client() -> Callbacks:
    from django.conf import settings

    backend = settings.JIAPEI_CALLBACK_BACKEND
    if backend == "record":
        from jiapei.integrations.timingplatform.fake import RecordingCallbacks

        return RecordingCallbacks()
    from jiapei.integrations.timingplatform.client import HttpCallbacks

    return HttpCallbacks()


def send(
    message: Message, *, platnum: str, callback_url: str, client: Callbacks | None = None
) -> None:
    """Deliver one stored callback to its timing platform; return only if acknowledged.
    ``client`` defaults to :func:`get_client`."""
    (client or get_client()).send(platnum=platnum, callback_url=callback_url, message=message)
