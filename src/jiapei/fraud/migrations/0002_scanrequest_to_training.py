# The scan queue now belongs to training (training/migrations/0007 takes the model and its rows
# over); here it only leaves the fraud app's state. Nothing happens in the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fraud", "0001_initial"),
        ("training", "0007_scanrequest_from_fraud"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ScanRequest")],
        ),
    ]
