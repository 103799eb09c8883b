"""The console benchmark's province, continued: findings, work orders, stage reviews and the
audit queue (ORM ``bulk_create``), and the audit-log entries of the uploads (``COPY``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from console_build import DAYS, SESSION, Sizes, copy_rows, log, plan_sessions


def supervision(sizes: Sizes, password: str) -> None:
    from django.utils import timezone

    from jiapei.fraud.detectors.base import DETECTORS
    from jiapei.fraud.models import Finding
    from jiapei.registry.models import Institution, Student
    from jiapei.stages.models import StageReview
    from jiapei.training.models import AuditRequest
    from jiapei.workorders.models import WorkOrder

    rng = random.Random(4)
    now = datetime.now(timezone.get_current_timezone())
    schools = list(Institution.objects.filter(inscode__startswith="43").order_by("pk"))
    detectors = list(DETECTORS)
    findings = [
        Finding(
            detector=detectors[n % len(detectors)],
            key=f"bench-{n}",
            severity="medium",
            status=rng.choice(["open", "open", "ordered", "dismissed"]),
            region_id=schools[n % len(schools)].district_id,
            institution=schools[n % len(schools)],
            day=(now - timedelta(days=rng.randrange(DAYS))).date(),
            summary="基准疑点",
        )
        for n in range(max(50, sizes.sessions // 60))
    ]
    Finding.objects.bulk_create(findings, batch_size=5000)
    orders = [
        WorkOrder(
            number=f"BW{n:010d}",
            source="regulator",
            region_id=schools[n % len(schools)].district_id,
            institution=schools[n % len(schools)],
            title="基准工单",
            state=rng.choice(["open", "in_progress", "resolved", "escalated"]),
            deadline=now + timedelta(days=rng.randrange(-5, 10)),
        )
        for n in range(max(20, sizes.sessions // 300))
    ]
    WorkOrder.objects.bulk_create(orders, batch_size=5000)
    students = list(Student.objects.order_by("pk").values_list("pk", flat=True))
    reviews = [
        StageReview(
            student_id=students[n],
            part=2,
            status=rng.choice(["pending_manual", "approved", "auto_approved"]),
            source="audit",
        )
        for n in range(0, len(students), 20)
    ]
    StageReview.objects.bulk_create(reviews, batch_size=5000)
    AuditRequest.objects.bulk_create(
        [
            AuditRequest(student_id=s, reason="bench")
            for s in students[: max(10, len(students) // 400)]
        ],
        batch_size=5000,
    )
    log(
        f"supervision: {len(findings)} findings, {len(orders)} work orders, "
        f"{len(reviews)} stage reviews"
    )


def trail(sizes: Sizes, password: str) -> None:
    from django.db import connection

    from jiapei.core.models import AuditLogEntry

    plan = plan_sessions(sizes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, i.district_id FROM registry_student s "
            "JOIN registry_institution i ON i.id = s.institution_id"
        )
        region = dict(cursor.fetchall())
        cursor.execute("SELECT MIN(id) FROM training_teachinglog")
        first_log = cursor.fetchone()[0] or 1

    def entries() -> Iterator[tuple]:
        for n, (student, _school, _device, start) in enumerate(plan.sessions):
            at = start + timedelta(minutes=SESSION + 5)
            yield (
                at,
                "classrecord.create",
                "training.teachinglog",
                str(first_log + n),
                region[student],
            )
            for k in range(2):
                yield (
                    start + timedelta(minutes=30 * k),
                    "trainimginfo",
                    "training.trainingphoto",
                    str(n * 2 + k),
                    region[student],
                )

    n = copy_rows(
        AuditLogEntry,
        {
            "actor_kind": "platform",
            "actor_user_id": None,
            "actor_platform_id": None,
            "actor_label": "platform:B0001",
            "before": None,
            "after": None,
            "reason": "",
        },
        ["at", "action", "object_type", "object_id", "region_code"],
        entries(),
    )
    log(f"trail: {n} audit-log entries")
