"""Supervisors reach the admin site (read-only chats and tickets there): their accounts
carry ``is_staff`` from now on, as ``staff_flags`` gives every new one."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def flag_supervisors(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    librarian_model = apps.get_model("accounts", "Librarian")
    user_ids = librarian_model.objects.filter(role="supervisor").values_list("user_id", flat=True)
    user_model = apps.get_model("auth", "User")
    user_model.objects.filter(pk__in=list(user_ids)).update(is_staff=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_librarian_status"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(flag_supervisors, migrations.RunPython.noop)]
