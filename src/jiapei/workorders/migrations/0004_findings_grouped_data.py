"""Carry the one-to-one ``WorkOrder.finding`` links over to ``WorkOrderFinding`` rows (stamped
with the order's opening time). Backwards, each order keeps its first finding only: the other
links of a grouped order cannot be expressed one-to-one and are dropped."""

from django.db import migrations


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
        ("workorders", "0003_findings_grouped"),
    ]

    operations = [
        migrations.RunPython(carry_links_over, keep_first_link),
    ]
