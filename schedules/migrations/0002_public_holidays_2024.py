from django.db import migrations


def load(apps, schema_editor):
    from schedules.holidays import HOLIDAYS_2024

    PublicHoliday = apps.get_model("schedules", "PublicHoliday")
    for date, name in HOLIDAYS_2024:
        PublicHoliday.objects.get_or_create(date=date, defaults={"name": name})


def unload(apps, schema_editor):
    from schedules.holidays import HOLIDAYS_2024

    PublicHoliday = apps.get_model("schedules", "PublicHoliday")
    PublicHoliday.objects.filter(date__in=[date for date, _name in HOLIDAYS_2024]).delete()


class Migration(migrations.Migration):
    dependencies = [("schedules", "0001_sessions_slots_appointments")]

    operations = [migrations.RunPython(load, unload)]
