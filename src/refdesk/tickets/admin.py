"""Tickets in the admin, to read: supervisors and admins look a ticket and its thread up.

Nothing here changes a ticket. What the retention purge removed is simply not there;
hashed addresses and token hashes are never shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from refdesk.core.admin import ReadOnlyAdmin
from refdesk.tickets.models import Ticket


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("id", "campus", "state", "source", "created_at", "closed_at", "owner")
    list_filter = ("campus", "state")
    list_select_related = ("campus", "owner")
    ordering = ("-created_at",)
    fields = (
        "campus",
        "state",
        "source",
        "owner",
        "chat",
        "created_at",
        "updated_at",
        "closed_at",
        "purged_at",
        "patron_name",
        "patron_email",
        "question",
        "page_url",
        "thread",
    )

    @admin.display(description="thread")
    def thread(self, obj: Ticket) -> str:
        entries = [
            (
                f"{entry.created_at:%Y-%m-%d %H:%M:%S}",
                entry.get_kind_display(),
                entry.author_name or "—",
                entry.body or "(text removed)",
            )
            for entry in obj.entries.order_by("pk")
        ]
        if not entries:
            return "No replies or notes."
        return format_html(
            '<ol class="thread">{}</ol>',
            format_html_join("", "<li><time>{}</time> {} by <strong>{}</strong>: {}</li>", entries),
        )
