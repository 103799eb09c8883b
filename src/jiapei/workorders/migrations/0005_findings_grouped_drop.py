"""Drop ``WorkOrder.finding`` once ``0004_findings_grouped_data`` has carried its links over (kept
apart so the data step and the table rebuild run in separate transactions)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0004_findings_grouped_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="workorder",
            name="finding",
        ),
    ]
