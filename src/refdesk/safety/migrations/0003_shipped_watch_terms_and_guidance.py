from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from refdesk.safety.shipped import shipped_guidance, shipped_terms

    WatchTerm = apps.get_model("safety", "WatchTerm")
    Guidance = apps.get_model("safety", "Guidance")
    now = timezone.now()
    WatchTerm.objects.bulk_create(
        [
            WatchTerm(
                language=language,
                kind=kind,
                term=term,
                is_pattern=is_pattern,
                note="shipped",
                updated_at=now,
            )
            for language, kind, term, is_pattern in shipped_terms()
        ],
        ignore_conflicts=True,
    )
    Guidance.objects.bulk_create(
        [
            Guidance(kind=kind, section=section, position=position, text=text)
            for kind, section, position, text in shipped_guidance()
        ]
    )


def unload(apps, schema_editor):
    apps.get_model("safety", "WatchTerm").objects.filter(note="shipped").delete()
    apps.get_model("safety", "Guidance").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("safety", "0002_watch_terms_and_guidance")]

    operations = [migrations.RunPython(load, unload)]
