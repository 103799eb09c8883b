"""Other systems jiapei talks to: ``police/``, ``national/``, ``timingplatform/``.

Each integration has the same shape:

* ``__init__.py``: the interface (a :class:`typing.Protocol`), its errors, ``get_client()``
  (the implementation chosen by the integration's ``JIAPEI_*_BACKEND`` setting) and ``send()``,
  which hands one stored :class:`~jiapei.integrations.message.Message` to the client;
* ``client.py``: the HTTP client of the real interface;
* ``fake.py``: an in-memory stand-in for tests and the demo, recording what it was sent;
* ``messages.py``: the message builders: plain values in, a :class:`Message` (path, payload,
  idempotency key) out, checked against the wire contract before anything is queued.

Integrations sit below the domain apps and beside the outbox, and import neither: a domain
service builds a message here and queues it with ``outbox.services.enqueue_message`` in its own
transaction; the worker's relay (wired in :mod:`jiapei.cli.worker`) later calls ``send()``.
"""
