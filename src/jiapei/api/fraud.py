"""Regulators' API: fraud (placeholder)."""

from __future__ import annotations

from ninja import Router

from jiapei.api.auth import user_auth

router = Router(auth=user_auth, tags=["监管端 / regulators"])
