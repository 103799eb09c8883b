"""The evidence panels of a finding's page, one module per kind of evidence.

An officer judges a finding from what the detector saw, drawn the way a person checks it: two
photos side by side, a track over the original, speed over time, sessions on a time axis, a
school against the province. Each module here registers a function for the detectors whose
evidence it draws; the finding's page (``console/findings.py``) asks :func:`panels_for` and
includes each panel's template with its context. A detector with no registered panel gets the
generic one (the evidence's figures as a table), so a new detector never breaks the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jiapei.fraud.models import Finding


@dataclass(frozen=True)
class Panel:
    """One block of evidence: a template (under ``console/evidence/``) and its context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


# A drawer receives the finding and the requesting user (for masking and scoping) and returns
# the panels to show, in order; it reads only through the domain apps' ``queries`` modules.
Drawer = Callable[[Finding, Any], list[Panel]]
DRAWERS: dict[str, Drawer] = {}


def draws(*detectors: str) -> Callable[[Drawer], Drawer]:
    """Register the decorated function as the drawer of ``detectors``' evidence."""

    def register(drawer: Drawer) -> Drawer:
        for detector in detectors:
            if detector in DRAWERS:
                raise ValueError(f"detector {detector} already has an evidence drawer")
            DRAWERS[detector] = drawer
        return drawer

    return register


def panels_for(finding: Finding, user: Any) -> list[Panel]:
    """The panels of ``finding``'s evidence; the generic figures panel when none is registered."""
    drawer = DRAWERS.get(finding.detector)
    if drawer is None:
        return [Panel("console/evidence/figures.html", {"evidence": finding.evidence})]
    return drawer(finding, user)


# The drawers register themselves on import; these imports come last because the modules use
# ``draws`` and ``Panel`` from this one.
from jiapei.console.evidence import (  # noqa: E402
    overlaps,  # noqa: F401
    patterns,  # noqa: F401
    photos,  # noqa: F401
    replays,  # noqa: F401
    schools,  # noqa: F401
    tracks,  # noqa: F401
)
