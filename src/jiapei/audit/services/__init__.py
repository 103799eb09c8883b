"""Writes of the audit: running it and storing its verdicts (``verdicts``) and regulators'
threshold overrides (``thresholds``). Every writer is one transaction with an audit-log row."""

from jiapei.audit.services.thresholds import set_threshold
from jiapei.audit.services.verdicts import audit_student, audit_students

__all__ = ["audit_student", "audit_students", "set_threshold"]
