"""Ingest learns of training bans through :mod:`jiapei.training.bans`, which supervision fills
at start-up; without it ingest refuses to guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jiapei.supervision.queries import ban_windows
from jiapei.training import bans

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_supervision_provides_the_bans_when_the_apps_load():
    assert bans._source is ban_windows


def test_without_a_provider_ingest_fails_instead_of_crediting(monkeypatch):
    monkeypatch.setattr(bans, "_source", None)
    with pytest.raises(RuntimeError, match="training bans"):
        bans.windows([("coach", "4301040000000001")], T0, T0)


def test_a_ban_covers_its_first_instant_but_not_the_lifting_one():
    lifted = T0 + timedelta(hours=1)
    assert not bans.banned([(T0, lifted)], T0 - timedelta(seconds=1))
    assert bans.banned([(T0, lifted)], T0)
    assert not bans.banned([(T0, lifted)], lifted)
    assert bans.banned([(T0, None)], T0 + timedelta(days=400))
    assert not bans.banned(None, T0)
