"""Work orders (工单): a suspected violation handed to the regulator of the school's region.

A work order comes from fraud findings, from a bad verdict of the sampled manual audit, or
from a regulator by hand. Findings are grouped: one order holds every finding of one detector
about one school on one (Shanghai local) day while it is unresolved (see
:class:`WorkOrderFinding`), so a county is not handed hundreds of near-identical orders. It moves
open → in progress → resolved (or escalated to the city or province) and ends with a decision:
the hours are voided, or upheld.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class OrderState(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    ESCALATED = "escalated", _("escalated")


class Decision(models.TextChoices):
    VOIDED = "voided", _("hours voided")
    UPHELD = "upheld", _("hours upheld")
    # Neither: the order is closed for another reason (e.g. handed to another authority); the
    # hours stand, as with "upheld", and the reason says what was done.
    OTHER = "other", _("other")


class OrderSource(models.TextChoices):
    FINDING = "finding", _("fraud finding")
    MANUAL_AUDIT = "manual_audit", _("manual audit")
    REGULATOR = "regulator", _("regulator")


class WorkOrder(models.Model):
    REGION_PATH = "institution__district_id"  # the region code, for the audit trail

    number = models.CharField(_("work order number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=16, choices=OrderSource.choices)
    # The findings the order handles (none for a manual-audit or hand-made order); each finding
    # belongs to at most one order (WorkOrderFinding.finding is one-to-one).
    findings = models.ManyToManyField(
        "fraud.Finding",
        through="WorkOrderFinding",
        related_name="work_orders",
        blank=True,
        verbose_name=_("findings"),
    )
    # "<institution id>/<local day>/<detector>" while the order still takes in new findings of
    # that group (open or in progress at the school's county); emptied when it is escalated or
    # resolved, so a later finding opens a new order. Unique when set: at most one order per
    # group takes findings, even if two scans race.
    grouping_key = models.CharField(_("grouping key"), max_length=80, blank=True, default="")
    review = models.OneToOneField(
        "supervision.ManualReview",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_order",
    )
    # The owner: the regulator of this region (the school's county) handles it; escalation
    # moves it to the region above.
    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    institution = models.ForeignKey(
        "registry.Institution", on_delete=models.PROTECT, related_name="+"
    )
    logs = models.ManyToManyField(
        "training.TeachingLog", related_name="work_orders", verbose_name=_("teaching logs")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=OrderState.choices, default=OrderState.OPEN
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    deadline = models.DateTimeField(_("deadline"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = ClockDateTimeField(_("opened at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-opened_at", "id"]
        indexes = [models.Index(fields=["region", "opened_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["grouping_key"],
                condition=~models.Q(grouping_key=""),
                name="workorders_one_open_order_per_group",
            )
        ]

    def __str__(self) -> str:
        return self.number


class WorkOrderFinding(models.Model):
    """A finding handled by a work order. One row per finding (one-to-one), so a finding is never
    attached to two orders, nor twice to one."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="finding_links")
    finding = models.OneToOneField(
        "fraud.Finding", on_delete=models.PROTECT, related_name="work_order_link"
    )
    attached_at = ClockDateTimeField(_("attached at"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding of a work order")
        verbose_name_plural = _("findings of work orders")
        ordering = ["order", "finding"]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.finding_id}"
