"""Upgrading keeps only the summary of each stored user-agent string."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("chats", "0005_chat_end_reason_dismissed")]
AFTER = [("chats", "0006_chat_browser_summary")]
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile"


def test_the_upgrade_replaces_each_user_agent_string_by_its_summary() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    campus = old.get_model("campuses", "Campus").objects.create(
        slug="north", name="North", colour="#1f4e79", timezone="America/New_York"
    )
    Chat = old.get_model("chats", "Chat")
    made = {
        agent: Chat.objects.create(
            campus=campus,
            token_hash=f"t{i}",
            question="q",
            user_agent=agent,
            created_at=timezone.now(),
        ).pk
        for i, agent in enumerate([ANDROID, "", "curl/8.5"])
    }
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("chats", "Chat")
    assert {pk: new.objects.get(pk=pk).browser for pk in made.values()} == {
        made[ANDROID]: "Chrome 120 on Android",
        made[""]: "",
        made["curl/8.5"]: "Unknown browser",
    }
    assert "user_agent" not in {field.name for field in new._meta.get_fields()}
    # Back to the newest state for the tests that follow.
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
