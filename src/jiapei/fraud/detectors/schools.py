"""Detectors: schools (placeholder until implemented; see base.py for the contract)."""

from __future__ import annotations

from dataclasses import dataclass

from jiapei.fraud.detectors.base import Draft, ScanContext


@dataclass(frozen=True)
class SchoolParams:
    pass


def detect(context: ScanContext) -> list[Draft]:
    return []
