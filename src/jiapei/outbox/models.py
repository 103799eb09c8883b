"""The transactional outbox: every message to another system is first a row here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class Destination(models.TextChoices):
    TIMING_PLATFORM = "timing_platform", _("timing platform callback")
    NATIONAL = "national", _("national driver-training platform")
    POLICE = "police", _("police internet service platform")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("abandoned")


class OutboxMessage(models.Model):
    """A message written in the same transaction as the decision that caused it.

    The relay claims due rows by setting ``locked_until`` (a lease), sends them with the
    ``idempotency_key`` so the receiver can drop a duplicate, and marks them delivered only after
    the receiver acknowledged. A relay that dies mid-send leaves the lease to expire; the message
    is then sent again with the same key.
    """

    idempotency_key = models.CharField(max_length=100, unique=True)
    destination = models.CharField(max_length=32, choices=Destination.choices)
    platform = models.ForeignKey(
        "registry.TimingPlatform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    path = models.CharField(max_length=200)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.destination}{self.path} #{self.pk} {self.status}"
