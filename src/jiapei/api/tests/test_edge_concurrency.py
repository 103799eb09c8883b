"""Identical teaching logs filed at the same moment (issue 18, item 5): the loser of the race
is answered as a re-filing, never a server error, and the log is stored once."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from django.db import IntegrityError, connection

from jiapei.api.tests.edge_helpers import encode, envelope_of
from jiapei.training.models import TeachingLog
from jiapei.training.services import logs

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_losing_the_insert_race_is_answered_as_a_refiling(raw_post, wire_bodies, monkeypatch):
    real = logs._write_classrecord
    calls = []

    def lose_the_first_race(**kwargs: Any) -> Any:
        calls.append(kwargs["rnum"])
        if len(calls) == 1:
            real(**kwargs)  # the other request's insert, committed first
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(**kwargs)

    monkeypatch.setattr(logs, "_write_classrecord", lose_the_first_race)
    reply = raw_post("classrecord", encode(wire_bodies["classrecord"]))
    envelope = envelope_of(reply)
    assert (reply.status_code, envelope["data"]["created"]) == (200, False), envelope
    assert len(calls) == 2 and TeachingLog.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: there is no race"
)
def test_four_concurrent_identical_logs_are_stored_once(transactional_db, wire_bodies, tp):
    from django.core.wsgi import get_wsgi_application

    body = encode(wire_bodies["classrecord"])
    app = get_wsgi_application()
    start = threading.Barrier(4)
    replies: list[httpx.Response] = []

    def post() -> None:
        with httpx.Client(
            base_url="http://testserver", transport=httpx.WSGITransport(app=app)
        ) as http:
            start.wait()
            replies.append(
                http.post(
                    f"/classrecord?{tp.signer.query(body)}",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            )
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] * 4, [envelope_of(r) for r in replies]
    assert sorted(envelope_of(r)["data"]["created"] for r in replies) == [False] * 3 + [True]
    assert TeachingLog.objects.count() == 1
