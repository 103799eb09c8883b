"""The manual-audit workbench: one drawn teaching log at a time, with what an officer checks
(its photos, its track, its minutes with the audit's verdicts, the fraud findings on it) and
the verdict form; after a verdict the next log of the draw that waits for one.

The evidence is drawn by the session page's helpers (:mod:`.sessions`). The drawn log comes
from :func:`jiapei.supervision.queries.reviews_for` (scoped by the draw's region: another
county's log is a 404); the verdict is :func:`jiapei.supervision.services.record_verdict`,
which opens a work order for a bad one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.audit import queries as audit
from jiapei.console.base import ConsoleDetail
from jiapei.console.sampling import REASON_WORDS, VERDICT_TAGS
from jiapei.console.sessions import (
    MINUTE_COLUMNS,
    photo_cards,
    speed_profile,
    timeline,
    track_map,
    void_stretches,
)
from jiapei.console.students import MODE_LABELS, PART_LABELS, reasons
from jiapei.console.students import VERDICT_TAGS as LOG_TAGS
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from jiapei.fraud import queries as fraud
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.registry import queries as registry
from jiapei.supervision import queries, services
from jiapei.supervision.models import ManualReview, Verdict
from jiapei.training import queries as training
from jiapei.training.models import TeachingLog
from jiapei.web.views import add_domain_error


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("抽查结论"),
        choices=[(Verdict.GOOD, _("未发现问题")), (Verdict.BAD, _("发现违规"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"),
        help_text=_("判定违规时必须填写，说明查实的问题；违规结论自动生成工单。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,  # the service names a missing note; the form shows its message
    )


def link(name: str, pk: int) -> str | None:
    """The URL of a page another part of the console provides, or None while it has none."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def session_evidence(user: Any, log: TeachingLog) -> dict[str, Any]:
    """What the session page shows of a log, built by its helpers."""
    minutes = list(training.minutes_of(log).only(*MINUTE_COLUMNS))
    thresholds = audit.thresholds_in_force(
        log.institution, timezone.localtime(log.starttime).date()
    )
    city = log.institution.district_id[:4] + "00"
    areas = list(registry.session_areas(log.institution_id, city, part=log.part))
    return {
        "part_label": PART_LABELS.get(log.part, log.part),
        "mode_label": MODE_LABELS.get(log.mode, log.mode),
        "log_tag": LOG_TAGS.get(log.audit_status, "tag-muted"),
        "session_reasons": reasons(log.codes, thresholds),
        "timeline": timeline(log, minutes, thresholds),
        "void_rows": void_stretches(minutes, thresholds),
        "track": track_map(log, minutes, areas),
        "speed": speed_profile(log, minutes),
        "photos": photo_cards(list(training.photos_of(log)), thresholds),
        "face_min": thresholds.face_confidence_min,
        "n_minutes": len(minutes),
        "practical": log.mode == 1,
    }


class ReviewBench(ConsoleDetail):
    """GET: the drawn log and the verdict form; POST: the verdict, then the next log."""

    template_name = "console/sampling/review.html"

    def scoped_queryset(self) -> QuerySet[ManualReview]:
        return (
            queries.reviews_for(self.user)
            .filter(draw_id=self.kwargs["draw"])
            .select_related("log__coach", "log__car", "log__device", "work_order")
        )

    def get_title(self) -> Any:
        return gettext("人工抽查 %(rnum)s") % {"rnum": self.object.log.rnum}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        form = VerdictForm(request.POST)
        if form.is_valid():
            try:
                services.record_verdict(
                    actor=Actor.for_user(self.user),
                    review_id=self.object.pk,
                    data=form.cleaned_data,
                )
            except (Forbidden, NotAuthenticated, NotFound):
                raise
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return self.done(form.cleaned_data["verdict"])
        context = self.get_context_data(object=self.object, form=form)
        return self.render_to_response(context, status=400)

    def done(self, verdict: str) -> HttpResponse:
        review = self.object
        if verdict == Verdict.BAD:
            messages.success(self.request, gettext("已判定违规，已生成工单"))
        else:
            messages.success(self.request, gettext("已判定未发现问题"))
        following = queries.next_pending(review)
        if following is None:
            return HttpResponseRedirect(
                reverse("console:sampling_draw_detail", args=[review.draw_id])
            )
        return HttpResponseRedirect(
            reverse("console:sampling_review", args=[review.draw_id, following.pk])
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        review: ManualReview = self.object
        log = review.log
        findings = list(fraud.findings_for(self.user).filter(logs=log).order_by("-day", "pk"))
        order = getattr(review, "work_order", None)
        following = queries.next_pending(review) if review.verdict == Verdict.PENDING else None
        may = access.allowed(self.user, access.Action.RECORD_VERDICTS)
        context.update(
            review=review,
            log=log,
            draw=review.draw,
            reason=REASON_WORDS.get(review.reason, review.reason),
            verdict_tag=VERDICT_TAGS.get(review.verdict, ""),
            findings=[
                {
                    "row": f,
                    "name": DETECTORS.get(f.detector, (f.detector,))[0],
                    "url": link("console:finding", f.pk),
                }
                for f in findings
            ],
            order=order,
            order_url=link("console:workorder", order.pk) if order else None,
            form=context.get("form") or VerdictForm(),
            may_judge=may and review.verdict == Verdict.PENDING,
            next_review=following,
            session_url=reverse("console:session", args=[log.student_id, log.pk]),
            **session_evidence(self.user, log),
        )
        return context


urlpatterns = [
    path("sampling/<int:draw>/reviews/<int:pk>/", ReviewBench.as_view(), name="sampling_review"),
]
