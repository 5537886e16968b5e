"""DRF's plain-text tokens (app `authtoken`, removed) give way to hashed, expiring ones (knox).

Their table is dropped: every token issued before is void, and clients obtain a new one
(docs/api.md, "Tokens before 2026-12").
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_kind_security"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            "DELETE FROM django_migrations WHERE app = 'authtoken'", reverse_sql=migrations.RunSQL.noop
        ),
    ]
