"""Keep only the summary of a patron's user-agent ("Chrome 120 on Android"), not the string."""

import re

from django.db import migrations, models

# The summary as it was made when this migration was written (a migration keeps its own
# copy, so that later changes to the live code cannot change what it did).
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux")),
)


def describe_browser(user_agent):  # type: ignore[no-untyped-def]
    """ "Chrome 120 on Android", "Safari 17 on iOS", or "Unknown browser"."""
    name = next(
        (f"{label} {m.group(1)}" for label, rx in _BROWSERS if (m := rx.search(user_agent))),
        "Unknown browser",
    )
    system = next((label for label, rx in _SYSTEMS if rx.search(user_agent)), "")
    return f"{name} on {system}" if system else name



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
