"""The audit trail gains the region of each entry's object (``region_code``), and the rows
written before it get theirs where one UPDATE per object type can find it.

Filled here: the objects whose id is their primary key and whose region is reachable by
joins (the registry's filings, teaching areas, teaching logs, stage reviews, findings, work
orders). Everything else written before this migration (bulk ingests, scans, timing
platforms, objects of an app not migrated yet) keeps a null region, which only the province
reads.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.functions import Cast

# object type → (app, model, ORM path to the region code). A copy of the models' REGION_PATH
# as of this migration: historical models do not carry class attributes.
PATHS = {
    "registry.institution": ("registry", "Institution", "district"),
    "registry.personnel": ("registry", "Personnel", "institution__district"),
    "registry.trainingcar": ("registry", "TrainingCar", "institution__district"),
    "registry.device": ("registry", "Device", "institution__district"),
    "registry.devicebinding": ("registry", "DeviceBinding", "device__institution__district"),
    "registry.student": ("registry", "Student", "institution__district"),
    "registry.teachingarea": ("registry", "TeachingArea", "region"),
    "registry.feestandard": ("registry", "FeeStandard", "institution__district"),
    "training.teachinglog": ("training", "TeachingLog", "institution__district"),
    "stages.stagereview": ("stages", "StageReview", "student__institution__district"),
    "stages.legacybackfill": ("stages", "LegacyBackfill", "student__institution__district"),
    "fraud.finding": ("fraud", "Finding", "region"),
    "workorders.workorder": ("workorders", "WorkOrder", "institution__district"),
}


def fill(apps: Any, schema_editor: Any) -> None:
    entry = apps.get_model("core", "AuditLogEntry")
    if not entry.objects.exists():
        return
    for label, (app, name, path) in PATHS.items():
        try:
            model = apps.get_model(app, name)
        except LookupError:  # the app is not in this migration's graph: leave its rows null
            continue
        region = model.objects.filter(pk=Cast(OuterRef("object_id"), BigIntegerField())).values(
            path
        )[:1]
        entry.objects.filter(
            object_type=label, region_code__isnull=True, object_id__regex=r"^[0-9]{1,18}$"
        ).update(region_code=Subquery(region))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_operationalalert"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditlogentry",
            name="region_code",
            field=models.CharField(
                blank=True, db_index=True, max_length=6, null=True, verbose_name="region code"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
