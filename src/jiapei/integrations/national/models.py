"""Numbers issued by the fake national platform, kept so they are never issued twice."""

from __future__ import annotations

from django.db import models

from jiapei.core.timestamps import ClockDateTimeField


class IssuedNumber(models.Model):
    number = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=16)
    issued_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "fake national number"

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"
