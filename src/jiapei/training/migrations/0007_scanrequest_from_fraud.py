# The fraud scan queue moves from the fraud app to training, beside the audit queue (DESIGN §4:
# training holds "the audit and scan queues"), so that the audit and the stage review can file
# scan requests without importing fraud. The rows stay: the model is taken over in the state
# only, then its table is renamed from fraud_scanrequest to training_scanrequest.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fraud", "0001_initial"),
        ("training", "0006_photo_fingerprint_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScanRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField(unique=True)),
                        ("requested_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "scan request",
                        "verbose_name_plural": "scan requests",
                        "db_table": "fraud_scanrequest",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="scanrequest", table=None),
    ]
