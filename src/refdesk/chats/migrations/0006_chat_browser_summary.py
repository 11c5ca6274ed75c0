"""Keep only the summary of a patron's user-agent ("Chrome 120 on Android"), not the string."""

from django.db import migrations, models

from refdesk.chats.useragent import describe_browser


def summarise(apps, schema_editor):  # type: ignore[no-untyped-def]
    Chat = apps.get_model("chats", "Chat")
    for chat in Chat.objects.exclude(user_agent="").only("pk", "user_agent").iterator():
        Chat.objects.filter(pk=chat.pk).update(browser=describe_browser(chat.user_agent))


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0005_chat_end_reason_dismissed"),
    ]

    operations = [
        migrations.AddField(
            model_name="chat",
            name="browser",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.RunPython(summarise, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="chat",
            name="user_agent",
        ),
    ]
