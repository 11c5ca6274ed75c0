"""Chats in the admin, to read: supervisors and admins look a chat and its transcript up.

Nothing here changes a chat. What the retention purge removed (the patron's name, email,
question and the text of every message) is simply not there; hashed addresses and token
hashes are never shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from refdesk.chats.models import Chat
from refdesk.core.admin import ReadOnlyAdmin


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    list_display = ("id", "campus", "state", "end_reason", "created_at", "ended_at", "librarian")
    list_filter = ("campus", "state")
    list_select_related = ("campus", "librarian")
    ordering = ("-created_at",)
    fields = (
        "campus",
        "state",
        "end_reason",
        "librarian",
        "created_at",
        "claimed_at",
        "ended_at",
        "purged_at",
        "patron_name",
        "patron_email",
        "question",
        "page_url",
        "browser",
        "transcript",
    )

    @admin.display(description="transcript")
    def transcript(self, obj: Chat) -> str:
        lines = [
            (
                f"{message.created_at:%Y-%m-%d %H:%M:%S}",
                message.sender_name or message.get_sender_display(),
                message.body or "(text removed)",
            )
            for message in obj.messages.order_by("seq")
        ]
        if not lines:
            return "No messages."
        return format_html(
            '<ol class="transcript">{}</ol>',
            format_html_join("", "<li><time>{}</time> <strong>{}</strong>: {}</li>", lines),
        )
