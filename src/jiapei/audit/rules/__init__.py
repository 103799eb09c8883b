"""Pure audit rules, one module per rule family.

Every function here takes plain dataclasses from ``audit.facts`` and a
:class:`~jiapei.audit.thresholds.Thresholds` and returns plain values (minute ids, codes,
numbers). No ORM, no settings, no clock, no IO; the engine composes them.
"""
