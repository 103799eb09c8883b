"""The daily digest (每日提醒): each regulator's alerts of the day (:mod:`jiapei.reports.alerts`)
by e-mail through Django's mail backend (``settings.EMAIL_BACKEND``; the console backend in the
demo), in zh-hans, as plain text with an HTML alternative, with links to the console's pages.

``jiapei digest`` sends it. A run sends at most one digest per user and day: the send is recorded
(:class:`~jiapei.reports.models.DigestSend`, unique per user and day) in the transaction that
sends it, so a retried or concurrent run skips the users already served, and a failed send
leaves no record and is tried again by the next run. A user with nothing to do today, or without
an e-mail address, gets no mail. Links of pages the console does not have (yet) are left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from jiapei.accounts.models import REGULATOR_ROLES, User
from jiapei.core import clock
from jiapei.reports.alerts import Alerts, alerts_for
from jiapei.reports.models import DigestSend

logger = logging.getLogger(__name__)


def console_url(name: str, *args: Any, query: str = "", base: str = "") -> str | None:
    """``base`` + the URL of console page ``name``, or None while the console has no such page
    (pages of the console are added by topic; a missing one is no error here)."""
    try:
        url = reverse(f"console:{name}", args=args)
    except NoReverseMatch:
        return None
    return f"{base}{url}?{query}" if query else f"{base}{url}"


def annotate_links(alerts: Alerts, base: str = "") -> dict[str, str | None]:
    """Give each listed row a ``url`` (its page) and return the URL of each kind's list,
    absolute when ``base`` is the site's address."""
    for finding in alerts.findings.rows:
        finding.url = console_url("finding", finding.pk, base=base)
    for order in [*alerts.overdue.rows, *alerts.due.rows]:
        order.url = console_url("workorder", order.pk, base=base)
    for review in alerts.stages.rows:
        review.url = console_url("stage_review", review.pk, base=base)
    for school in alerts.silent.rows:
        school.url = console_url("institution", school.pk, base=base)
    return {
        "findings": console_url("findings", query="severity=high", base=base),
        "overdue": console_url("workorders", query="tab=overdue", base=base),
        "due": console_url("workorders", query="tab=due", base=base),
        "stages": console_url("stage_reviews", query="status=pending_manual", base=base),
        "silent": console_url("institutions", base=base),
        "home": console_url("dashboard", base=base),
    }


def recipients() -> QuerySet[User]:
    """Active regulators bound to a region, with an e-mail address, by username."""
    return (
        User.objects.filter(is_active=True, role__in=REGULATOR_ROLES, region__isnull=False)
        .exclude(email="")
        .select_related("region")
        .order_by("username")
    )


def compose(user: User, alerts: Alerts) -> EmailMultiAlternatives:
    """The digest of ``user`` for ``alerts.day``: subject, text body and HTML alternative."""
    base = str(settings.JIAPEI_PUBLIC_URL).rstrip("/")
    context: dict[str, Any] = {"user": user, "region": user.region, "alerts": alerts}
    with translation.override(settings.LANGUAGE_CODE):
        context["links"] = annotate_links(alerts, base)
        subject = render_to_string("reports/digest_subject.txt", context).strip()
        text = render_to_string("reports/digest.txt", context)
        html = render_to_string("reports/digest.html", context)
    mail = EmailMultiAlternatives(subject, text, to=[user.email])
    mail.attach_alternative(html, "text/html")
    return mail


@dataclass
class Run:
    day: date
    sent: list[str] = field(default_factory=list)  # usernames
    already: list[str] = field(default_factory=list)  # served by an earlier run today
    empty: list[str] = field(default_factory=list)  # nothing to do today
    failed: list[str] = field(default_factory=list)


def send_digests(users: QuerySet[User] | None = None) -> Run:
    """Send today's digest to each of ``users`` (default: :func:`recipients`) not yet served
    today. A failure to send one user's mail is logged and leaves that user for the next run."""
    day = clock.today()
    run = Run(day)
    for user in users if users is not None else recipients():
        name = user.get_username()
        if DigestSend.objects.filter(user=user, day=day).exists():
            run.already.append(name)
            continue
        alerts = alerts_for(user)
        if not alerts.total:
            run.empty.append(name)
            continue
        try:
            with transaction.atomic():
                # The record first: a concurrent run inserting the same (user, day) waits here
                # and then fails on the unique constraint instead of sending a second mail.
                DigestSend.objects.create(
                    user=user, day=day, address=user.email, items=alerts.total
                )
                compose(user, alerts).send()
        except IntegrityError:
            run.already.append(name)
        except Exception:
            logger.exception("digest for %s not sent", name)
            run.failed.append(name)
        else:
            run.sent.append(name)
    return run
