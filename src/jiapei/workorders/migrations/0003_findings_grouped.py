"""Work orders hold several findings (issue 19): the one-to-one ``WorkOrder.finding`` becomes the
link table ``WorkOrderFinding`` (one row per finding), and ``grouping_key`` marks the order that
still takes in new findings of one detector, school and day.

Existing orders get no grouping key: they were opened one per finding, and two of them may share
a group, so new findings open new (grouped) orders. ``0004_findings_grouped_data`` carries the
links over and ``0005_findings_grouped_drop`` removes the old field; each step is its own
migration (own transaction) because PostgreSQL refuses to alter a table with pending deferred
constraint checks from rows written earlier in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models


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
    ]
