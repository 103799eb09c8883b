"""Work orders hold several findings (issue 19): the one-to-one ``WorkOrder.finding`` becomes the
link table ``WorkOrderFinding`` (one row per finding), and ``grouping_key`` marks the order that
still takes in new findings of one detector, school and day.

The data step carries every existing link over (stamped with the order's opening time). Existing
orders get no grouping key: they were opened one per finding, and two of them may share a group,
so new findings open new (grouped) orders. Backwards, each order keeps its first finding only
(the other links of a grouped order cannot be expressed one-to-one and are dropped); the field
itself is removed in ``0004_findings_grouped_drop``.
"""

import django.db.models.deletion
from django.db import migrations, models


def carry_links_over(apps, schema_editor):
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    WorkOrderFinding = apps.get_model("workorders", "WorkOrderFinding")
    orders = WorkOrder.objects.exclude(finding=None).order_by("pk")
    for order in orders.only("pk", "finding_id", "opened_at").iterator():
        link = WorkOrderFinding.objects.create(order_id=order.pk, finding_id=order.finding_id)
        # The historical field stamps "now"; the finding was attached when the order opened.
        WorkOrderFinding.objects.filter(pk=link.pk).update(attached_at=order.opened_at)


def keep_first_link(apps, schema_editor):
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    WorkOrderFinding = apps.get_model("workorders", "WorkOrderFinding")
    first: dict[int, int] = {}
    for order_id, finding_id in WorkOrderFinding.objects.order_by("finding_id").values_list(
        "order_id", "finding_id"
    ):
        first.setdefault(order_id, finding_id)
    for order_id, finding_id in first.items():
        WorkOrder.objects.filter(pk=order_id).update(finding_id=finding_id)


class Migration(migrations.Migration):
    dependencies = [
        ("fraud", "0002_scanrequest_to_training"),
        ("workorders", "0002_decision_other_workorders_console"),
    ]

    operations = [
        migrations.AddField(
            model_name="workorder",
            name="grouping_key",
            field=models.CharField(
                blank=True, default="", max_length=80, verbose_name="grouping key"
            ),
        ),
        migrations.CreateModel(
            name="WorkOrderFinding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "attached_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="attached at"),
                ),
                (
                    "finding",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="work_order_link",
                        to="fraud.finding",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="finding_links",
                        to="workorders.workorder",
                    ),
                ),
            ],
            options={
                "verbose_name": "finding of a work order",
                "verbose_name_plural": "findings of work orders",
                "ordering": ["order", "finding"],
            },
        ),
        migrations.AddField(
            model_name="workorder",
            name="findings",
            field=models.ManyToManyField(
                blank=True,
                related_name="work_orders",
                through="workorders.WorkOrderFinding",
                to="fraud.finding",
                verbose_name="findings",
            ),
        ),
        migrations.AddConstraint(
            model_name="workorder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("grouping_key", ""), _negated=True),
                fields=("grouping_key",),
                name="workorders_one_open_order_per_group",
            ),
        ),
        migrations.RunPython(carry_links_over, keep_first_link),
    ]
