"""What a regulator enters by hand for the monthly campaign report (seed 002 附件2).

Every figure the platform holds is computed (``reports/monthly.py``); the rest — inspections,
talks, on-site penalties — happen offline and are entered here, per city and month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiapei.core.timestamps import ClockDateTimeField


class MonthlyReportInput(models.Model):
    REGION_PATH = "region_id"  # the region code, for the audit trail

    region = models.ForeignKey(
        "accounts.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("city")
    )
    month = models.DateField(_("month (its first day)"))
    # {field name: non-negative integer}; the field names are those of reports.monthly.FIELDS.
    values = models.JSONField(_("entered figures"), default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = ClockDateTimeField(auto_now=True)
    # Set once the city sends the form to the province (报送); until then the row is a draft.
    # Whether it was late is computed from this instant and the month (reports/submissions.py).
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("monthly report input")
        verbose_name_plural = _("monthly report inputs")
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="monthly_input_once")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m}"


class DigestSend(models.Model):
    """That the daily digest of ``day`` (the platform's calendar day) went to ``user``.

    An operational record, like :class:`jiapei.core.models.OperationalAlert`: no actor, no
    audit-log row. Its unique constraint is what makes a retried ``jiapei digest`` run send
    nothing twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    address = models.CharField(_("e-mail address"), max_length=254)
    items = models.PositiveIntegerField(_("items"), default=0)
    sent_at = ClockDateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("daily digest sent")
        verbose_name_plural = _("daily digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
