from django.db import migrations
from django.utils import timezone

# "dumb" alone flagged a patron's "dumb printer"; insults now need a person ("you dumb").
RETIRED = [("en", "abuse", "dumb")]


MARK = "# --- Added after the holdout table"


def added_terms():
    # Only this migration's terms: a shipped term an admin deleted stays deleted.
    from refdesk.safety.shipped import DATA

    lines = (DATA / "watchterms.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(MARK))
    for line in lines[start:]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            language, kind, term = stripped.split(None, 2)
            yield language, kind, term, "*" in term or "..." in term


def load(apps, schema_editor):
    WatchTerm = apps.get_model("safety", "WatchTerm")
    now = timezone.now()
    for language, kind, term in RETIRED:
        WatchTerm.objects.filter(language=language, kind=kind, term=term, note="shipped").delete()
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
            for language, kind, term, is_pattern in added_terms()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("safety", "0003_shipped_watch_terms_and_guidance")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
